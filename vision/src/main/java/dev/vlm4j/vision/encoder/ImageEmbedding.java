package dev.vlm4j.vision.encoder;

import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;

/**
 * The embeddings of one image: {@link #tokens()} rows of {@link #width()} floats, row {@code i} the image token
 * that replaces the {@code i}-th image position in the prompt. The rows stay on the backend that computed them
 * ({@link #matrix()}), so a decoder on the same backend consumes them without a round trip through the host;
 * {@link #toFloats()} copies them out.
 */
public record ImageEmbedding(Matrix matrix, Backend backend) {
    public int tokens() {
        return matrix.rows();
    }

    public int width() {
        return matrix.cols();
    }

    /** All rows, row-major ({@code tokens * width} floats), read from the backend. */
    public float[] toFloats() {
        return backend.read(matrix);
    }

    /** Row {@code i}, read from the backend. */
    public float[] row(int i) {
        float[] out = new float[width()];
        backend.read(matrix, i, out, 0, out.length);
        return out;
    }
}
