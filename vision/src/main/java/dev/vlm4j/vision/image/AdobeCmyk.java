package dev.vlm4j.vision.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Four-component JPEGs (Adobe CMYK and YCCK) to RGB as stb_image does it, from the raw component samples ImageIO's
 * {@code readRaster} returns. The Adobe APP14 marker's transform flag says what the components are: 0 = CMYK
 * (stored inverted, so RGB = C·K/255), 2 = YCCK (YCbCr to RGB, then inverted and multiplied by K), anything else
 * (or no marker) = YCbCr with the fourth component ignored. Colour conversion and the ·/255 product use
 * stb_image's fixed-point arithmetic.
 */
final class AdobeCmyk {
    /** No APP14 marker. */
    static final int NO_TRANSFORM = -1;

    private AdobeCmyk() {}

    /** The transform flag of the first Adobe APP14 segment before the image data, or {@link #NO_TRANSFORM}. */
    static int transform(byte[] jpeg) {
        int i = 2;
        while (i + 4 <= jpeg.length) {
            if ((jpeg[i] & 0xFF) != 0xFF) {
                return NO_TRANSFORM;
            }
            int marker = jpeg[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++; // fill byte
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return NO_TRANSFORM; // start of scan / end of image: no more headers
            }
            int length = ((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF);
            if (length < 2) {
                return NO_TRANSFORM;
            }
            if (marker == 0xEE && length >= 12 && i + 4 + 12 <= jpeg.length && jpeg[i + 4] == 'A' && jpeg[i + 5] == 'd'
                    && jpeg[i + 6] == 'o' && jpeg[i + 7] == 'b' && jpeg[i + 8] == 'e') {
                return jpeg[i + 4 + 11] & 0xFF;
            }
            i += 2 + length;
        }
        return NO_TRANSFORM;
    }

    static BufferedImage toRgb(Raster raster, int transform) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[w * 4];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int c0 = px[4 * x] & 0xFF;
                int c1 = px[4 * x + 1] & 0xFF;
                int c2 = px[4 * x + 2] & 0xFF;
                int k = px[4 * x + 3] & 0xFF;
                int r;
                int g;
                int b;
                if (transform == 0) {
                    r = blinn(c0, k);
                    g = blinn(c1, k);
                    b = blinn(c2, k);
                } else {
                    int rgb = yCbCrToRgb(c0, c1, c2);
                    r = (rgb >> 16) & 0xFF;
                    g = (rgb >> 8) & 0xFF;
                    b = rgb & 0xFF;
                    if (transform == 2) {
                        r = blinn(255 - r, k);
                        g = blinn(255 - g, k);
                        b = blinn(255 - b, k);
                    }
                }
                row[x] = (r << 16) | (g << 8) | b;
            }
            out.setRGB(0, y, w, 1, row, 0, w);
        }
        return out;
    }

    /** x·y/255 rounded, in stb_image's integer form. */
    static int blinn(int x, int y) {
        int t = x * y + 128;
        return (t + (t >>> 8)) >>> 8;
    }

    private static int fixed(float x) {
        return ((int) (x * 4096.0f + 0.5f)) << 8;
    }

    private static final int CR_R = fixed(1.40200f);
    private static final int CR_G = -fixed(0.71414f);
    private static final int CB_G = -fixed(0.34414f);
    private static final int CB_B = fixed(1.77200f);

    /** JFIF YCbCr to packed RGB with stb_image's 20-bit fixed point. */
    static int yCbCrToRgb(int y, int cb, int cr) {
        int yFixed = (y << 20) + (1 << 19);
        cr -= 128;
        cb -= 128;
        int r = (yFixed + cr * CR_R) >> 20;
        int g = (yFixed + cr * CR_G + ((cb * CB_G) & 0xffff0000)) >> 20;
        int b = (yFixed + cb * CB_B) >> 20;
        return (clamp(r) << 16) | (clamp(g) << 8) | clamp(b);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
