package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;

/**
 * A weight of a {@link TornadoBackend}, placed in its arenas when the device plan is next built. F16, Q8_0 and
 * Q4_0 tensors keep ggml's block layout in the byte arena (the matmul and getRows kernels decode them); F32
 * tensors, every other type, and also every one-row tensor (norm weights, biases: the kernels read those as
 * floats) are widened to F32 once, into the float arena. The offsets change when the arenas are rebuilt.
 */
final class TornadoWeight implements Weight {
    private final Tensor tensor;
    final TornadoBackend owner;
    /** Byte offset in the byte arena, or -1 when the tensor is not kept raw. */
    int rawOffset = -1;
    /** Float index in the float arena, or -1 when the tensor is not widened. */
    int floatOffset = -1;

    TornadoWeight(TornadoBackend owner, Tensor tensor) {
        this.owner = owner;
        this.tensor = tensor;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    /** Whether the kernels read this tensor's raw blocks (F16, Q8_0, Q4_0). */
    boolean keepsRaw() {
        return tensor.type() == GgmlType.F16 || tensor.type() == GgmlType.Q8_0 || tensor.type() == GgmlType.Q4_0;
    }

    /** Whether the kernels read this tensor as floats. */
    boolean widens() {
        return !keepsRaw() || tensor.rows() == 1;
    }

    boolean placed() {
        return (!keepsRaw() || rawOffset >= 0) && (!widens() || floatOffset >= 0);
    }

    @Override
    public String toString() {
        return "TornadoWeight[" + tensor.name() + " " + tensor.type() + " " + tensor.shape() + "]";
    }
}
