package dev.vlm4j.vision.encoder;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.testing.TestBackends;
import dev.vlm4j.vision.image.PixelTensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiny LLaVA CLIP projector against llama.cpp's own embeddings of the same preprocessed pixels
 * ({@code reference/llava/pixels} → {@code reference/llava/embd}, see {@code reference/README.md}).
 * Tolerances are the ones that README suggests for a Java port: 1e-2 (F32 mmproj) and 2e-2 (F16 mmproj),
 * on values of magnitude about 17. The parity test runs on every backend (OpenCL skipped when this machine has no
 * OpenCL device); the others on the CPU.
 */
class LlavaClipParityTest {
    private static final int SIDE = 112;
    private static Backend backend;
    /** One backend per kind, made on first use and shared by the parameterised cases. */
    private static final Map<String, Backend> BACKENDS = new HashMap<>();

    @BeforeAll
    static void startBackend() {
        backend = new CpuBackend(2);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
        BACKENDS.values().forEach(Backend::close);
        BACKENDS.clear();
    }

    private static Backend backend(String kind) {
        if (kind.equals("cpu")) {
            return backend;
        }
        Backend b = BACKENDS.get(kind);
        if (b == null) {
            b = TestBackends.create(kind);
            BACKENDS.put(kind, b);
        }
        return b;
    }

    static PixelTensor pixels(String image) {
        float[] chw = Diff.readF32(Fixtures.require("reference/llava/pixels/" + image + ".pixels.f32"));
        return new PixelTensor(chw, 3, SIDE, SIDE);
    }

    static float[] expected(String image, String precision) {
        return Diff.readF32(Fixtures.require("reference/llava/embd/" + image + ".mmproj_" + precision + ".embd.f32"));
    }

    static Path mmproj(String precision) {
        return Fixtures.require("models/tiny-llava/tiny-llava-mmproj-" + precision + ".gguf");
    }

    static double tolerance(String precision) {
        return precision.equals("f32") ? 1e-2 : 2e-2;
    }

    @ParameterizedTest(name = "{1} with the {2} mmproj on {0}")
    @CsvSource({
        "cpu, dog.jpg, f32", "cpu, coffee-rgba.png, f32", "cpu, camera-gray.png, f32",
        "cpu, dog.jpg, f16", "cpu, coffee-rgba.png, f16", "cpu, camera-gray.png, f16",
        "opencl, dog.jpg, f32", "opencl, coffee-rgba.png, f32", "opencl, camera-gray.png, f32",
        "opencl, dog.jpg, f16", "opencl, coffee-rgba.png, f16", "opencl, camera-gray.png, f16"})
    void matchesLlamaCppEmbeddings(String backendKind, String image, String precision) {
        try (GgufFile file = GgufFile.open(mmproj(precision))) {
            VisionEncoder encoder = VisionEncoder.load(file, backend(backendKind));
            ImageEmbedding embedding = encoder.encode(pixels(image));
            float[] expected = expected(image, precision);
            Diff diff = Diff.of(expected, embedding.toFloats());
            System.out.printf("parity %s mmproj_%s on %s: %s (values up to %.2f)%n", image, precision, backendKind, diff, Diff.maxAbs(expected));
            double tol = tolerance(precision);
            assertAll(
                    () -> assertEquals(64, embedding.tokens(), "image tokens"),
                    () -> assertEquals(32, embedding.width(), "embedding width (= mm.2.bias length)"),
                    () -> assertTrue(diff.max() <= tol, "llama.cpp parity for " + image + " (" + precision
                            + "): " + diff + ", tolerance " + tol + " absolute"));
        }
    }

    /** Running every stored block (the naive reading of block_count) must visibly miss llama.cpp's output. */
    @ParameterizedTest(name = "{0} mmproj")
    @ValueSource(strings = {"f32", "f16"})
    void runningAllBlocksDoesNotMatch(String precision) {
        try (GgufFile file = GgufFile.open(mmproj(precision))) {
            VisionConfig config = VisionConfig.read(file);
            assertEquals(config.blockCount() - 1, config.blocksToRun(), "LLaVA runs block_count - 1 blocks");
            VisionEncoder wrong = VisionEncoder.load(file, config.withBlocksToRun(config.blockCount()), backend);
            Diff diff = Diff.of(expected("dog.jpg", precision), wrong.encode(pixels("dog.jpg")).toFloats());
            System.out.printf("all %d blocks, dog.jpg mmproj_%s: %s%n", config.blockCount(), precision, diff);
            assertTrue(diff.max() > 100 * tolerance(precision), "running all blocks should be far off llama.cpp: " + diff);
        }
    }

    /** The scalar reference used for the SmolVLM tests reproduces llama.cpp too, which validates it. */
    @ParameterizedTest(name = "{0} mmproj")
    @ValueSource(strings = {"f32", "f16"})
    void scalarReferenceMatchesLlamaCpp(String precision) {
        try (GgufFile file = GgufFile.open(mmproj(precision))) {
            ScalarVisionReference ref = new ScalarVisionReference(file, true);
            for (String image : new String[] {"dog.jpg", "coffee-rgba.png"}) {
                float[][] out = ref.encode(pixels(image).chw(), ref.defaultBlocks());
                Diff diff = Diff.of(expected(image, precision), Diff.flatten(out));
                System.out.printf("scalar reference %s mmproj_%s: %s%n", image, precision, diff);
                assertTrue(diff.max() <= tolerance(precision), "scalar reference vs llama.cpp: " + diff);
            }
        }
    }
}
