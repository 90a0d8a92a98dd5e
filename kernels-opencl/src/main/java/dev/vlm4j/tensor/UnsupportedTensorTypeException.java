package dev.vlm4j.tensor;

import dev.vlm4j.Vlm4jException;

/** A tensor type vlm4j can read from a file but cannot compute with (yet). */
public final class UnsupportedTensorTypeException extends Vlm4jException {
    private final GgmlType type;

    public UnsupportedTensorTypeException(GgmlType type) {
        super("tensor type " + type + " is not supported for computation by vlm4j");
        this.type = type;
    }

    /** With a message that says where (which tensor, which backend) the type was refused. */
    public UnsupportedTensorTypeException(GgmlType type, String message) {
        super(message);
        this.type = type;
    }

    public GgmlType type() {
        return type;
    }
}
