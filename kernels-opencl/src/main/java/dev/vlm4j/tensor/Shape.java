package dev.vlm4j.tensor;

import java.util.Arrays;

/**
 * A tensor shape in ggml order: {@code ne[0]} is the contiguous (fastest) dimension. A PyTorch Linear weight
 * {@code [out, in]} is {@code Shape(in, out)}: {@code out} rows of {@code in} contiguous values.
 */
public record Shape(long[] ne) {
    public static final int MAX_DIMS = 4;

    public Shape {
        ne = ne.clone();
        if (ne.length > MAX_DIMS) {
            throw new IllegalArgumentException("at most " + MAX_DIMS + " dimensions, got " + ne.length);
        }
        for (long d : ne) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(ne));
            }
        }
        elementCount(ne); // reject overflow early
    }

    public static Shape of(long... ne) {
        return new Shape(ne);
    }

    /** A matrix of {@code rows} rows, each {@code cols} contiguous values. */
    public static Shape matrix(long rows, long cols) {
        return new Shape(new long[] {cols, rows});
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int rank() {
        return ne.length;
    }

    /** Size of dimension {@code i}; 1 past the rank, as in ggml. */
    public long dim(int i) {
        return i < ne.length ? ne[i] : 1;
    }

    public long elements() {
        return elementCount(ne);
    }

    /** Length of one row (the contiguous dimension). */
    public long rowLength() {
        return dim(0);
    }

    /** Number of rows: the product of every dimension but the first. */
    public long rows() {
        long rows = 1;
        for (int i = 1; i < ne.length; i++) {
            rows = Math.multiplyExact(rows, ne[i]);
        }
        return rows;
    }

    private static long elementCount(long[] ne) {
        long n = 1;
        for (long d : ne) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(ne, s.ne);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return Arrays.toString(ne);
    }
}
