package dev.vlm4j.kernels;

/**
 * Multi-head attention geometry. Query head {@code h} reads KV head {@code h / (heads / kvHeads)} (grouped-query
 * attention; {@code kvHeads == heads} is plain multi-head). Scores are {@code scale * q·k}.
 */
public record AttentionShape(int heads, int kvHeads, int headDim, float scale) {
    public AttentionShape {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("bad attention shape: " + heads + " heads, " + kvHeads + " KV heads, head dim " + headDim);
        }
    }

    public AttentionShape(int heads, int kvHeads, int headDim) {
        this(heads, kvHeads, headDim, 1f / (float) Math.sqrt(headDim)); // as ggml: 1.0f/sqrtf(head_dim)
    }

    public int queryWidth() {
        return heads * headDim;
    }

    public int kvWidth() {
        return kvHeads * headDim;
    }
}
