package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.Tensor;

/** On the CPU a weight is the mapped tensor itself. */
record CpuWeight(Tensor tensor) implements Weight {}
