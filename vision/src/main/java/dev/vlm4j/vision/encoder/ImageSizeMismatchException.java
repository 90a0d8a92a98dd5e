package dev.vlm4j.vision.encoder;

import dev.vlm4j.Vlm4jException;

/** A pixel tensor whose size or channel count is not what the encoder was trained for (preprocess it first). */
public final class ImageSizeMismatchException extends Vlm4jException {
    public ImageSizeMismatchException(String message) {
        super(message);
    }
}
