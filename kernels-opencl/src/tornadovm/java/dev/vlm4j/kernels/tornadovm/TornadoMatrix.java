package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Matrix;

/**
 * A matrix in a {@link TornadoBackend}'s device heap: {@code rows x cols} floats from float offset {@code offset}.
 * Views share the {@link Block} they were cut from, which keeps the heap range allocated while any of them is
 * reachable.
 */
final class TornadoMatrix implements Matrix {
    /** An allocated heap range, released by {@link TornadoBackend#release} or once no matrix refers to it. */
    static final class Block {
        final TornadoBackend owner;
        /** Returns the range to the heap, at most once. */
        java.lang.ref.Cleaner.Cleanable cleanable;

        Block(TornadoBackend owner) {
            this.owner = owner;
        }

        TornadoBackend owner() {
            return owner;
        }
    }

    final Block block;
    final int offset;
    final int rows;
    final int cols;

    TornadoMatrix(Block block, int offset, int rows, int cols) {
        this.block = block;
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

    int size() {
        return rows * cols;
    }

    /** Whether this matrix and {@code other} share any float. */
    boolean overlaps(TornadoMatrix other) {
        return offset < other.offset + other.size() && other.offset < offset + size();
    }

    @Override
    public Matrix rows(int from, int count) {
        KernelChecks.rowRange(rows, from, count);
        return new TornadoMatrix(block, offset + from * cols, count, cols);
    }

    @Override
    public String toString() {
        return "TornadoMatrix[" + rows + "x" + cols + " @" + offset + "]";
    }
}
