package dev.vlm4j.kernels;

/**
 * An F32 activation matrix that lives where its backend computes: {@code rows} rows of {@code cols} contiguous
 * floats. Activations, KV caches and image embeddings are matrices; they stay on the device between kernels
 * and only come back to the host through {@link Backend#read}.
 *
 * <p>Only the backend that made a matrix can use it.
 */
public interface Matrix {
    int rows();

    int cols();

    /** A view of rows {@code from .. from+count-1}, sharing storage with this matrix. */
    Matrix rows(int from, int count);

    default Matrix row(int r) {
        return rows(r, 1);
    }

    default long elements() {
        return (long) rows() * cols();
    }
}
