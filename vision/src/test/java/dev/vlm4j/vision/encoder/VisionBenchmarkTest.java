package dev.vlm4j.vision.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.cpu.CpuBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The ViT-B/16 encode benchmark of BENCHMARKS.md ({@code speed-clip-vitb16}, F16, 2 threads). Opt-in, it takes
 * minutes with a slow matmul:
 * {@code mvn -pl vision -am test -Dtest=VisionBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false -Dvlm4j.bench=true}
 * ({@code -Dvlm4j.bench.runs=N}, {@code -Dvlm4j.bench.threads=T}, {@code -Dvlm4j.bench.dir=DIR} where the 172 MB
 * model is written once, default the system temp directory).
 */
class VisionBenchmarkTest {
    @Test
    void flopCount() throws Exception {
        // The count behind the GFLOP/s figures, on the tiny CLIP: 65 positions, width 48, ffn 192, 2 blocks run.
        Path dir = Files.createTempDirectory("vlm4j-flops");
        Path p = SyntheticMmproj.of(SyntheticMmproj.Spec.tinyClip(dev.vlm4j.tensor.GgmlType.F32, 1)).write(dir.resolve("t.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            VisionConfig c = VisionConfig.read(f);
            long n = 65;
            long perBlock = 2 * n * 48 * 48 * 4 + 2 * n * 48 * 192 * 2 + 4 * n * n * 48;
            assertEquals(2L * 64 * 588 * 48 + 2 * perBlock, VisionBenchmark.vitFlop(c), "tiny CLIP ViT FLOPs");
            assertEquals(2L * 64 * (48 * 32 + 32 * 32), VisionBenchmark.projectorFlop(c), "tiny CLIP projector FLOPs");
        } finally {
            Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void clipVitB16Encode() {
        assumeTrue(Boolean.getBoolean("vlm4j.bench"), "benchmark skipped: run with -Dvlm4j.bench=true");
        Path dir = Path.of(System.getProperty("vlm4j.bench.dir", System.getProperty("java.io.tmpdir")));
        Path model = VisionBenchmark.ensureClipVitB16(dir.resolve("speed-clip-vitb16-f16.gguf"));
        int threads = Integer.getInteger("vlm4j.bench.threads", 2);
        int runs = Integer.getInteger("vlm4j.bench.runs", 3);
        try (Backend backend = new CpuBackend(threads)) {
            VisionBenchmark.Result r = VisionBenchmark.run(model, backend, 1, runs);
            System.out.println("BENCH " + r);
            assertEquals(196, r.config().outputTokens());
            // Where one encode spends its time, kernel by kernel.
            ProfilingBackend profiled = new ProfilingBackend(backend);
            VisionBenchmark.Result p = VisionBenchmark.run(model, profiled, 0, 1);
            StringBuilder sb = new StringBuilder("BENCH breakdown of one encode (" + Math.round(p.medianMillis()) + " ms):");
            profiled.nanos().forEach((kernel, t) -> sb.append(String.format(" %s %.0f ms (%d calls);", kernel, t[0] / 1e6, t[1])));
            System.out.println(sb);
        }
    }
}
