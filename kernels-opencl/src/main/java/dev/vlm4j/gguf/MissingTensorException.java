package dev.vlm4j.gguf;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/** A model needs a tensor its file does not have. */
public final class MissingTensorException extends Vlm4jException {
    private final Path file;
    private final String tensor;

    public MissingTensorException(Path file, String tensor) {
        super(file + ": has no tensor '" + tensor + "'");
        this.file = file;
        this.tensor = tensor;
    }

    public Path file() {
        return file;
    }

    public String tensor() {
        return tensor;
    }
}
