package dev.vlm4j.language.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.language.model.DecoderInput;
import dev.vlm4j.language.model.DecoderSession;
import dev.vlm4j.language.model.TextModel;
import dev.vlm4j.language.sampling.SamplingParams;
import dev.vlm4j.language.tokenizer.Tokenizer;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generation loop end to end: our tokenizer's prompt ids, the decoder, greedy sampling and streamed
 * detokenization against llama.cpp's text references (ids identical, text byte for byte).
 */
class GeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llava/tiny-llava-text-q8_0", "tiny-llama3-bpe/tiny-llama3-bpe-q8_0", "tiny-llama-tied/tiny-llama-tied-f16"})
    void greedyGenerationMatchesLlamaCpp(String model) throws IOException {
        String name = model.substring(model.indexOf('/') + 1);
        JsonNode ref = JSON.readTree(Fixtures.require("reference/text/" + name + ".json").toFile());
        try (GgufFile file = GgufFile.open(Fixtures.require("models/" + model + ".gguf")); Backend backend = new CpuBackend(2)) {
            TextModel m = TextModel.load(file, backend);
            Tokenizer tokenizer = Tokenizer.fromGguf(file);
            for (JsonNode prompt : ref.get("prompts")) {
                int[] ids = tokenizer.encode(prompt.get("prompt").asText(), true, true);
                assertArrayEquals(ints(prompt.get("prompt_ids")), ids, name + " prompt ids");
                try (DecoderSession session = m.newSession(512)) {
                    session.append(DecoderInput.tokens(ids));
                    List<String> pieces = new ArrayList<>();
                    GenerationRequest request = new GenerationRequest(24, SamplingParams.GREEDY, List.of(),
                            Long.MAX_VALUE, () -> false, pieces::add);
                    Completion c = Generator.run(session, tokenizer, request, ids, new ReentrantLock());
                    assertArrayEquals(ints(prompt.at("/greedy/ids")), c.tokens(), name + " greedy ids");
                    byte[] expected = HexFormat.of().parseHex(prompt.at("/greedy/text_hex").asText());
                    assertEquals(new String(expected, java.nio.charset.StandardCharsets.UTF_8), c.text(),
                            name + " text (pieces concatenated, as llama-cli prints)");
                    assertEquals(c.text(), String.join("", pieces));
                    assertEquals(FinishReason.MAX_TOKENS, c.finishReason());
                    assertEquals(ids.length + 23, session.position(), "the last token is not fed: nobody reads its logits");
                }
            }
        }
    }

    @Test
    void stopStringsCancellationAndDeadline() throws IOException {
        JsonNode ref = JSON.readTree(Fixtures.require("reference/text/tiny-llava-text-f32.json").toFile());
        JsonNode p1 = ref.get("prompts").get(0);
        String full = new String(HexFormat.of().parseHex(p1.at("/greedy/text_hex").asText()), java.nio.charset.StandardCharsets.UTF_8);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        try (GgufFile file = GgufFile.open(Fixtures.require("models/tiny-llava/tiny-llava-text-f32.gguf")); Backend backend = new CpuBackend(2)) {
            TextModel m = TextModel.load(file, backend);
            Tokenizer tokenizer = Tokenizer.fromGguf(file);
            int[] ids = ints(p1.get("prompt_ids"));

            try (DecoderSession session = m.newSession(512)) {
                session.append(DecoderInput.tokens(ids));
                StringBuilder streamed = new StringBuilder();
                Completion c = Generator.run(session, tokenizer, new GenerationRequest(24, SamplingParams.GREEDY,
                        List.of(stop), Long.MAX_VALUE, () -> false, streamed::append), ids, new ReentrantLock());
                assertEquals(FinishReason.STOP_STRING, c.finishReason());
                assertEquals(full.substring(0, full.indexOf(stop)), c.text(), "text up to the stop string");
                assertEquals(c.text(), streamed.toString(), "no part of the stop string was streamed");
            }
            try (DecoderSession session = m.newSession(512)) {
                session.append(DecoderInput.tokens(ids));
                Completion c = Generator.run(session, tokenizer, new GenerationRequest(24, SamplingParams.GREEDY,
                        List.of(), Long.MAX_VALUE, () -> true, s -> { }), ids, new ReentrantLock());
                assertEquals(FinishReason.CANCELLED, c.finishReason());
                assertEquals(0, c.tokens().length);
            }
            try (DecoderSession session = m.newSession(512)) {
                session.append(DecoderInput.tokens(ids));
                Completion c = Generator.run(session, tokenizer, new GenerationRequest(24, SamplingParams.GREEDY,
                        List.of(), System.nanoTime() - 1, () -> false, s -> { }), ids, new ReentrantLock());
                assertEquals(FinishReason.TIMEOUT, c.finishReason());
            }
            try (DecoderSession session = m.newSession(ids.length + 5)) {
                session.append(DecoderInput.tokens(ids));
                Completion c = Generator.run(session, tokenizer, GenerationRequest.greedy(24), ids, new ReentrantLock());
                assertEquals(FinishReason.CONTEXT_FULL, c.finishReason());
                assertEquals(6, c.tokens().length, "5 fed + the one sampled from the last position");
            }
            try (DecoderSession session = m.newSession(512)) {
                session.append(DecoderInput.tokens(ids));
                var sampled = new SamplingParams(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234);
                Completion a = Generator.run(session, tokenizer, new GenerationRequest(16, sampled, List.of(),
                        Long.MAX_VALUE, () -> false, s -> { }), ids, new ReentrantLock());
                session.truncate(ids.length - 1);
                session.append(DecoderInput.tokens(new int[]{ids[ids.length - 1]}));
                Completion b = Generator.run(session, tokenizer, new GenerationRequest(16, sampled, List.of(),
                        Long.MAX_VALUE, () -> false, s -> { }), ids, new ReentrantLock());
                assertArrayEquals(a.tokens(), b.tokens(), "same seed, same prompt, same tokens");
                assertFalse(a.text().isEmpty());
                assertTrue(a.tokens().length <= 16);
            }
        }
    }
}
