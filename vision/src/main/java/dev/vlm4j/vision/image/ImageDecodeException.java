package dev.vlm4j.vision.image;

import dev.vlm4j.Vlm4jException;

/**
 * An image that cannot be decoded: empty, truncated, corrupt, of an unknown or unsupported format, or larger than
 * the configured pixel limit. The message names the source (a file path, {@code <bytes>}, {@code <stream>},
 * {@code <data URI>}) and what is wrong.
 */
public final class ImageDecodeException extends Vlm4jException {
    private final String source;

    public ImageDecodeException(String source, String problem) {
        super("cannot decode image " + source + ": " + problem);
        this.source = source;
    }

    public ImageDecodeException(String source, String problem, Throwable cause) {
        super("cannot decode image " + source + ": " + problem, cause);
        this.source = source;
    }

    /** The file path, or {@code <bytes>} / {@code <stream>} / {@code <data URI>} / a caller-given name. */
    public String source() {
        return source;
    }
}
