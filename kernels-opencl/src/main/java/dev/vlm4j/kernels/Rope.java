package dev.vlm4j.kernels;

import java.util.Objects;

/**
 * Rotary position embedding parameters for one model: the first {@code dims} values of each head are rotated
 * by angle {@code pos * theta^(-2i/dims) / freqFactors[i]} (freqFactors: Llama 3 {@code rope_freqs}, or null).
 */
public record Rope(int dims, float theta, RopeStyle style, float[] freqFactors) {
    public Rope {
        Objects.requireNonNull(style, "style");
        if (dims <= 0 || dims % 2 != 0) {
            throw new IllegalArgumentException("rope dims must be positive and even, got " + dims);
        }
        if (freqFactors != null && freqFactors.length != dims / 2) {
            throw new IllegalArgumentException("rope_freqs has " + freqFactors.length + " values, expected " + dims / 2);
        }
        freqFactors = freqFactors == null ? null : freqFactors.clone();
    }

    public Rope(int dims, float theta, RopeStyle style) {
        this(dims, theta, style, null);
    }

    @Override
    public float[] freqFactors() {
        return freqFactors == null ? null : freqFactors.clone();
    }

    /** The factor for pair {@code i}, 1 without rope_freqs. */
    public float freqFactor(int i) {
        return freqFactors == null ? 1f : freqFactors[i];
    }
}
