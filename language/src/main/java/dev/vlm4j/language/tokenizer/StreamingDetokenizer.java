package dev.vlm4j.language.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text as they arrive, one at a time: each token's piece (as llama.cpp prints
 * it while generating: {@code token_to_piece}, no space trimming) is appended, and only complete UTF-8 is
 * returned; the first bytes of a character whose last bytes come with a later token (an emoji spelled as byte
 * tokens, say) are held back until it is complete. Bytes that can never become valid UTF-8 come out as U+FFFD.
 *
 * <p>Not thread-safe: one per generation stream.
 */
public final class StreamingDetokenizer {
    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /**
     * @param renderSpecial show control tokens as their text; when false (usual for generated text) they add nothing
     */
    public StreamingDetokenizer(Tokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /** Adds one token; returns the text that is now complete (possibly empty). */
    public String accept(int id) {
        tokenizer.checkId(id);
        byte[] piece = tokenizer.piece(id, renderSpecial);
        if (pending.length < pendingLength + piece.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + piece.length));
        }
        System.arraycopy(piece, 0, pending, pendingLength, piece.length);
        pendingLength += piece.length;
        int ready = pendingLength - Utf8.incompleteTail(pending, pendingLength);
        String text = new String(pending, 0, ready, StandardCharsets.UTF_8);
        System.arraycopy(pending, ready, pending, 0, pendingLength - ready);
        pendingLength -= ready;
        return text;
    }

    /** Whatever is still held back (an incomplete character becomes U+FFFD); the detokenizer is empty afterwards. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /** Number of bytes held back waiting for the rest of a character. */
    public int pendingBytes() {
        return pendingLength;
    }
}
