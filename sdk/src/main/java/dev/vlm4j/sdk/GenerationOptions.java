package dev.vlm4j.sdk;

import dev.vlm4j.language.sampling.SamplingParams;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Generation settings that apply to any prompt: the token limit, sampling, stop strings and a time limit. The CLI
 * flags and the pipelines build one of these; {@link Prompt#options} applies it.
 *
 * @param maxTokens the most tokens to generate
 * @param sampling  how to pick tokens ({@link SamplingParams#GREEDY} by default)
 * @param stops     extra stop strings (the chat format's own end-of-turn strings always apply)
 * @param timeout   null for none
 */
public record GenerationOptions(int maxTokens, SamplingParams sampling, List<String> stops, Duration timeout) {
    public static final GenerationOptions DEFAULTS = new GenerationOptions(256, SamplingParams.GREEDY, List.of(), null);

    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        Objects.requireNonNull(sampling, "sampling");
        stops = List.copyOf(stops);
        if (timeout != null && timeout.isNegative()) throw new IllegalArgumentException("timeout must not be negative");
    }

    public GenerationOptions withMaxTokens(int n) {
        return new GenerationOptions(n, sampling, stops, timeout);
    }

    public GenerationOptions withSampling(SamplingParams s) {
        return new GenerationOptions(maxTokens, s, stops, timeout);
    }
}
