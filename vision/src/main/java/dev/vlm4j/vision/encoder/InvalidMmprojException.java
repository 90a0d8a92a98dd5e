package dev.vlm4j.vision.encoder;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/**
 * An mmproj file that cannot be a working vision encoder: not a CLIP file, a tensor with the wrong shape,
 * hyperparameters that contradict each other. Names the file and what is wrong.
 */
public final class InvalidMmprojException extends Vlm4jException {
    private final Path file;

    public InvalidMmprojException(Path file, String problem) {
        super(file + ": not a usable vision projector (mmproj): " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
