package dev.vlm4j.language.tokenizer;

/** The few UTF-8 facts the tokenizers need. */
final class Utf8 {
    private Utf8() {}

    /**
     * The length of the sequence a lead byte starts, by its high four bits as llama.cpp's
     * {@code unicode_len_utf8} reads them (a stray continuation byte counts as a sequence of one).
     */
    static int sequenceLength(byte lead) {
        int high = (lead & 0xFF) >>> 4;
        return high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
    }

    /**
     * How many bytes at the end of {@code buf[0, len)} are the start of a multi-byte character still missing its
     * last bytes (0 if the buffer ends on a character boundary or in bytes that can never become valid).
     */
    static int incompleteTail(byte[] buf, int len) {
        for (int back = 1; back <= 3 && back <= len; back++) {
            int b = buf[len - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for the lead
            }
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? (b <= 0xEF ? 3 : 0) : b >= 0xC2 ? 2 : 0;
            return need > back ? back : 0;
        }
        return 0;
    }
}
