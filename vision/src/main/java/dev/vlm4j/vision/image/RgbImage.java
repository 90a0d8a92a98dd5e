package dev.vlm4j.vision.image;

import java.util.Arrays;

/**
 * An 8-bit RGB image: {@code width * height} pixels, row-major from the top-left, three bytes per pixel (R, G, B)
 * interleaved. This is what llama.cpp's {@code clip_image_u8} holds after stb_image loaded a file with three
 * channels, and what PIL's {@code convert("RGB")} produces.
 *
 * <p>The array is not copied (images are large): whoever builds an {@code RgbImage} hands the array over and must
 * not change it afterwards.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + " x " + height);
        }
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("an RGB image of " + width + " x " + height + " needs "
                    + 3L * width * height + " bytes, got " + rgb.length);
        }
    }

    /** A {@code width x height} image filled with one colour. */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        byte[] px = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) red;
            px[i + 1] = (byte) green;
            px[i + 2] = (byte) blue;
        }
        return new RgbImage(width, height, px);
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y), 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    public long pixelCount() {
        return (long) width * height;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && width == other.width && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + " x " + height + "]";
    }
}
