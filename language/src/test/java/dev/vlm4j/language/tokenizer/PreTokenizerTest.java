package dev.vlm4j.language.tokenizer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Word splits of each pre-tokenizer worked out by hand from llama.cpp's unicode.cpp (the hand-written GPT-2 and
 * Llama 3 scanners, and its regexes run on the category-collapsed text or on code points), on strings chosen to
 * hit the alternatives: contractions, whitespace runs before a word, line breaks, digit groups, punctuation after
 * a space, non-ASCII whitespace, CJK, trailing whitespace.
 */
class PreTokenizerTest {
    private static final String TRICKY = "I'M   fine\r\n\n  ok123456 ,x";

    private static List<String> words(PreTokenizer pre, String text) {
        int[] cps = text.codePoints().toArray();
        IntBuffer lengths = pre.split(new SplitText(cps));
        List<String> out = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < lengths.size(); i++) {
            out.add(new String(cps, pos, lengths.get(i)));
            pos += lengths.get(i);
        }
        assertEquals(cps.length, pos, "the words cover the text");
        return out;
    }

    @Test
    void llama3() {
        assertAll(
                () -> assertEquals(List.of("I", "'M", "  ", " fine", "\r\n\n", " ", " ok", "123", "456", " ,", "x"), words(PreTokenizer.LLAMA3, TRICKY)),
                () -> assertEquals(List.of("a", "\u00A0", "\u00A0b"), words(PreTokenizer.LLAMA3, "a\u00A0\u00A0b"), "no-break spaces are whitespace"),
                () -> assertEquals(List.of("x", "  "), words(PreTokenizer.LLAMA3, "x  "), "trailing whitespace stays whole"),
                () -> assertEquals(List.of(" ?!\n\n", "ab"), words(PreTokenizer.LLAMA3, " ?!\n\nab"), "punctuation takes the line breaks after it"));
    }

    @Test
    void gpt2() {
        assertAll(
                () -> assertEquals(List.of("I", "'", "M", "  ", " fine", "\r\n\n ", " ok", "123456", " ,", "x"), words(PreTokenizer.GPT2, TRICKY),
                        "contractions are case-sensitive; digits are one word"),
                () -> assertEquals(List.of("it", "'s", " ok"), words(PreTokenizer.GPT2, "it's ok")));
    }

    @Test
    void qwen2RunsItsRegexOnTheCollapsedText() {
        assertAll(
                () -> assertEquals(List.of("I", "'M", "  ", " fine", "\r\n\n", " ", " ok", "1", "2", "3", "4", "5", "6", " ,", "x"),
                        words(PreTokenizer.QWEN2, TRICKY), "one digit per word"),
                () -> assertEquals(List.of("東京", " café", "—x"), words(PreTokenizer.QWEN2, "東京 café—x"), "a dash is the optional lead of a letter run"));
    }

    @Test
    void deepseekLlmRunsItsRegexesOnCodePoints() {
        assertEquals(List.of("Hello", ",", " ", "世界", "!", " ", "123", "  "), words(PreTokenizer.DEEPSEEK_LLM, "Hello, 世界! 123  "));
    }

    @Test
    void defaultFalconAndStarcoderFamilies() {
        assertAll(
                () -> assertEquals(List.of("Hi", "!!", " ", "123", "456", "7", " ", "$", "5"), words(PreTokenizer.DEFAULT, "Hi!! 1234567 $5")),
                () -> assertEquals(List.of("x", "`", "y", " ", "123", "45"), words(PreTokenizer.FALCON, "x`y 12345")),
                () -> assertEquals(List.of("ab", "1", "2", " c"), words(PreTokenizer.SMOLLM, "ab12 c")),
                () -> assertEquals(List.of("ab", "1", "2", " c"), words(PreTokenizer.STARCODER, "ab12 c")));
    }

    @Test
    void namesAndFlagsFollowLlamaCpp() {
        assertAll(
                () -> assertEquals(PreTokenizer.LLAMA3, PreTokenizer.forName("llama-bpe").orElseThrow()),
                () -> assertEquals(PreTokenizer.QWEN2, PreTokenizer.forName("deepseek-r1-qwen").orElseThrow()),
                () -> assertEquals(PreTokenizer.SMOLLM, PreTokenizer.forName("smollm").orElseThrow()),
                () -> assertEquals(true, PreTokenizer.LLAMA3.ignoreMerges() && PreTokenizer.LLAMA3.addBosByDefault()),
                () -> assertEquals(false, PreTokenizer.QWEN2.cleanSpaces() || PreTokenizer.DEEPSEEK_LLM.cleanSpaces() || PreTokenizer.SMOLLM.cleanSpaces()),
                () -> assertEquals(true, PreTokenizer.GPT2.cleanSpaces() && PreTokenizer.FALCON.cleanSpaces() && PreTokenizer.DEFAULT.cleanSpaces()),
                () -> assertEquals(false, PreTokenizer.forName("no-such").isPresent()));
    }
}
