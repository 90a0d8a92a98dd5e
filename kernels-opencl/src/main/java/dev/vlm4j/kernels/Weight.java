package dev.vlm4j.kernels;

import dev.vlm4j.tensor.Tensor;

/**
 * A weight tensor made ready for a backend (zero-copy on the CPU, uploaded once on a device). Any
 * {@link dev.vlm4j.tensor.GgmlType}; for a matrix, row {@code r} is output unit {@code r}.
 */
public interface Weight {
    Tensor tensor();

    /** Output units: the number of rows. */
    default int rows() {
        return Math.toIntExact(tensor().rows());
    }

    /** Input width: the length of one row. */
    default int cols() {
        return tensor().columns();
    }
}
