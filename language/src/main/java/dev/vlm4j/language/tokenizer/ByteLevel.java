package dev.vlm4j.language.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-to-character table: byte-level BPE vocabularies spell every byte as one printable character
 * (the printable Latin-1 bytes as themselves, the other 68 as U+0100 onwards in byte order), so that any byte
 * string is a string of "characters" the merges work on.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** The UTF-8 encoding of each byte's character (one or two bytes). */
    private static final byte[][] BYTE_TO_UTF8 = new byte[256][];
    /** Indexed by character; -1 where the character stands for no byte. */
    private static final short[] CHAR_TO_BYTE = new short[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            BYTE_TO_UTF8[b] = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {}

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** Appends byte {@code b} spelled in the byte-level alphabet, as UTF-8, at {@code out[at]}; returns the new end. */
    static int appendUtf8(int b, byte[] out, int at) {
        byte[] u = BYTE_TO_UTF8[b & 0xFF];
        out[at] = u[0];
        if (u.length == 1) {
            return at + 1;
        }
        out[at + 1] = u[1];
        return at + 2;
    }

    /**
     * The bytes a byte-level token text stands for, as llama.cpp's {@code llama_decode_text} renders them: a
     * character outside the alphabet (only in damaged or hand-made vocabularies) becomes the marker
     * {@code [UNK_BYTE_0x<its UTF-8 in hex><the whole token text>]}.
     */
    static byte[] decodeLikeLlamaCpp(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder marker = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    marker.append(String.format("%02x", u & 0xFF));
                }
                marker.append(text).append(']');
                out.writeBytes(marker.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
