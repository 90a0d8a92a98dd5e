package dev.vlm4j.language.tokenizer;

import dev.vlm4j.Vlm4jException;

/** A tokenizer file that cannot be used (naming the file and what is wrong), or a token id outside the vocabulary. */
public final class TokenizerException extends Vlm4jException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
