package dev.vlm4j.language.model;

import dev.vlm4j.Vlm4jException;

/** The input does not fit the context: raised before any compute is spent on it. */
public final class PromptTooLongException extends Vlm4jException {
    private final int required;
    private final int contextLength;

    public PromptTooLongException(int required, int contextLength) {
        super("the prompt needs " + required + " positions but the context holds " + contextLength
                + "; shorten the prompt or raise the context length");
        this.required = required;
        this.contextLength = contextLength;
    }

    public int required() {
        return required;
    }

    public int contextLength() {
        return contextLength;
    }
}
