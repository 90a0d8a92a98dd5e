package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Matrix;

/** A CPU matrix: a window of rows in a heap float array (views share the array). */
final class CpuMatrix implements Matrix {
    final float[] data;
    final int offset;
    final int rows;
    final int cols;

    CpuMatrix(float[] data, int offset, int rows, int cols) {
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public Matrix rows(int from, int count) {
        KernelChecks.rowRange(rows, from, count);
        return new CpuMatrix(data, offset + from * cols, count, cols);
    }

    @Override
    public String toString() {
        return "CpuMatrix[" + rows + "x" + cols + "]";
    }
}
