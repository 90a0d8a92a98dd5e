package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Special tokens in text (parse on and off), BOS/EOS settings, decoding and the streaming detokenizer, on real vocabularies. */
class SpecialTokensAndDecodingTest {

    @Test
    void llama3ControlTokensAreRecognisedOnlyWhenParsingSpecial() {
        Tokenizer tok = TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf");
        int bot = tok.tokenId("<|begin_of_text|>");
        int eot = tok.tokenId("<|eot_id|>");
        String text = "<|begin_of_text|>Hello<|eot_id|>";
        int[] parsed = tok.encode(text, false, true);
        int[] plain = tok.encode(text, false, false);
        assertAll(
                () -> assertEquals(128000, bot),
                () -> assertEquals(128009, eot),
                () -> assertArrayEquals(new int[] {bot, tok.tokenId("Hello"), eot}, parsed, "parse_special = true"),
                () -> assertFalse(IntStream.of(plain).anyMatch(id -> id == bot || id == eot), "parse_special = false: " + Arrays.toString(plain)),
                () -> assertEquals(text, tok.decode(plain), "the plain tokens spell the markup as text"),
                () -> assertEquals("Hello", tok.decode(parsed), "control tokens render as nothing by default"),
                () -> assertEquals(text, tok.decode(parsed, false, true), "... and as their text when asked"),
                () -> assertArrayEquals(new int[] {bot, bot, tok.tokenId("Hello")}, tok.encode("<|begin_of_text|>Hello", true, true),
                        "add_special adds BOS even before a BOS in the text (llama.cpp only warns)"));
    }

    @Test
    void llama3SpecialIdsAndDefaults() {
        Tokenizer tok = TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf");
        assertAll(
                () -> assertEquals(Tokenizer.Kind.BYTE_LEVEL_BPE, tok.kind()),
                () -> assertEquals("llama3", tok.preTokenizer()),
                () -> assertEquals(128256, tok.vocabSize()),
                () -> assertEquals(128000, tok.bosId()),
                () -> assertEquals(128001, tok.eosId()),
                () -> assertEquals(128009, tok.eotId(), "<|eot_id|> found by its text"),
                () -> assertTrue(tok.addBos(), "llama-bpe adds BOS when the file does not say (it does not)"),
                () -> assertFalse(tok.addEos()),
                () -> assertTrue(tok.isEndOfGeneration(128001) && tok.isEndOfGeneration(128009), "EOS and EOT end generation"),
                () -> assertFalse(tok.isEndOfGeneration(128000), "BOS does not"),
                () -> assertEquals(TokenType.CONTROL, tok.type(128009)),
                () -> assertEquals(TokenType.NORMAL, tok.type(tok.tokenId("Hello"))),
                () -> assertEquals(-1, tok.tokenId("no such token text")));
    }

    @Test
    void sentencePieceAddsThePrefixSpaceAtTheStartAndAfterEachSpecialToken() {
        Tokenizer tok = TokenizerVectors.gguf("tokenizer/ggml-vocab-llama-spm.gguf");
        int hello = tok.tokenId("▁Hello");
        int world = tok.tokenId("▁world");
        int eos = tok.eosId();
        assertAll(
                () -> assertEquals(Tokenizer.Kind.SENTENCEPIECE, tok.kind()),
                () -> assertTrue(tok.addSpacePrefix()),
                () -> assertArrayEquals(new int[] {1, hello, world}, tok.encode("Hello world", true, false)),
                () -> assertArrayEquals(new int[] {hello, eos, world}, tok.encode("Hello</s>world", false, true),
                        "text after a special token gets the prefix space again"),
                () -> assertFalse(IntStream.of(tok.encode("Hello</s>world", false, false)).anyMatch(id -> id == eos),
                        "</s> is a control token: plain text unless parsing special"),
                () -> assertArrayEquals(new int[] {1}, tok.encode("", true, false), "empty text: only BOS"),
                () -> assertArrayEquals(new int[0], tok.encode("", false, false)),
                () -> assertEquals("Hello world", tok.decode(new int[] {hello, world}), "the first token's space is dropped"),
                () -> assertEquals(" Hello world", tok.decode(new int[] {1, hello, world}),
                        "after a BOS the space stays (llama_detokenize keeps it)"),
                () -> assertEquals("<s> Hello world", tok.decode(new int[] {1, hello, world}, false, true)),
                () -> assertEquals(" Hello world", tok.decode(new int[] {1, hello, world}, true, false)),
                () -> assertArrayEquals(" Hello".getBytes(StandardCharsets.UTF_8), tok.pieceBytes(hello)),
                () -> assertEquals("▁Hello", tok.tokenText(hello)),
                () -> assertArrayEquals(new byte[] {0x0A}, tok.pieceBytes(tok.tokenId("<0x0A>")), "byte tokens are one raw byte"),
                () -> assertEquals(TokenType.BYTE, tok.type(tok.tokenId("<0x0A>"))),
                () -> assertArrayEquals(new byte[0], tok.pieceBytes(1, false), "control tokens show nothing unless asked"));
    }

