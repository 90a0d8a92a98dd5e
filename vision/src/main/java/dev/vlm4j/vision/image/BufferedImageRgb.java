package dev.vlm4j.vision.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * {@link BufferedImage} to {@link RgbImage} the way stb_image and PIL's {@code convert("RGB")} do it: the stored
 * sample values, with no colour management. {@code BufferedImage.getRGB} is avoided where it would convert: for a
 * grey image it maps the linear grey colour space to sRGB (a stored 200 comes back as 229), and decoders that build
 * grey images through {@code setRGB} store linearised values. So raw raster samples are read for grey and RGB
 * component images, palettes are looked up directly, alpha is dropped without compositing, 16-bit samples keep
 * their high byte ({@code v >> 8}, as stb_image's 16-to-8 conversion). Only images in other colour spaces (CMYK,
 * arbitrary ICC profiles) go through Java2D's conversion to sRGB.
 */
final class BufferedImageRgb {
    private BufferedImageRgb() {}

    /**
     * @param blackWhereTransparent pixels with alpha 0 become black: what stb_image's GIF loader leaves where the
     *                              first frame is transparent
     */
    static RgbImage convert(BufferedImage image, boolean blackWhereTransparent, String source) {
        int w = image.getWidth();
        int h = image.getHeight();
        if (w <= 0 || h <= 0) {
            throw new ImageDecodeException(source, "the decoded image is " + w + " x " + h);
        }
        if (3L * w * h > Integer.MAX_VALUE - 16) {
            throw new ImageDecodeException(source, "the image is " + w + " x " + h + ", too large for one RGB array");
        }
        byte[] out = new byte[3 * w * h];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm && raster.getNumBands() == 1) {
            palette(icm, raster, out, w, h, blackWhereTransparent);
        } else if (cm instanceof ComponentColorModel && isGreyOrRgb(cm.getColorSpace()) && !cm.isAlphaPremultiplied()
                && isIntegral(raster.getTransferType())) {
            components(cm, raster, out, w, h, blackWhereTransparent);
        } else {
            // Packed ARGB (sRGB, exact) and every other colour space (converted to sRGB by Java2D).
            int[] row = new int[w];
            int o = 0;
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x];
                    if (blackWhereTransparent && (argb >>> 24) == 0) {
                        argb = 0;
                    }
                    out[o++] = (byte) (argb >> 16);
                    out[o++] = (byte) (argb >> 8);
                    out[o++] = (byte) argb;
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static boolean isGreyOrRgb(ColorSpace cs) {
        return cs.getType() == ColorSpace.TYPE_GRAY || cs.getType() == ColorSpace.TYPE_RGB;
    }

    private static boolean isIntegral(int transferType) {
        return transferType == DataBuffer.TYPE_BYTE || transferType == DataBuffer.TYPE_USHORT
                || transferType == DataBuffer.TYPE_INT;
    }

    private static void palette(IndexColorModel icm, Raster raster, byte[] out, int w, int h, boolean blackWhereTransparent) {
        int size = icm.getMapSize();
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int index = row[x];
                // An index past the palette (possible in corrupt files) reads as black, as stb_image's zeroed palette.
                boolean black = index < 0 || index >= size || (blackWhereTransparent && icm.getAlpha(index) == 0);
                out[o++] = black ? 0 : (byte) icm.getRed(index);
                out[o++] = black ? 0 : (byte) icm.getGreen(index);
                out[o++] = black ? 0 : (byte) icm.getBlue(index);
            }
        }
    }

    private static void components(ColorModel cm, Raster raster, byte[] out, int w, int h, boolean blackWhereTransparent) {
        int bands = raster.getNumBands();
        int colours = cm.getNumColorComponents();
        int[] bits = cm.getComponentSize();
        int alphaBand = cm.hasAlpha() ? colours : -1;
        int[] row = new int[w * bands];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int p = x * bands;
                boolean black = blackWhereTransparent && alphaBand >= 0 && row[p + alphaBand] == 0;
                for (int c = 0; c < 3; c++) {
                    int band = colours == 1 ? 0 : c; // grey is replicated
                    out[o++] = black ? 0 : (byte) to8Bits(row[p + band], bits[band]);
                }
            }
        }
    }

    /** A sample of {@code bits} bits as 8 bits: high byte for deeper samples (stb_image), exact scaling for shallower. */
    static int to8Bits(int value, int bits) {
        if (bits == 8) {
            return value & 0xFF;
        }
        if (bits > 8) {
            return (value >>> (bits - 8)) & 0xFF;
        }
        int max = (1 << bits) - 1;
        return (value * 255 + max / 2) / max;
    }
}
