package dev.vlm4j.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A named tensor whose bytes live in a {@link MemorySegment}: a view into a memory-mapped GGUF file (never
 * copied onto the heap) or a buffer a writer or test built. Rows are laid out as ggml does: {@code shape.rows()}
 * rows of {@code shape.rowLength()} values, each row {@code type.bytesFor(rowLength)} bytes.
 */
public record Tensor(String name, GgmlType type, Shape shape, MemorySegment data) {
    public Tensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long expected = type.bytesFor(shape.elements());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + shape + " needs " + expected
                    + " bytes, the segment has " + data.byteSize());
        }
    }

    public long rowBytes() {
        return type.bytesFor(shape.rowLength());
    }

    public long rows() {
        return shape.rows();
    }

    /** Row length (the contiguous dimension), as an int: every row vlm4j computes with fits one array. */
    public int columns() {
        return Math.toIntExact(shape.rowLength());
    }

    /** The bytes of row {@code r}. */
    public MemorySegment row(long r) {
        return data.asSlice(r * rowBytes(), rowBytes());
    }

    /** Dequantises the whole tensor into a new float array (for small tensors: norms, biases, tests). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(shape.elements())];
        TensorCodecs.dequantize(type, data, 0, out, 0, out.length);
        return out;
    }
}