    @Test
    void userDefinedTokensAreAlwaysCutOutAndPhi3SpecialTokensSwallowTheSpaceAfterThem() {
        Tokenizer phi3 = TokenizerVectors.gguf("tokenizer/ggml-vocab-phi-3.gguf");
        int end = phi3.tokenId("<|end|>");
        assertEquals(TokenType.USER_DEFINED, phi3.type(2), "</s> is user-defined in phi-3's vocabulary");
        assertAll(
                () -> assertTrue(IntStream.of(phi3.encode("Hi</s>there", false, false)).anyMatch(id -> id == 2),
                        "user-defined tokens are cut out even when not parsing special"),
                () -> assertArrayEquals(phi3.encode("Hi</s>there", false, false), phi3.encode("Hi</s>   \n there", false, false),
                        "</s> swallows the whitespace after it (RSTRIP for general.name Phi3)"),
                () -> assertArrayEquals(phi3.encode("a<|end|>b", false, true), phi3.encode("a<|end|>\n\nb", false, true),
                        "so does <|end|>"),
                () -> assertEquals(3, phi3.encode("a<|end|>b", false, true).length - 0, "▁a <|end|> ▁b"),
                () -> assertEquals(end, phi3.encode("a<|end|>b", false, true)[1]),
                () -> assertTrue(phi3.isEndOfGeneration(end), "<|end|> ends generation"),
                () -> assertEquals(32000, phi3.eosId()));
    }

