package dev.vlm4j.language.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.testing.TestBackends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder against llama.cpp's references ({@code reference/text/*.json}, F32 KV cache): same last-prompt
 * logits within a per-type tolerance and the same 24 greedy tokens, for every model file and prompt, on every
 * backend (OpenCL skipped when this machine has no OpenCL device).
 */
class TextParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Max |ours − llama.cpp| allowed on the last-prompt logits (values within about ±9). Measured on the CPU backend
     * (2026-11-22): F32 5.4e-6, F16 2.9e-3 (tied 3.6e-3), Q8_0 and Q4_0 9.5e-7. The F16 gap is fp16 rounding-
     * boundary effects that reference/README.md also sees from an exact re-implementation (3e-3, tied 4e-3); the
     * quantised tolerance leaves room for one such Q8 step, which the README saw once at 3e-2 on other runs.
     */
    static Stream<Arguments> models() {
        return Stream.of("cpu", "opencl").flatMap(backend -> modelFiles().map(a -> Arguments.of(backend, a.get()[0], a.get()[1], a.get()[2])));
    }

    static Stream<Arguments> modelFiles() {
        return Stream.of(
                Arguments.of("tiny-llava-text-f32", "models/tiny-llava/tiny-llava-text-f32.gguf", 1e-4),
                Arguments.of("tiny-llava-text-f16", "models/tiny-llava/tiny-llava-text-f16.gguf", 1e-2),
                Arguments.of("tiny-llava-text-q8_0", "models/tiny-llava/tiny-llava-text-q8_0.gguf", 5e-2),
                Arguments.of("tiny-llava-text-q4_0", "models/tiny-llava/tiny-llava-text-q4_0.gguf", 5e-2),
                Arguments.of("tiny-llama-tied-f16", "models/tiny-llama-tied/tiny-llama-tied-f16.gguf", 1e-2),
                Arguments.of("tiny-llama3-bpe-q8_0", "models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf", 5e-2));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("models")
    void logitsAndGreedyTokensMatchLlamaCpp(String backendKind, String name, String modelPath, double tolerance) throws IOException {
        Path model = Fixtures.require(modelPath);
        JsonNode ref = JSON.readTree(Fixtures.require("reference/text/" + name + ".json").toFile());
        try (GgufFile file = GgufFile.open(model); Backend backend = TestBackends.create(backendKind)) {
            TextModel m = TextModel.load(file, backend);
            for (JsonNode prompt : ref.get("prompts")) {
                String label = name + " " + prompt.get("name").asText() + " on " + backendKind;
                int[] ids = ints(prompt.get("prompt_ids"));
                float[] expectedLogits = readFloats(Fixtures.require(prompt.at("/last_prompt_logits/file").asText()));
                try (DecoderSession session = m.newSession(512)) {
                    session.append(DecoderInput.tokens(ids));
                    float[] logits = session.logits();
                    assertEquals(expectedLogits.length, logits.length, label + " vocab size");
                    double maxDiff = maxAbsDiff(logits, expectedLogits);
                    System.out.printf("%s: max abs logit diff %.3g%n", label, maxDiff);
                    assertTrue(maxDiff <= tolerance, label + ": max |logit - llama.cpp| = " + maxDiff + " > tolerance " + tolerance);

                    int[] expected = ints(prompt.at("/greedy/ids"));
                    int[] got = new int[expected.length];
                    for (int i = 0; i < expected.length; i++) {
                        got[i] = session.argmax();
                        session.append(DecoderInput.tokens(got[i]));
                    }
                    assertArrayEquals(expected, got, label + ": greedy continuation differs from llama.cpp: " + Arrays.toString(got));
                }
            }
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static float[] readFloats(Path path) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(out);
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
