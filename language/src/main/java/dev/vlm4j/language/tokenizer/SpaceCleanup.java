package dev.vlm4j.language.tokenizer;

/**
 * llama.cpp's {@code clean_spaces} step of detokenizing (Hugging Face's clean_up_tokenization_spaces), applied
 * in place to bytes in the same three passes so that the result is the same byte for byte: drop a space before
 * {@code ? ! . ,}; turn {@code " ' "} into {@code "'"}; drop a space before {@code 's 'm 're 've}.
 */
final class SpaceCleanup {
    private SpaceCleanup() {}

    /** Cleans {@code text[0, total)} in place and returns the new length. */
    static int apply(byte[] text, int total) {
        // first pass: " ?", " !", " .", " ,"
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        // second pass: a single apostrophe between spaces loses both spaces
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0; // the next space is skipped; llama.cpp leaves a NUL there that the next test reads
            }
            text[total++] = x;
        }
        // third pass: " 's", " 'm", " 're", " 've" (but not " 't", " 'd", " 'll")
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
                        total--;
                    }
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
