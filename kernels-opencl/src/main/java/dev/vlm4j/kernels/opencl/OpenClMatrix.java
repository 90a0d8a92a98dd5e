package dev.vlm4j.kernels.opencl;

import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Matrix;

/** An OpenCL matrix: a window of rows in a device buffer; views share the buffer and differ in their float offset. */
final class OpenClMatrix implements Matrix {
    final OpenClBackend owner;
    final OpenClBackend.DeviceBuffer buffer;
    final int offset;
    final int rows;
    final int cols;

    OpenClMatrix(OpenClBackend owner, OpenClBackend.DeviceBuffer buffer, int offset, int rows, int cols) {
        this.owner = owner;
        this.buffer = buffer;
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
        return new OpenClMatrix(owner, buffer, offset + from * cols, count, cols);
    }

    @Override
    public String toString() {
        return "OpenClMatrix[" + rows + "x" + cols + "]";
    }
}
