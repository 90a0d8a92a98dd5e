package dev.vlm4j.sdk;

import dev.vlm4j.Vlm4jException;

/** A model could not be found, fetched or loaded; the message says which file and why. */
public class ModelLoadException extends Vlm4jException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
