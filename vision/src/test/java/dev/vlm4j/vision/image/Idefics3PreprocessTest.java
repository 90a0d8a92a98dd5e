package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.vision.encoder.ProjectorType;
import org.junit.jupiter.api.Test;

/**
 * idefics3 (SmolVLM) preprocessing as llama.cpp's tools/mtmd does it, against a scalar reference written here from
 * its description: the resize is cubic Lagrange interpolation through the four neighbours (x-1..x+2, edges
 * clamped) at {@code x = (int)(j · w / tw)}, first along rows then along the column, computed here in double; the
 * canvas keeps the aspect ratio with black borders; tiles are image_size² crops, row by row. llama.cpp rounds its
 * intermediate rows to float, so a value lying near .5 may round the other way: the tolerance is 1 u8 level.
 */
class Idefics3PreprocessTest {
    static final float[] MEAN = {0.5f, 0.5f, 0.5f};
    static final float[] STD = {0.5f, 0.5f, 0.5f};

    /** Cubic through (-1, pm), (0, p0), (1, p1), (2, p2) at t. */
    static double lagrange(double pm, double p0, double p1, double p2, double t) {
        return pm * (-t * (t - 1) * (t - 2) / 6) + p0 * ((t + 1) * (t - 1) * (t - 2) / 2)
                + p1 * (-(t + 1) * t * (t - 2) / 2) + p2 * ((t + 1) * t * (t - 1) / 6);
    }

    static RgbImage referenceResize(RgbImage img, int tw, int th) {
        int w = img.width();
        int h = img.height();
        byte[] out = new byte[3 * tw * th];
        double tx = (float) w / tw;
        double ty = (float) h / th;
        for (int i = 0; i < th; i++) {
            for (int j = 0; j < tw; j++) {
                int x = (int) (tx * j);
                int y = (int) (ty * i);
                double dx = tx * j - x;
                double dy = ty * i - y;
                for (int c = 0; c < 3; c++) {
                    double[] col = new double[4];
                    for (int k = 0; k < 4; k++) {
                        int yy = clamp(y - 1 + k, h);
                        col[k] = lagrange(img.sample(clamp(x - 1, w), yy, c), img.sample(clamp(x, w), yy, c),
                                img.sample(clamp(x + 1, w), yy, c), img.sample(clamp(x + 2, w), yy, c), dx);
                    }
                    long v = Math.round(lagrange(col[0], col[1], col[2], col[3], dy));
                    out[3 * (i * tw + j) + c] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage(tw, th, out);
    }

    static int clamp(int v, int n) {
        return Math.max(0, Math.min(v, n - 1));
    }

    static int u8(PixelTensor t, int c, int y, int x) {
        return Math.round((t.at(c, y, x) * STD[c] + MEAN[c]) * 255);
    }

    static int maxLevelDiff(PixelTensor t, RgbImage ref, int x0, int y0) {
        int max = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < t.height(); y++) {
                for (int x = 0; x < t.width(); x++) {
                    max = Math.max(max, Math.abs(u8(t, c, y, x) - ref.sample(x0 + x, y0 + y, c)));
                }
            }
        }
        return max;
    }

    @Test
    void wideImageBecomesAGridOfTilesPlusAGlobalImage() {
        int size = 64;
        RgbImage img = HfPreprocessTest.pattern(300, 100);
        PreprocessedImage p = new ImagePreprocessor(PreprocessMode.LLAMA_CPP, ProjectorType.IDEFICS3, size, MEAN, STD, 200)
                .preprocess(img);
        // longest edge 200: 200 x 66.7, rounded up to multiples of 64: 256 x 128, so 2 rows of 4 tiles.
        assertArrayEquals(new int[] {256, 128}, ImagePreprocessor.idefics3RefinedSize(300, 100, size, 200));
        // The canvas: 300 x 100 fitted into 256 x 128 keeps the aspect ratio: 256 x 86, centred (21 black rows above).
        RgbImage fitted = referenceResize(img, 256, 86);
        RgbImage canvas = RgbImage.filled(256, 128, 0, 0, 0);
        LlamaCppResize.paste(canvas, fitted, 0, 21);
        int worst = 0;
        for (int r = 0; r < p.rows(); r++) {
            for (int c = 0; c < p.cols(); c++) {
                worst = Math.max(worst, maxLevelDiff(p.tile(r, c), canvas, c * size, r * size));
            }
        }
        int tiles = worst;
        int global = maxLevelDiff(p.global(), referenceResize(img, size, size), 0, 0);
        assertAll(
                () -> assertEquals(2, p.rows(), "tile rows"),
                () -> assertEquals(4, p.cols(), "tile columns"),
                () -> assertEquals(8, p.tiles().size()),
                () -> assertEquals(size, p.global().width()),
                () -> assertEquals(size, p.tile(1, 3).height()),
                () -> assertEquals(-1.0f, p.tile(0, 0).at(0, 0, 0), 0f, "black border above the image, normalised"),
                () -> assertTrue(tiles <= 1, "tiles vs the scalar reference: max " + tiles + " u8 levels, tolerance 1"),
                () -> assertTrue(global <= 1, "global image vs the scalar reference: max " + global + " u8 levels, tolerance 1"));
    }

    @Test
    void tallImageAndSizes() {
        assertArrayEquals(new int[] {128, 256}, ImagePreprocessor.idefics3RefinedSize(500, 1000, 64, 256));
        assertArrayEquals(new int[] {256, 128}, ImagePreprocessor.idefics3RefinedSize(1000, 500, 64, 256));
        // Small images are scaled up to the longest edge too (as llama.cpp does).
        assertArrayEquals(new int[] {512, 512}, ImagePreprocessor.idefics3RefinedSize(10, 10, 512, 512));
        PreprocessedImage p = new ImagePreprocessor(PreprocessMode.LLAMA_CPP, ProjectorType.IDEFICS3, 32, MEAN, STD, 64)
                .preprocess(HfPreprocessTest.pattern(40, 90));
        assertAll(() -> assertEquals(2, p.rows()), () -> assertEquals(1, p.cols()), () -> assertEquals(2, p.tiles().size()));
    }

    @Test
    void withoutALongestEdgeOnlyTheGlobalImage() {
        PreprocessedImage p = new ImagePreprocessor(PreprocessMode.LLAMA_CPP, ProjectorType.IDEFICS3, 32, MEAN, STD, 0)
                .preprocess(HfPreprocessTest.pattern(50, 20));
        assertAll(() -> assertTrue(!p.tiled()), () -> assertEquals(0, p.rows()), () -> assertEquals(32, p.global().width()),
                () -> assertTrue(maxLevelDiff(p.global(), referenceResize(HfPreprocessTest.pattern(50, 20), 32, 32), 0, 0) <= 1));
    }
}
