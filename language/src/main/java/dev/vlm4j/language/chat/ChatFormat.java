package dev.vlm4j.language.chat;

import java.util.List;

/**
 * Lays a conversation out as the model was trained to read it. Either the Jinja template a GGUF carries
 * ({@link JinjaChatFormat}) or one of the built-in formats for files that carry none ({@link BuiltinChatFormat}).
 */
public sealed interface ChatFormat permits BuiltinChatFormat, JinjaChatFormat {
    /** A short name for logs and errors. */
    String name();

    /**
     * The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's answer starts.
     * Images appear as {@link RenderedPrompt.Segment.Image} slots where the format places them.
     */
    RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Text that ends an assistant turn in this format, to stop generation on even when no EOG token is produced. */
    List<String> stopStrings();
}
