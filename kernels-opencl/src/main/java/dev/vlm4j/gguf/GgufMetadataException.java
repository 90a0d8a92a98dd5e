package dev.vlm4j.gguf;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/** A metadata key a model needs is missing, or holds a value of the wrong type or range. */
public final class GgufMetadataException extends Vlm4jException {
    private final Path file;
    private final String key;

    public GgufMetadataException(Path file, String key, String problem) {
        super(file + ": metadata '" + key + "' " + problem);
        this.file = file;
        this.key = key;
    }

    public Path file() {
        return file;
    }

    public String key() {
        return key;
    }
}
