package dev.vlm4j.language.tokenizer;

/**
 * The code point classes the pre-tokenizers test, defined as llama.cpp defines them: the Unicode general
 * category (\p{L}, \p{N}, \p{P}, \p{M}, \p{S}, everything else) plus its own whitespace set, which is the
 * Unicode White_Space property (25 code points). Categories come from the JDK's Unicode tables, which may be a
 * newer Unicode version than llama.cpp's; only code points assigned in between can differ.
 */
final class CodepointClass {
    static final int LETTER = 1;
    static final int NUMBER = 2;
    static final int WHITESPACE = 4;
    static final int PUNCTUATION = 8;
    static final int MARK = 16;
    static final int SYMBOL = 32;
    /** Separators, controls, format, private use, unassigned. */
    static final int OTHER = 64;

    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int cp = 0; cp < BMP.length; cp++) {
            BMP[cp] = (byte) compute(cp);
        }
    }

    private CodepointClass() {}

    static int of(int cp) {
        return cp < 0x10000 ? BMP[cp] : compute(cp);
    }

    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /**
     * The one-character stand-in llama.cpp uses to run category regexes with a byte regex engine: ASCII stays
     * itself, other whitespace becomes U+000B (which {@code \s} matches), each category becomes one marker
     * character (U+00D1 number, U+00D2 letter, U+00D3 punctuation, U+00D4 mark, U+00D5 symbol, U+00D0 other).
     */
    static char collapsed(int cp) {
        if (cp < 0x80) {
            return (char) cp;
        }
        int c = of(cp);
        if ((c & WHITESPACE) != 0) {
            return '\u000B';
        }
        if ((c & NUMBER) != 0) {
            return '\u00D1';
        }
        if ((c & LETTER) != 0) {
            return '\u00D2';
        }
        if ((c & PUNCTUATION) != 0) {
            return '\u00D3';
        }
        if ((c & MARK) != 0) {
            return '\u00D4';
        }
        if ((c & SYMBOL) != 0) {
            return '\u00D5';
        }
        return '\u00D0';
    }

    private static int compute(int cp) {
        int category = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            default -> OTHER;
        };
        return isWhitespace(cp) ? category | WHITESPACE : category;
    }
}
