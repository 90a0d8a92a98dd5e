package dev.vlm4j.language.chat;

import java.util.Locale;

/** Who speaks in a chat message. Templates see the lower-case name ({@code "user"}). */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    public String templateName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
