package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.Tensor;

/**
 * On the CPU a weight is the mapped tensor itself. A one-row weight (a norm's scale, a bias: a few KB) is also kept
 * decoded as {@code vector}, since every call reads all of it and decoding it per call was a copy per kernel.
 */
record CpuWeight(Tensor tensor, float[] vector) implements Weight {
    CpuWeight(Tensor tensor) {
        this(tensor, tensor.rows() == 1 ? tensor.toFloats() : null);
    }
}
