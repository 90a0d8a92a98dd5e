package dev.vlm4j.sdk;

import dev.vlm4j.language.generate.FinishReason;

import java.util.List;
import java.util.Objects;

/**
 * The answer to one prompt: its text, the generated token ids, the prompt's token ids (text only: image rows are
 * embeddings, not tokens), why it stopped, and where the time went.
 */
public record GenerationResult(String text, List<Integer> tokens, List<Integer> promptTokens, FinishReason finishReason,
                               Timings timings) {
    public GenerationResult {
        Objects.requireNonNull(text, "text");
        tokens = List.copyOf(tokens);
        promptTokens = List.copyOf(promptTokens);
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(timings, "timings");
    }

    public int[] tokenArray() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
