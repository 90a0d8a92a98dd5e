package dev.vlm4j.vision.encoder;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/**
 * A well-formed mmproj file whose projector type or feature vlm4j does not implement (yet), e.g. a projector
 * type other than {@code mlp} and {@code idefics3}, or LLaVA-NeXT multi-layer features. Refused instead of
 * computing something else.
 */
public final class UnsupportedMmprojException extends Vlm4jException {
    private final Path file;

    public UnsupportedMmprojException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
