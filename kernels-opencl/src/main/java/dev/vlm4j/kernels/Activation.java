package dev.vlm4j.kernels;

/**
 * Element-wise activation functions, each defined as ggml-cpu computes it (so results match llama.cpp):
 * GELU and quick GELU go through fp16 tables, {@code y = fp16(f(fp16(x)))}.
 */
public enum Activation {
    /** {@code x * sigmoid(x)} in float32. */
    SILU,
    /**
     * The tanh approximation {@code 0.5x(1+tanh(0.7978845608(x+0.044715x^3)))} through ggml's fp16 table;
     * 0 for {@code x <= -10}, {@code x} for {@code x >= 10}. This is ggml_gelu, used by CLIP/SigLIP and projectors.
     */
    GELU,
    /** The exact {@code 0.5x(1+erf(x/sqrt 2))} in float32 (ggml_gelu_erf). */
    GELU_ERF,
    /** {@code x * sigmoid(1.702x)} through ggml's fp16 table (ggml_gelu_quick; OpenAI CLIP). */
    GELU_QUICK
}
