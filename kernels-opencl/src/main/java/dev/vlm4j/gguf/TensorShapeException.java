package dev.vlm4j.gguf;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/** A tensor a model needs has another shape or type than the model's metadata implies. */
public final class TensorShapeException extends Vlm4jException {
    private final Path file;
    private final String tensor;

    public TensorShapeException(Path file, String tensor, String problem) {
        super(file + ": tensor '" + tensor + "' " + problem);
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