    static Stream<Arguments> vocabularies() {
        return Stream.of(
                Arguments.of("llama-spm", "ggml-vocab-llama-spm.gguf", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-llama-spm.gguf")),
                Arguments.of("phi-3", "ggml-vocab-phi-3.gguf", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-phi-3.gguf")),
                Arguments.of("gpt-2", "ggml-vocab-gpt-2.gguf", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-gpt-2.gguf")),
                Arguments.of("deepseek-llm", "ggml-vocab-deepseek-llm.gguf", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-deepseek-llm.gguf")),
                Arguments.of("falcon", "ggml-vocab-falcon.gguf", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-falcon.gguf")),
                Arguments.of("llama-bpe", "ggml-vocab-llama-bpe.gguf",
                        (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf")));
    }

    /**
     * Pieces put back together give the text's exact bytes (SentencePiece: with the prefix space it added), and
     * decode gives the text itself, except where llama.cpp's space clean-up changes it (" ." and the like).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void piecesRoundTripTheBytesOfEveryVectorCase(String label, String vectors, Supplier<Tokenizer> supplier) {
        Tokenizer tok = supplier.get();
        List<Executable> checks = new ArrayList<>();
        for (TokenizerVectors.Case c : TokenizerVectors.cases(vectors)) {
            int[] ids = tok.encode(c.text(), false, false);
            String expected = (tok.kind() == Tokenizer.Kind.SENTENCEPIECE && !c.text().isEmpty() ? " " : "") + c.text();
            ByteArrayOutputStream pieces = new ByteArrayOutputStream();
            StreamingDetokenizer stream = tok.streamingDetokenizer();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                pieces.writeBytes(tok.pieceBytes(id));
                streamed.append(stream.accept(id));
            }
            streamed.append(stream.flush());
            String what = label + " case " + c.index() + " " + TokenizerVectors.show(c.text());
            checks.add(() -> assertEquals(expected, pieces.toString(StandardCharsets.UTF_8), what + ": pieces"));
            checks.add(() -> assertEquals(expected, streamed.toString(), what + ": streamed"));
            boolean cleanable = c.text().matches("(?s).* [?!.,'].*");
            if (!cleanable) {
                checks.add(() -> assertEquals(c.text(), tok.decode(ids), what + ": decode"));
            }
        }
        assertAll(label, checks);
    }

    @Test
    void spaceCleanUpFollowsLlamaCppForVocabulariesThatAskForIt() {
        Tokenizer gpt2 = TokenizerVectors.gguf("tokenizer/ggml-vocab-gpt-2.gguf");
        Tokenizer deepseek = TokenizerVectors.gguf("tokenizer/ggml-vocab-deepseek-llm.gguf");
        String text = "Hi , there . I 'm sure it 's ' quoted ' and you 'll see !";
        assertAll(
                () -> assertEquals("Hi, there. I'm sure it's'quoted'and you 'll see!", gpt2.decode(gpt2.encode(text, false, false)),
                        "gpt-2 cleans spaces (clean_up_tokenization_spaces)"),
                () -> assertEquals(text, deepseek.decode(deepseek.encode(text, false, false)), "deepseek-llm does not"));
    }

    @Test
    void streamingHoldsBackAnEmojiSpreadOverByteTokens() {
        Tokenizer spm = TokenizerVectors.gguf("tokenizer/ggml-vocab-llama-spm.gguf");
        int[] ids = spm.encode("🦙!", false, false);
        // ▁ <0xF0> <0x9F> <0xA6> <0x99> !
        assertEquals(List.of("▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>", "!"),
                IntStream.of(ids).mapToObj(spm::tokenText).toList(), "the llama emoji falls back to bytes");
        StreamingDetokenizer stream = spm.streamingDetokenizer();
        List<String> out = IntStream.of(ids).mapToObj(stream::accept).toList();
        assertEquals(List.of(" ", "", "", "", "🦙", "!"), out);
        assertEquals("", stream.flush());

        StreamingDetokenizer cut = spm.streamingDetokenizer();
        cut.accept(ids[1]);
        cut.accept(ids[2]);
        assertEquals(2, cut.pendingBytes());
        assertEquals("\uFFFD", cut.flush(), "an unfinished character at the end becomes U+FFFD");

        Tokenizer llama3 = TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf");
        int[] bpeIds = llama3.encode("🦙🦙", false, false);
        StreamingDetokenizer bpeStream = llama3.streamingDetokenizer();
        StringBuilder sb = new StringBuilder();
        List<String> parts = new ArrayList<>();
        for (int id : bpeIds) {
            String s = bpeStream.accept(id);
            parts.add(s);
            sb.append(s);
            assertFalse(s.contains("\uFFFD"), "no partial character is ever emitted: " + parts);
        }
        assertEquals("🦙🦙", sb + bpeStream.flush(), "byte-level pieces " + parts);
    }

    @Test
    void llama3TokenizerJsonAndGgufAgree() {
        Tokenizer json = TokenizerVectors.llama3Json();
        Tokenizer gguf = TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf");
        String text = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat's 12345 × 678? 東京 🦙<|eot_id|>";
        assertAll(
                () -> assertEquals(gguf.vocabSize(), json.vocabSize()),
                () -> assertEquals(gguf.bosId(), json.bosId()),
                () -> assertEquals(gguf.eosId(), json.eosId()),
                () -> assertEquals(gguf.eotId(), json.eotId()),
                () -> assertEquals(gguf.preTokenizer(), json.preTokenizer()),
                () -> assertArrayEquals(gguf.encode(text, true, true), json.encode(text, true, true)),
                () -> assertArrayEquals(gguf.encode(text, false, false), json.encode(text, false, false)),
                () -> {
                    for (int id = 0; id < gguf.vocabSize(); id++) {
                        if (!Arrays.equals(gguf.pieceBytes(id), json.pieceBytes(id)) || gguf.type(id) != json.type(id)) {
                            throw new AssertionError("token " + id + ": " + gguf.tokenText(id) + " " + gguf.type(id) + " vs "
                                    + json.tokenText(id) + " " + json.type(id));
                        }
                    }
                });
    }
}
