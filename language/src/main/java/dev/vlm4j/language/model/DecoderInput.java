package dev.vlm4j.language.model;

import dev.vlm4j.kernels.Matrix;

/**
 * What a decoder reads at a run of consecutive positions: token ids (looked up in the embedding table) or
 * ready-made embedding rows, such as image embeddings from a vision projector. A prompt is a sequence of these.
 */
public sealed interface DecoderInput {
    /** Number of positions this input occupies. */
    int length();

    static DecoderInput tokens(int... ids) {
        return new Tokens(ids);
    }

    static DecoderInput embeddings(Matrix rows) {
        return new Embeddings(rows);
    }

    record Tokens(int[] ids) implements DecoderInput {
        public Tokens {
            ids = ids.clone();
        }

        @Override
        public int[] ids() {
            return ids.clone();
        }

        @Override
        public int length() {
            return ids.length;
        }
    }

    /**
     * Embedding rows {@code [n][embeddingLength]} on the same backend as the model, so image embeddings go from
     * the projector into the decoder without a trip through host memory.
     */
    record Embeddings(Matrix rows) implements DecoderInput {
        @Override
        public int length() {
            return rows.rows();
        }
    }
}
