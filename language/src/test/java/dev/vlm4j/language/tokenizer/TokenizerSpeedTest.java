package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Throughput on the fixture texts and long inputs that would expose quadratic work (100 kB of mixed text, of one
 * character, of whitespace, of digits, of CJK, of emoji). Times are printed, not asserted (the machine is
 * shared); what is asserted is that each long input comes back byte for byte from its pieces.
 */
class TokenizerSpeedTest {

    static Stream<Arguments> vocabularies() {
        return Stream.of(
                Arguments.of("llama-spm", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-llama-spm.gguf")),
                Arguments.of("gpt-2", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-gpt-2.gguf")),
                Arguments.of("deepseek-llm", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-deepseek-llm.gguf")),
                Arguments.of("falcon", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-falcon.gguf")),
                Arguments.of("llama-bpe", (Supplier<Tokenizer>) () -> TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void longInputsAndManyLines(String label, Supplier<Tokenizer> supplier) {
        Tokenizer tok = supplier.get();
        List<TokenizerVectors.Case> cases = TokenizerVectors.cases("ggml-vocab-llama-spm.gguf");
        int lines = 0;
        long tokens = 0;
        long t0 = System.nanoTime();
        for (int rep = 0; rep < 50; rep++) {
            for (TokenizerVectors.Case c : cases) {
                tokens += tok.encode(c.text(), true, true).length;
                lines++;
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf(Locale.ROOT, "%-12s %d fixture lines (%d tokens) in %.0f ms%n", label, lines, tokens, ms);

        StringBuilder mixed = new StringBuilder();
        while (mixed.length() < 100_000) {
            for (TokenizerVectors.Case c : cases) {
                mixed.append(c.text()).append(' ');
            }
        }
        List<Executable> checks = new ArrayList<>();
        for (String[] input : new String[][] {
                {"mixed", mixed.toString()},
                {"one letter", "a".repeat(100_000)},
                {"spaces", " ".repeat(100_000)},
                {"spaces then a word", " ".repeat(100_000) + "word"},
                {"newlines and spaces", " \n".repeat(50_000)},
                {"digits", "7".repeat(100_000)},
                {"CJK", "東京".repeat(50_000)},
                {"emoji", "🦙".repeat(25_000)},
                {"punctuation", "!?".repeat(50_000)}}) {
            long start = System.nanoTime();
            int[] ids = tok.encode(input[1], false, false);
            double took = (System.nanoTime() - start) / 1e6;
            System.out.printf(Locale.ROOT, "%-12s 100 kB %-20s %7d tokens in %6.0f ms%n", label, input[0], ids.length, took);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                bytes.writeBytes(tok.pieceBytes(id));
            }
            String expected = (tok.kind() == Tokenizer.Kind.SENTENCEPIECE ? " " : "") + input[1];
            checks.add(() -> assertEquals(expected, bytes.toString(StandardCharsets.UTF_8), label + " " + input[0] + ": pieces give the input back"));
        }
        assertAll(label, checks);
    }
}
