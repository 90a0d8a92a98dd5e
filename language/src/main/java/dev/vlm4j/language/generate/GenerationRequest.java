package dev.vlm4j.language.generate;

import dev.vlm4j.language.sampling.SamplingParams;

import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What to generate after a prompt: how many tokens at most, how to sample, where to stop, and who listens.
 *
 * @param maxTokens     the most tokens to generate
 * @param sampling      how to pick each token
 * @param stopStrings   text that ends generation (not included in the result)
 * @param deadlineNanos {@link System#nanoTime()} after which generation stops with TIMEOUT; {@code Long.MAX_VALUE} for none
 * @param cancelled     checked before every token; true ends generation with CANCELLED
 * @param onText        receives text pieces as soon as they are complete UTF-8 and clear of stop strings
 */
public record GenerationRequest(int maxTokens, SamplingParams sampling, List<String> stopStrings, long deadlineNanos,
                                BooleanSupplier cancelled, Consumer<String> onText) {
    public GenerationRequest {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        Objects.requireNonNull(sampling, "sampling");
        stopStrings = List.copyOf(stopStrings);
        Objects.requireNonNull(cancelled, "cancelled");
        Objects.requireNonNull(onText, "onText");
    }

    public static GenerationRequest greedy(int maxTokens) {
        return new GenerationRequest(maxTokens, SamplingParams.GREEDY, List.of(), Long.MAX_VALUE, () -> false, s -> { });
    }
}
