package dev.vlm4j.vision.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vlm4j.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The FLOP count behind the ViT GFLOP/s figures of {@code ./vlm4j bench --synthetic speed-clip-vitb16}. */
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
}
