package dev.vlm4j.vision.image;

/**
 * The u8 image operations of llama.cpp's clip preprocessing, written from its description (not its code) with the
 * same float32 arithmetic in the same order, so the u8 results are identical. Java never fuses a·b + c into an FMA,
 * and neither does llama.cpp's build of clip.cpp (no {@code -march=native} for it), which is what makes that hold.
 */
final class LlamaCppResize {
    private LlamaCppResize() {}

    /** {@code image} on a square of side max(w, h) filled with {@code pad}, placed at the top-left (llama.cpp's LLaVA-1.5 path). */
    static RgbImage padToSquareTopLeft(RgbImage image, int[] pad) {
        if (image.width() == image.height()) {
            return image;
        }
        int side = Math.max(image.width(), image.height());
        RgbImage square = RgbImage.filled(side, side, pad[0], pad[1], pad[2]);
        paste(square, image, 0, 0);
        return square;
    }

    /** Copies {@code src} into {@code dst} with its top-left corner at (x0, y0), clipped to {@code dst}. */
    static void paste(RgbImage dst, RgbImage src, int x0, int y0) {
        for (int y = 0; y < src.height(); y++) {
            int dy = y + y0;
            if (dy < 0 || dy >= dst.height()) {
                continue;
            }
            for (int x = 0; x < src.width(); x++) {
                int dx = x + x0;
                if (dx < 0 || dx >= dst.width()) {
                    continue;
                }
                System.arraycopy(src.rgb(), (y * src.width() + x) * 3, dst.rgb(), (dy * dst.width() + dx) * 3, 3);
            }
        }
    }

    /**
     * The LLaVA-1.5 resize of llama.cpp's {@code clip_image_preprocess} (examples/llava/clip.cpp, the reference
     * fixtures' snapshot) of a square image to {@code size}²: 2×2-tap bilinear with half-pixel centres, no
     * antialiasing, {@code scale = side / size}; for output x, {@code sx = (x + 0.5) * scale - 0.5},
     * {@code x0 = max(0, floor(sx))}, {@code x1 = min(x0 + 1, side - 1)}, {@code dx = sx - x0}; the value is
     * rounded half away from zero and clamped to 0..255.
     *
     * @return the resized image as u8 RGB, row-major (the caller normalises)
     */
    static RgbImage bilinearSquare(RgbImage square, int size) {
        if (square.width() != square.height()) {
            throw new IllegalArgumentException("expected a square image, got " + square.width() + " x " + square.height());
        }
        int n = square.width();
        byte[] in = square.rgb();
        float scale = n / (float) size;
        int outSide = (int) (n / scale + 0.5f);
        if (outSide != size) { // llama.cpp would write a differently sized image into the size² buffer
            throw new IllegalStateException("side " + n + " scales to " + outSide + " pixels, not " + size);
        }
        byte[] out = new byte[3 * size * size];
        for (int y = 0; y < size; y++) {
            float sy = (y + 0.5f) * scale - 0.5f;
            int y0 = Math.max(0, (int) Math.floor(sy));
            int y1 = Math.min(y0 + 1, n - 1);
            float dy = sy - y0;
            for (int x = 0; x < size; x++) {
                float sx = (x + 0.5f) * scale - 0.5f;
                int x0 = Math.max(0, (int) Math.floor(sx));
                int x1 = Math.min(x0 + 1, n - 1);
                float dx = sx - x0;
                for (int c = 0; c < 3; c++) {
                    float v00 = in[3 * (y0 * n + x0) + c] & 0xFF;
                    float v01 = in[3 * (y0 * n + x1) + c] & 0xFF;
                    float v10 = in[3 * (y1 * n + x0) + c] & 0xFF;
                    float v11 = in[3 * (y1 * n + x1) + c] & 0xFF;
                    float v0 = v00 * (1.0f - dx) + v01 * dx;
                    float v1 = v10 * (1.0f - dx) + v11 * dx;
                    float v = v0 * (1.0f - dy) + v1 * dy;
                    out[3 * (y * size + x) + c] = (byte) roundClampU8(v);
                }
            }
        }
        return new RgbImage(size, size, out);
    }

    /** C's {@code min(max(round(v), 0), 255)}: round half away from zero (same as Java's for v ≥ 0; negatives clamp to 0). */
    static int roundClampU8(float v) {
        int r = Math.round(v);
        return r < 0 ? 0 : Math.min(r, 255);
    }

