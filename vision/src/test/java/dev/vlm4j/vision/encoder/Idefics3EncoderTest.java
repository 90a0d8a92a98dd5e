package dev.vlm4j.vision.encoder;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.vision.image.PixelTensor;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SmolVLM-style encoder (SigLIP + idefics3 pixel-shuffle projector) on tiny random mmproj files written with the
 * project's GgufWriter. No llama.cpp reference exists for this layout in the fixtures, so every step and the whole
 * encoder are checked against {@link ScalarVisionReference} (written from the Hugging Face architecture; its
 * transformer part is validated against llama.cpp by {@link LlavaClipParityTest}).
 *
 * <p>Tolerances are absolute, scaled by the largest magnitude of the expected values (1 to 10 here). Two numbers:
 * the maximum difference (5e-4 with F32 weights, 1e-3 with F16) allows for the odd value that lands on the other side
 * of an fp16 rounding boundary (GELU goes through fp16 as in ggml; with F16 weights so does every matmul input), which
 * moves it by one fp16 ulp; the median difference (1e-5 with F32, 1e-4 with F16) shows everything else agrees to
 * float32 rounding. A wrong operation, order or layout moves the median by orders of magnitude more.
 */
class Idefics3EncoderTest {
    @TempDir
    static Path dir;
    private static Backend backend;

    @BeforeAll
    static void startBackend() {
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    enum Weights {
        F32(GgmlType.F32, 5e-4, 1e-5), F16(GgmlType.F16, 1e-3, 1e-4);

        final GgmlType type;
        final double maxTolerance;
        final double medianTolerance;

        Weights(GgmlType type, double maxTolerance, double medianTolerance) {
            this.type = type;
            this.maxTolerance = maxTolerance;
            this.medianTolerance = medianTolerance;
        }
    }

    static Path model(SyntheticMmproj.Spec spec, String name) {
        Path p = dir.resolve(name + ".gguf");
        if (!p.toFile().exists()) {
            SyntheticMmproj.of(spec).write(p);
        }
        return p;
    }

    static Path tinySmolVlm(Weights w) {
        return model(SyntheticMmproj.Spec.tinySmolVlm(w.type, 4242), "smolvlm-" + w);
    }

    /** Normalised SigLIP pixels lie in [-1, 1]. */
    static PixelTensor randomPixels(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] chw = new float[3 * size * size];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return new PixelTensor(chw, 3, size, size);
    }

    static Matrix upload(float[][] rows) {
        Matrix m = backend.matrix(rows.length, rows[0].length);
        backend.write(m, Diff.flatten(rows));
        return m;
    }

    static void assertClose(float[][] expected, float[] actual, Weights w, String step) {
        float[] e = Diff.flatten(expected);
        Diff diff = Diff.of(e, actual);
        double scale = Math.max(1, Diff.maxAbs(e));
        System.out.printf("idefics3 %s %s: %s (values up to %.2f)%n", w, step, diff, Diff.maxAbs(e));
        assertAll(
                () -> assertTrue(diff.max() <= w.maxTolerance * scale, step + " (" + w + " weights): " + diff
                        + ", tolerance for the maximum " + w.maxTolerance * scale),
                () -> assertTrue(diff.median() <= w.medianTolerance * scale, step + " (" + w + " weights): " + diff
                        + ", tolerance for the median " + w.medianTolerance * scale));
    }

