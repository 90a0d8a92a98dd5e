package dev.vlm4j.kernels;

/** Which pairs of a head's values RoPE rotates together. */
public enum RopeStyle {
    /** Adjacent pairs {@code (x[2i], x[2i+1])}: llama, mistral (ggml mode 0). */
    NORMAL,
    /** Halves {@code (x[i], x[i + dims/2])}: qwen2, phi3, gemma, ... (ggml mode 2, GPT-NeoX). */
    NEOX
}
