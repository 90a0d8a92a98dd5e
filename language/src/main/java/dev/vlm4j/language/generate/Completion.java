package dev.vlm4j.language.generate;

/**
 * What a generation produced.
 *
 * @param text         the answer, stop strings removed
 * @param tokens       every generated token id except a final end-of-generation token
 * @param finishReason why it ended
 * @param decodeNanos  time spent generating (sampling and decode steps)
 */
public record Completion(String text, int[] tokens, FinishReason finishReason, long decodeNanos) {
}
