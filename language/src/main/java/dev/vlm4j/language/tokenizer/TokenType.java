package dev.vlm4j.language.tokenizer;

/**
 * What a vocabulary entry is, as GGUF's {@code tokenizer.ggml.token_type} codes say (llama.cpp's
 * {@code llama_token_type}). It decides how a token is rendered and whether text can produce it.
 */
public enum TokenType {
    /** Code 0, and any code outside 0..6: rendered as nothing. */
    UNDEFINED(0),
    /** Ordinary text: produced by the tokenizer and rendered as its text. */
    NORMAL(1),
    /** The unknown token ({@code <unk>}). */
    UNKNOWN(2),
    /** Control tokens (BOS, EOS, chat markers): recognised in text only when special parsing is asked for. */
    CONTROL(3),
    /** Added tokens that are always cut out of the text before tokenizing, special parsing or not. */
    USER_DEFINED(4),
    /** Reserved entries: rendered as nothing. */
    UNUSED(5),
    /** Byte-fallback tokens {@code <0xNN>}: rendered as the single raw byte NN. */
    BYTE(6);

    private final int code;

    TokenType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type for a GGUF code; unknown codes read as {@link #UNDEFINED}, as llama.cpp reads them. */
    public static TokenType fromCode(int code) {
        return code >= 0 && code < values().length ? values()[code] : UNDEFINED;
    }

    /** Control, unknown and user-defined tokens are matched as whole strings before the text is tokenized. */
    boolean isSpecial() {
        return this == CONTROL || this == UNKNOWN || this == USER_DEFINED;
    }
}
