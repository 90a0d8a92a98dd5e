package dev.vlm4j.vision.encoder;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.vision.image.PixelTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Times {@link VisionEncoder#encode} on one image: a few warm-up encodes, then {@code runs} timed ones. The
 * benchmark shape {@code speed-clip-vitb16} (ViT-B/16 at 224 px, F16, as in BENCHMARKS.md) is generated with
 * {@link SyntheticMmproj} when the file does not exist yet.
 */
public final class VisionBenchmark {
    private VisionBenchmark() {}

    /**
     * @param millis         wall time of each timed encode
     * @param vitFlop        floating-point operations of the ViT (patch embedding and the blocks run)
     * @param projectorFlop  floating-point operations of the projector
     */
    public record Result(String model, String backend, VisionConfig config, double[] millis, long vitFlop, long projectorFlop) {
        public Result {
            millis = millis.clone();
        }

        @Override
        public double[] millis() {
            return millis.clone();
        }

        public double minMillis() {
            return Arrays.stream(millis).min().orElse(Double.NaN);
        }

        public double medianMillis() {
            return median(millis);
        }

        /** Whole-encode throughput at the median time, GFLOP/s. */
        public double gflopsPerSecond() {
            return (vitFlop + projectorFlop) / (medianMillis() * 1e6);
        }

        @Override
        public String toString() {
            return String.format("%s on %s: %d tokens x %d, encode median %.1f ms, min %.1f ms over %d runs %s; "
                            + "%.2f GFLOP (ViT %.2f + projector %.2f) -> %.1f GFLOP/s",
                    model, backend, config.outputTokens(), config.outputWidth(), medianMillis(), minMillis(), millis.length,
                    Arrays.toString(Arrays.stream(millis).map(m -> Math.round(m * 10) / 10.0).toArray()),
                    (vitFlop + projectorFlop) / 1e9, vitFlop / 1e9, projectorFlop / 1e9, gflopsPerSecond());
        }
    }

    /** Matmul and attention FLOPs (2 per multiply-add) of the ViT: patch embedding plus the blocks that run. */
    public static long vitFlop(VisionConfig c) {
        long n = c.positions();
        long w = c.width();
        long perBlock = 2 * n * w * w * 4 // q, k, v, out
                + 2 * n * w * c.feedForwardLength() * 2 // fc1, fc2
                + 2 * 2 * n * n * w; // Q·Kᵀ and P·V over all heads
        return 2L * c.patchCount() * c.patchVectorLength() * w + perBlock * c.blocksToRun();
    }

    public static long projectorFlop(VisionConfig c) {
        return switch (c.projectorType()) {
            case MLP -> 2L * c.patchCount() * ((long) c.width() * c.projectorHidden() + (long) c.projectorHidden() * c.outputWidth());
            case IDEFICS3 -> 2L * c.outputTokens() * c.width() * c.scaleFactor() * c.scaleFactor() * c.outputWidth();
        };
    }

    /** Writes the {@code speed-clip-vitb16} model to {@code path} unless it is already there. */
    public static Path ensureClipVitB16(Path path) {
        if (!Files.exists(path)) {
            SyntheticMmproj.of(SyntheticMmproj.Spec.clipVitB16()).write(path);
        }
        return path;
    }

    /** The median of {@code values} (the mean of the middle two for an even count); {@code values} is not changed. */
    public static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Hands one encode of a fixed random image to {@code warmUp} (which runs it as often as it sees fit, untimed),
     * then times {@code runs} encodes.
     */
    public static Result run(Path mmproj, Backend backend, Consumer<Runnable> warmUp, int runs) {
        try (GgufFile file = GgufFile.open(mmproj)) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            VisionConfig c = encoder.config();
            PixelTensor pixels = randomImage(c.imageSize(), 1);
            warmUp.accept(() -> encoder.encode(pixels).toFloats());
            double[] millis = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                encoder.encode(pixels).toFloats(); // reading the result waits for the backend to finish
                millis[i] = (System.nanoTime() - t0) / 1e6;
            }
            return new Result(mmproj.getFileName().toString(), backend.name(), c, millis, vitFlop(c), projectorFlop(c));
        }
    }

    /** A normalised random image (values in [-2, 2], the range CLIP normalisation produces). */
    static PixelTensor randomImage(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] chw = new float[3 * size * size];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return new PixelTensor(chw, 3, size, size);
    }
}
