package dev.vlm4j.vision.image;

/**
 * A preprocessed image ready for a vision encoder: normalised floats in CHW order ({@code [c][y][x]}), the
 * layout llama.cpp hands its CLIP graph.
 */
public record PixelTensor(float[] chw, int channels, int height, int width) {
    public PixelTensor {
        if (channels <= 0 || height <= 0 || width <= 0 || chw.length != (long) channels * height * width) {
            throw new IllegalArgumentException("pixel tensor " + channels + "x" + height + "x" + width
                    + " needs " + ((long) channels * height * width) + " values, got " + chw.length);
        }
    }

    public float at(int c, int y, int x) {
        return chw[(c * height + y) * width + x];
    }
}
