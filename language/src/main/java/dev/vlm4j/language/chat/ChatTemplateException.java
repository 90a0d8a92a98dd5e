package dev.vlm4j.language.chat;

import dev.vlm4j.Vlm4jException;

/** A chat template that cannot be used: unknown name, unreadable file, or a Jinja template that fails to render. */
public final class ChatTemplateException extends Vlm4jException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
