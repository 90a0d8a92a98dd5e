package dev.vlm4j.vision.image;

import dev.vlm4j.Vlm4jException;

/** A preprocessing mode and model combination vlm4j does not implement (it refuses rather than guesses). */
public final class PreprocessingNotImplementedException extends Vlm4jException {
    public PreprocessingNotImplementedException(String message) {
        super(message);
    }
}
