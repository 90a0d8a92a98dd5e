package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fixture models' own vocabularies against what llama.cpp recorded running them (fixtures/reference): prompt
 * ids with and without BOS (add_special, parse_special = true, as llama-cli), each prompt token's piece, the
 * pieces of the generated tokens and of the top-20 logits, and the generated text printed piece by piece.
 */
class ReferencePromptsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> textModels() {
        return Stream.of("tiny-llava-text-f32", "tiny-llava-text-f16", "tiny-llava-text-q8_0", "tiny-llava-text-q4_0",
                "tiny-llama-tied-f16", "tiny-llama3-bpe-q8_0").map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("textModels")
    void textPromptsTokenizeAndDecodeLikeLlamaCpp(String name) throws IOException {
        JsonNode ref = JSON.readTree(Fixtures.require("reference/text/" + name + ".json").toFile());
        Tokenizer tok = TokenizerVectors.gguf(ref.get("model_file").asText());
        List<Executable> checks = new ArrayList<>();
        for (JsonNode p : ref.get("prompts")) {
            String label = name + " " + p.get("name").asText();
            String prompt = new String(HEX.parseHex(p.get("prompt_hex").asText()), StandardCharsets.UTF_8);
            checks.add(() -> assertArrayEquals(ints(p.get("prompt_ids")), tok.encode(prompt, true, true), label + " prompt_ids"));
            checks.add(() -> assertArrayEquals(ints(p.get("llama_tokenize_ids")), tok.encode(prompt, true, true), label + " llama-tokenize ids"));
            checks.add(() -> assertArrayEquals(ints(p.get("prompt_ids_without_bos")), tok.encode(prompt, false, true),
                    label + " prompt_ids_without_bos"));
            checks.add(() -> assertPieces(tok, ints(p.get("prompt_ids")), p.get("prompt_pieces_hex"), label + " prompt pieces"));
            checks.add(() -> assertPieces(tok, ints(p.at("/greedy/ids")), p.at("/greedy/pieces_hex"), label + " greedy pieces"));
            for (JsonNode top : p.at("/last_prompt_logits/top20")) {
                checks.add(() -> assertEquals(top.get("piece_hex").asText(), HEX.formatHex(tok.pieceBytes(top.get("id").asInt())),
                        label + " top-20 piece of " + top.get("id").asInt()));
            }
            checks.add(() -> assertStreamed(tok, ints(p.at("/greedy/ids")), p.at("/greedy/text_hex").asText(), label + " greedy text"));
        }
        assertAll(name, checks);
    }

    static Stream<Arguments> llavaRuns() {
        return Stream.of("llava-text-f32-mmproj-f32", "llava-text-f16-mmproj-f16", "llava-text-q8_0-mmproj-f16",
                "llava-text-q4_0-mmproj-f16").map(Arguments::of);
    }

    /** llava-cli's prompt: system part with BOS, user part without BOS but with SentencePiece's prefix space. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("llavaRuns")
    void llavaPromptPartsTokenizeLikeLlavaCli(String name) throws IOException {
        JsonNode ref = JSON.readTree(Fixtures.require("reference/llava/" + name + ".json").toFile());
        Tokenizer tok = TokenizerVectors.gguf(ref.get("text_model_file").asText());
        List<Executable> checks = new ArrayList<>();
        for (JsonNode run : ref.get("runs")) {
            String label = name + " " + run.get("image").asText();
            checks.add(() -> assertArrayEquals(ints(run.get("system_prompt_ids")), tok.encode(run.get("system_prompt").asText(), true, true),
                    label + " system prompt"));
            checks.add(() -> assertArrayEquals(ints(run.get("user_prompt_ids")), tok.encode(run.get("user_prompt").asText(), false, true),
                    label + " user prompt"));
            checks.add(() -> assertStreamed(tok, ints(run.at("/greedy/ids")), run.at("/greedy/text_hex").asText(), label + " greedy text"));
            checks.add(() -> assertEquals(run.at("/greedy/text_hex").asText(), run.get("llava_cli_prints_hex").asText(),
                    label + " (fixture consistency) llava-cli printed the pieces"));
        }
        assertAll(name, checks);
    }

    private static void assertPieces(Tokenizer tok, int[] ids, JsonNode piecesHex, String label) {
        List<String> expected = new ArrayList<>();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            expected.add(piecesHex.get(i).asText());
            got.add(HEX.formatHex(tok.pieceBytes(ids[i])));
        }
        assertEquals(expected, got, label);
    }

    /** Token by token through the streaming detokenizer gives the bytes llama.cpp printed (as UTF-8 text). */
    private static void assertStreamed(Tokenizer tok, int[] ids, String textHex, String label) {
        StreamingDetokenizer stream = new StreamingDetokenizer(tok, true);
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            sb.append(stream.accept(id));
            bytes.writeBytes(tok.pieceBytes(id));
        }
        sb.append(stream.flush());
        byte[] expected = HEX.parseHex(textHex);
        assertEquals(textHex, HEX.formatHex(bytes.toByteArray()), label + " (bytes)");
        assertEquals(new String(expected, StandardCharsets.UTF_8), sb.toString(), label + " (streamed text)");
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
