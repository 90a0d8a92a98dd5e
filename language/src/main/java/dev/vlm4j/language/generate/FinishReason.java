package dev.vlm4j.language.generate;

/** Why generation ended. */
public enum FinishReason {
    /** The model produced an end-of-generation token (EOS, EOT, ...). */
    END_OF_GENERATION,
    /** A caller-given stop string appeared (it is not part of the text). */
    STOP_STRING,
    /** The token limit was reached. */
    MAX_TOKENS,
    /** The context filled up. */
    CONTEXT_FULL,
    /** The caller cancelled (a cancellation check or a thread interrupt). */
    CANCELLED,
    /** The time limit passed. */
    TIMEOUT
}