    /**
     * llama.cpp's own bicubic resize ({@code img_tool::resize_bicubic} in tools/mtmd), used for idefics3: for output
     * (i, j), {@code x = (int)(tx * j)} with {@code tx = w / tw}, four-tap cubic through the neighbours
     * x-1..x+2 (edges clamped) along each of four rows, then along the column; coefficients
     * {@code a1 = -d0/3 + d2 - d3/6}, {@code a2 = (d0 + d2)/2}, {@code a3 = -d0/6 - d2/2 + d3/6} computed in double and
     * stored as float, the cubic evaluated in float; rounded and clamped to u8.
     */
    static RgbImage bicubic(RgbImage img, int targetWidth, int targetHeight) {
        int nx = img.width();
        int ny = img.height();
        if (nx == targetWidth && ny == targetHeight) {
            return img;
        }
        byte[] buf = img.rgb();
        byte[] out = new byte[3 * targetWidth * targetHeight];
        float tx = (float) nx / (float) targetWidth;
        float ty = (float) ny / (float) targetHeight;
        float[] cRow = new float[4];
        for (int i = 0; i < targetHeight; i++) {
            for (int j = 0; j < targetWidth; j++) {
                int x = (int) (tx * j);
                int y = (int) (ty * i);
                float dx = tx * j - x;
                float dy = ty * i - y;
                for (int k = 0; k < 3; k++) {
                    for (int jj = 0; jj <= 3; jj++) {
                        int row = clip(y - 1 + jj, 0, ny - 1) * nx;
                        int centre = buf[(row + clip(x, 0, nx - 1)) * 3 + k] & 0xFF;
                        float d0 = (buf[(row + clip(x - 1, 0, nx - 1)) * 3 + k] & 0xFF) - centre;
                        float d2 = (buf[(row + clip(x + 1, 0, nx - 1)) * 3 + k] & 0xFF) - centre;
                        float d3 = (buf[(row + clip(x + 2, 0, nx - 1)) * 3 + k] & 0xFF) - centre;
                        float a0 = centre;
                        float a1 = (float) (-1.0 / 3 * d0 + d2 - 1.0 / 6 * d3);
                        float a2 = (float) (1.0 / 2 * d0 + 1.0 / 2 * d2);
                        float a3 = (float) (-1.0 / 6 * d0 - 1.0 / 2 * d2 + 1.0 / 6 * d3);
                        cRow[jj] = a0 + a1 * dx + a2 * dx * dx + a3 * dx * dx * dx;
                    }
                    float d0 = cRow[0] - cRow[1];
                    float d2 = cRow[2] - cRow[1];
                    float d3 = cRow[3] - cRow[1];
                    float a0 = cRow[1];
                    float a1 = (float) (-1.0 / 3 * d0 + d2 - 1.0 / 6 * d3);
                    float a2 = (float) (1.0 / 2 * d0 + 1.0 / 2 * d2);
                    float a3 = (float) (-1.0 / 6 * d0 - 1.0 / 2 * d2 + 1.0 / 6 * d3);
                    float cc = a0 + a1 * dy + a2 * dy * dy + a3 * dy * dy * dy;
                    out[(i * targetWidth + j) * 3 + k] = (byte) roundClampU8(cc);
                }
            }
        }
        return new RgbImage(targetWidth, targetHeight, out);
    }

    private static int clip(int v, int lo, int hi) {
        return Math.max(lo, Math.min(v, hi));
    }

    /**
     * llama.cpp's aspect-preserving resize into a {@code tw × th} canvas ({@code img_tool::resize} with padding):
     * {@code scale = min(tw / w, th / h)}, the image resized (bicubic) to {@code min(ceil(w·scale), tw)} ×
     * {@code min(ceil(h·scale), th)} and centred on a canvas of {@code pad}.
     */
    static RgbImage bicubicFit(RgbImage img, int tw, int th, int[] pad) {
        if (img.width() == tw && img.height() == th) {
            return img;
        }
        float scaleW = (float) tw / img.width();
        float scaleH = (float) th / img.height();
        float scale = Math.min(scaleW, scaleH);
        int newW = Math.min((int) Math.ceil(img.width() * scale), tw);
        int newH = Math.min((int) Math.ceil(img.height() * scale), th);
        RgbImage resized = bicubic(img, newW, newH);
        RgbImage canvas = RgbImage.filled(tw, th, pad[0], pad[1], pad[2]);
        paste(canvas, resized, (tw - newW) / 2, (th - newH) / 2);
        return canvas;
    }

    /** A {@code w × h} crop at (x, y) of {@code img}. */
    static RgbImage crop(RgbImage img, int x, int y, int w, int h) {
        byte[] out = new byte[3 * w * h];
        for (int r = 0; r < h; r++) {
            System.arraycopy(img.rgb(), ((y + r) * img.width() + x) * 3, out, r * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }
}
