package dev.vlm4j;

/**
 * Root of every error vlm4j raises on purpose. Subtypes say what went wrong in terms a user can act on
 * (which file, which field, what was expected); a raw {@code IndexOutOfBoundsException} or OOM escaping
 * from a parser is a bug.
 */
public class Vlm4jException extends RuntimeException {
    public Vlm4jException(String message) {
        super(message);
    }

    public Vlm4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