    @Test
    void readsTheIdefics3Layout() {
        try (GgufFile file = GgufFile.open(tinySmolVlm(Weights.F32))) {
            VisionConfig c = VisionConfig.read(file);
            assertAll(
                    () -> assertEquals(ProjectorType.IDEFICS3, c.projectorType()),
                    () -> assertFalse(c.classToken(), "SigLIP has no class token"),
                    () -> assertTrue(c.patchBias(), "patch bias"),
                    () -> assertFalse(c.preLayerNorm(), "no pre-LayerNorm"),
                    () -> assertTrue(c.postLayerNorm(), "post-LayerNorm"),
                    () -> assertEquals(Activation.GELU, c.feedForwardActivation(), "clip.use_gelu"),
                    () -> assertEquals(c.blockCount(), c.blocksToRun(), "idefics3 runs every block"),
                    () -> assertEquals(2, c.scaleFactor()),
                    () -> assertEquals(64, c.positions()),
                    () -> assertEquals(16, c.outputTokens(), "8x8 patches shuffled by 2"),
                    () -> assertEquals(24, c.outputWidth(), "rows of mm.model.fc.weight"),
                    () -> assertEquals(256, c.preprocessLongestEdge()),
                    () -> assertFalse(c.legacyFeedForwardNames(), "current converter: ffn_up is fc1"),
                    () -> assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, c.imageMean()));
        }
    }

    @ParameterizedTest
    @EnumSource(Weights.class)
    void everyStepMatchesTheScalarReference(Weights w) {
        try (GgufFile file = GgufFile.open(tinySmolVlm(w))) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            ScalarVisionReference ref = new ScalarVisionReference(file, true);
            PixelTensor px = randomPixels(64, 7);

            float[][] x = ref.embed(px.chw());
            assertClose(x, backend.read(encoder.embed(px)), w, "patch embedding + positions");

            for (int i = 0; i < ref.blockCount; i++) {
                Matrix m = upload(x);
                encoder.runBlock(i, m);
                x = ref.block(i, x);
                assertClose(x, backend.read(m), w, "block " + i);
            }

            float[][] features = ref.postLn(x);
            assertClose(features, backend.read(encoder.finalNorm(upload(x))), w, "post-LayerNorm");

            float[][] shuffled = ScalarVisionReference.pixelShuffleHf(features, ref.side, ref.scale);
            assertArrayEquals(Diff.flatten(shuffled), VisionEncoder.pixelShuffle(Diff.flatten(features), ref.side,
                    ref.width, ref.scale), "pixel shuffle: a pure permutation, exact");

            assertClose(ref.project(features), encoder.project(upload(features)).toFloats(), w, "projector");
        }
    }

    @ParameterizedTest
    @EnumSource(Weights.class)
    void wholeEncoderMatchesTheScalarReference(Weights w) {
        try (GgufFile file = GgufFile.open(tinySmolVlm(w))) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            ScalarVisionReference ref = new ScalarVisionReference(file, true);
            for (long seed : new long[] {1, 2}) {
                PixelTensor px = randomPixels(64, seed);
                ImageEmbedding e = encoder.encode(px);
                assertEquals(16, e.tokens());
                assertEquals(24, e.width());
                assertClose(ref.encode(px.chw(), ref.defaultBlocks()), e.toFloats(), w, "whole encoder, image " + seed);
            }
        }
    }

    /** A grid that is not a multiple of the scale factor is padded with zero patches, as ggml_pad does. */
    @Test
    void paddedGridMatchesTheReferenceOnThePaddedFeatures() {
        SyntheticMmproj.Spec spec = SyntheticMmproj.Spec.tinySmolVlm(GgmlType.F32, 99).withImageSize(40); // 5x5 patches
        try (GgufFile file = GgufFile.open(model(spec, "smolvlm-padded"))) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            assertEquals(9, encoder.outputTokens(), "5x5 patches padded to 6x6, shuffled by 2");
            ScalarVisionReference ref = new ScalarVisionReference(file, true);
            PixelTensor px = randomPixels(40, 3);
            float[][] x = ref.embed(px.chw());
            for (int i = 0; i < ref.blockCount; i++) {
                x = ref.block(i, x);
            }
            float[][] features = ref.postLn(x);
            float[][] padded = new float[36][ref.width]; // zero rows for the padding
            for (int y = 0; y < 5; y++) {
                for (int xx = 0; xx < 5; xx++) {
                    padded[y * 6 + xx] = features[y * 5 + xx];
                }
            }
            float[][] expected = ref.linear(ScalarVisionReference.pixelShuffleHf(padded, 6, 2), "mm.model.fc");
            assertClose(expected, encoder.encode(px).toFloats(), Weights.F32, "padded grid");
        }
    }

    @Test
    void pixelShuffleOrderOnANumberedGrid() {
        // 4x4 patches numbered row-major, one value each, scale 2: each output row is a 2x2 block, row by row.
        float[] grid = new float[16];
        for (int i = 0; i < 16; i++) {
            grid[i] = i;
        }
        assertArrayEquals(new float[] {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15},
                VisionEncoder.pixelShuffle(grid, 4, 1, 2));
        // Two values per patch: (patch, channel) pairs stay together.
        float[] twoWide = new float[32];
        for (int i = 0; i < 32; i++) {
            twoWide[i] = i; // patch i/2, channel i%2
        }
        float[] out = VisionEncoder.pixelShuffle(twoWide, 4, 2, 2);
        assertArrayEquals(new float[] {0, 1, 2, 3, 8, 9, 10, 11}, java.util.Arrays.copyOf(out, 8), "first output row");
        // 3x3 grid, scale 2: padded to 4x4 with zeros.
        float[] odd = new float[9];
        for (int i = 0; i < 9; i++) {
            odd[i] = i + 1;
        }
        assertArrayEquals(new float[] {1, 2, 4, 5, 3, 0, 6, 0, 7, 8, 0, 0, 9, 0, 0, 0},
                VisionEncoder.pixelShuffle(odd, 3, 1, 2));
    }
}
