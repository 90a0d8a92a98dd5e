package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import dev.vlm4j.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The algorithms on hand-made vocabularies small enough to work out by hand (merge order by score and by rank,
 * ties, byte fallback, merges whose result is no token), and a typed error naming the file and the problem for
 * every kind of malformed vocabulary.
 */
class TinyVocabularyTest {
    @TempDir
    Path dir;

    // ---- SentencePiece ----

    /** {@code <unk> <s> </s> <0x00>..<0xFF>} then the given pieces with their scores. */
    private GgufWriter spm(List<String> pieces, float... scores) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Float> allScores = new ArrayList<>(List.of(0f, 0f, 0f));
        List<Long> types = new ArrayList<>(List.of(2L, 3L, 3L));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            allScores.add(0f);
            types.add(6L);
        }
        for (int i = 0; i < pieces.size(); i++) {
            tokens.add(pieces.get(i));
            allScores.add(scores[i]);
            types.add(1L);
        }
        float[] s = new float[allScores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = allScores.get(i);
        }
        return new GgufWriter()
                .put("general.architecture", GgufValue.str("llama"))
                .put("tokenizer.ggml.model", GgufValue.str("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.strings(tokens))
                .put("tokenizer.ggml.scores", GgufValue.floats(s))
                .put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, types.stream().mapToLong(Long::longValue).toArray()));
    }

    private Tokenizer load(GgufWriter writer, String name) {
        Path path = dir.resolve(name);
        writer.write(path);
        try (GgufFile file = GgufFile.open(path)) {
            return Tokenizer.fromGguf(file);
        }
    }

    private static List<String> texts(Tokenizer tok, int[] ids) {
        return IntStream.of(ids).mapToObj(tok::tokenText).toList();
    }

    @Test
    void sentencePieceMergesTheHighestScoringPairFirst() {
        Tokenizer tok = load(spm(List.of("▁", "a", "b", "c", "▁a", "ab", "bc", "abc"), -5, -5, -5, -5, -1, -2, -0.5f, -3), "spm.gguf");
        // ▁ a b c: "bc" (-0.5) first, then "▁a" (-1); "abc" (-3) never forms because "a" is gone by then
        assertEquals(List.of("▁a", "bc"), texts(tok, tok.encode("abc", false, false)));
        assertEquals(List.of("<s>", "▁a", "bc"), texts(tok, tok.encode("abc", true, false)));
    }

    @Test
    void sentencePieceBreaksScoreTiesLeftmostFirstAndHonoursAddSpacePrefixFalse() {
        Tokenizer tok = load(spm(List.of("a", "aa"), -1, -1).put("tokenizer.ggml.add_space_prefix", GgufValue.bool(false)), "tie.gguf");
        assertEquals(List.of("aa", "a"), texts(tok, tok.encode("aaa", false, false)));
        assertEquals(List.of("aa", "aa"), texts(tok, tok.encode("aaaa", false, false)));
        assertEquals("aaa", tok.decode(tok.encode("aaa", false, false)));
    }

    @Test
    void sentencePieceFallsBackToByteTokensAndFailsClearlyWithoutThem() {
        Tokenizer tok = load(spm(List.of("▁", "a"), -1, -1), "bytes.gguf");
        assertEquals(List.of("▁", "a", "<0xC3>", "<0xA9>"), texts(tok, tok.encode("aé", false, false)));
        assertEquals("aé", tok.decode(tok.encode("aé", false, false)));

        Tokenizer noBytes = load(new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.str("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.strings(List.of("<unk>", "<s>", "</s>", "▁", "a"))), "nobytes.gguf");
        TokenizerException e = assertThrows(TokenizerException.class, () -> noBytes.encode("aé", false, false));
        assertTrue(e.getMessage().contains("nobytes.gguf") && e.getMessage().contains("0xC3"), e.getMessage());
        assertEquals(List.of("▁", "a"), texts(noBytes, noBytes.encode("a", false, false)));
    }

    // ---- byte-level BPE ----

    /** Every byte-level character as a token, then the extra tokens, with the merges in rank order. */
    private GgufWriter bpe(List<String> extraTokens, List<String> merges) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
        }
        tokens.addAll(extraTokens);
        return new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.str("gpt2"))
                .put("tokenizer.ggml.pre", GgufValue.str("gpt-2"))
                .put("tokenizer.ggml.tokens", GgufValue.strings(tokens))
                .put("tokenizer.ggml.merges", GgufValue.strings(merges));
    }

    @Test
    void bytePairsMergeByRank() {
        Tokenizer abFirst = load(bpe(List.of("ab", "bc", "abc"), List.of("a b", "ab c", "b c")), "rank1.gguf");
        Tokenizer bcFirst = load(bpe(List.of("ab", "bc", "abc"), List.of("b c", "a b", "ab c")), "rank2.gguf");
        assertAll(
                () -> assertEquals(List.of("abc"), texts(abFirst, abFirst.encode("abc", false, false))),
                () -> assertEquals(List.of("a", "bc"), texts(bcFirst, bcFirst.encode("abc", false, false))),
                () -> assertEquals(List.of("ab", "Ġ", "abc"), texts(abFirst, abFirst.encode("ab abc", false, false)),
                        "\" abc\" is one word; Ġ+a has no merge"),
                () -> assertEquals(11, abFirst.bosId(), "llama.cpp's BPE default BOS/EOS is 11"),
                () -> assertEquals(false, abFirst.addBos()));
    }

    @Test
    void aMergeWhoseResultIsNoTokenFallsBackToTheTokensOfItsBytes() {
        // "x y" merges, but "xy" is not in the vocabulary: llama.cpp emits the single-byte tokens instead
        Tokenizer tok = load(bpe(List.of("xyz"), List.of("x y", "xy z")), "fallback.gguf");
        assertEquals(List.of("x", "y"), texts(tok, tok.encode("xy", false, false)));
        assertEquals(List.of("xyz"), texts(tok, tok.encode("xyz", false, false)), "the non-token symbol still merges on");
    }

    // ---- malformed vocabularies ----

    private void assertRejected(String name, Consumer<GgufWriter> damage, String... expectedInMessage) {
        GgufWriter writer = spm(List.of("▁", "a"), -1, -1);
        damage.accept(writer);
        Path path = dir.resolve(name);
        writer.write(path);
        try (GgufFile file = GgufFile.open(path)) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromGguf(file));
            assertTrue(e.getMessage().contains(name), "names the file: " + e.getMessage());
            for (String part : expectedInMessage) {
                assertTrue(e.getMessage().contains(part), "mentions '" + part + "': " + e.getMessage());
            }
            assertTrue(e instanceof Vlm4jException);
        }
    }

    @Test
    void malformedVocabulariesAreRejectedWithTheFileAndTheProblem() {
        assertAll(
                () -> assertRejected("nomodel.gguf", w -> w.put("tokenizer.ggml.model", GgufValue.u32(1)), "tokenizer.ggml.model"),
                () -> assertRejected("bert.gguf", w -> w.put("tokenizer.ggml.model", GgufValue.str("bert")), "'bert'", "not supported"),
                () -> assertRejected("notokens.gguf", w -> w.put("tokenizer.ggml.tokens", GgufValue.ints(GgufValueType.INT32, 1, 2)),
                        "tokenizer.ggml.tokens"),
                () -> assertRejected("emptytokens.gguf", w -> w.put("tokenizer.ggml.tokens", GgufValue.strings(List.of())),
                        "tokenizer.ggml.tokens", "empty"),
                () -> assertRejected("scores.gguf", w -> w.put("tokenizer.ggml.scores", GgufValue.floats(1f, 2f, 3f)),
                        "tokenizer.ggml.scores", "3 entries", "261 tokens"),
                () -> assertRejected("types.gguf", w -> w.put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, 1, 1)),
                        "tokenizer.ggml.token_type", "2 entries"),
                () -> assertRejected("bos.gguf", w -> w.put("tokenizer.ggml.bos_token_id", GgufValue.u32(999)),
                        "tokenizer.ggml.bos_token_id", "999", "outside"),
                () -> assertRejected("eos.gguf", w -> w.put("tokenizer.ggml.eos_token_id", GgufValue.u32(261)),
                        "tokenizer.ggml.eos_token_id", "261"),
                () -> assertRejected("pre.gguf", w -> w.put("tokenizer.ggml.model", GgufValue.str("gpt2"))
                        .put("tokenizer.ggml.merges", GgufValue.strings(List.of())).put("tokenizer.ggml.pre", GgufValue.str("no-such-pre")),
                        "'no-such-pre'", "llama-bpe"),
                () -> assertRejected("merges.gguf", w -> w.put("tokenizer.ggml.model", GgufValue.str("gpt2")), "tokenizer.ggml.merges", "missing"),
                () -> assertRejected("bytetype.gguf", w -> w.put("tokenizer.ggml.tokens", GgufValue.strings(replace(3, "<0xZZ>"))),
                        "token 3", "BYTE"),
                () -> assertRejected("addbos.gguf", w -> w.put("tokenizer.ggml.model", GgufValue.str("gpt2"))
                        .put("tokenizer.ggml.merges", GgufValue.strings(List.of()))
                        .put("tokenizer.ggml.tokens", GgufValue.strings(List.of("a", "b")))
                        .put("tokenizer.ggml.scores", GgufValue.floats(0, 0))
                        .put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, 1, 1))
                        .put("tokenizer.ggml.add_bos_token", GgufValue.bool(true)), "no BOS"));
    }

    private List<String> replace(int index, String text) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
        }
        tokens.addAll(List.of("▁", "a"));
        tokens.set(index, text);
        return tokens;
    }

    @Test
    void idsOutsideTheVocabularyAreTypedErrors() {
        Tokenizer tok = load(spm(List.of("▁", "a"), -1, -1), "ids.gguf");
        assertAll(
                () -> assertThrows(TokenizerException.class, () -> tok.decode(new int[] {3, 261})),
                () -> assertThrows(TokenizerException.class, () -> tok.pieceBytes(-1)),
                () -> assertThrows(TokenizerException.class, () -> tok.type(261)),
                () -> assertThrows(TokenizerException.class, () -> tok.streamingDetokenizer().accept(1000)),
                () -> assertTrue(assertThrows(TokenizerException.class, () -> tok.piece(261)).getMessage().contains("261 tokens")));
    }

    @Test
    void badHuggingFaceFilesAreTypedErrors() throws IOException {
        Path missing = dir.resolve("missing.json");
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"model\": ");
        Path wordPiece = Files.writeString(dir.resolve("wordpiece.json"), "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}");
        Path metaspace = Files.writeString(dir.resolve("metaspace.json"),
                "{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        Path badId = Files.writeString(dir.resolve("badid.json"),
                "{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -4}, \"merges\": []}}");
        assertAll(
                () -> assertMessage(missing, "no such file"),
                () -> assertMessage(broken, "not valid JSON"),
                () -> assertMessage(wordPiece, "'WordPiece'"),
                () -> assertMessage(metaspace, "Metaspace"),
                () -> assertMessage(badId, "not a token id"));
    }

    private static void assertMessage(Path json, String part) {
        TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromHuggingFace(json, null));
        assertTrue(e.getMessage().contains(json.getFileName().toString()) && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void aMinimalHuggingFaceByteLevelVocabularyWorks() throws IOException {
        Path json = Files.writeString(dir.resolve("tiny.json"), """
                {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                 "added_tokens": [{"id": 5, "content": "<|end|>", "special": true}, {"id": 6, "content": "<x>", "special": false}],
                 "model": {"type": "BPE", "vocab": {"h": 0, "i": 1, "hi": 2, "Ġ": 3, "Ġhi": 4},
                           "merges": [["h", "i"], "Ġ hi"]}}
                """, StandardCharsets.UTF_8);
        Path config = Files.writeString(dir.resolve("config.json"), "{\"eos_token\": {\"content\": \"<|end|>\"}}");
        Tokenizer tok = Tokenizer.fromHuggingFace(json, config);
        assertAll(
                () -> assertEquals("gpt-2", tok.preTokenizer()),
                () -> assertEquals(7, tok.vocabSize()),
                () -> assertArrayEquals(new int[] {2, 4, 5, 6}, tok.encode("hi hi<|end|><x>", true, true), "no BOS without one in the config"),
                () -> assertArrayEquals(new int[] {2, 4, 6}, tok.encode("hi hi<x>", false, false), "<x> is user-defined: always cut out"),
                () -> assertEquals(TokenType.CONTROL, tok.type(5)),
                () -> assertEquals(TokenType.USER_DEFINED, tok.type(6)),
                () -> assertEquals(5, tok.eosId()),
                () -> assertEquals(-1, tok.bosId()),
                () -> assertTrue(tok.isEndOfGeneration(5)),
                () -> assertEquals("hi hi<x>", tok.decode(new int[] {2, 4, 5, 6})));
    }
}
