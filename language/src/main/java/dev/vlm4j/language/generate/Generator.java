package dev.vlm4j.language.generate;

import dev.vlm4j.language.model.DecoderInput;
import dev.vlm4j.language.model.DecoderSession;
import dev.vlm4j.language.sampling.Sampler;
import dev.vlm4j.language.tokenizer.StreamingDetokenizer;
import dev.vlm4j.language.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * The token loop: sample from the session's current logits, stream the text, feed the token back, repeat until an
 * end-of-generation token, a stop string, the token limit, the context's end, cancellation or the deadline.
 *
 * <p>The session must hold a prompt (its last position's logits are the first to sample from). Every backend call
 * happens under {@code computeLock}, one token at a time, so sessions of one model can share its backend fairly.
 */
public final class Generator {
    private Generator() {
    }

    /**
     * Generates after the prompt already in {@code session}. {@code history} are the ids the repetition penalty
     * should know about (usually the prompt's tokens).
     */
    public static Completion run(DecoderSession session, Tokenizer tokenizer, GenerationRequest request,
                                 int[] history, Lock computeLock) {
        long start = System.nanoTime();
        Sampler sampler = new Sampler(request.sampling());
        for (int id : history) sampler.accept(id);
        StreamingDetokenizer detokenizer = tokenizer.streamingDetokenizer();
        StopMatcher stops = new StopMatcher(request.stopStrings());
        StringBuilder text = new StringBuilder();
        List<Integer> tokens = new ArrayList<>();
        boolean greedyPlain = request.sampling().greedy() && request.sampling().repeatPenalty() == 1f;

        FinishReason reason = FinishReason.MAX_TOKENS;
        for (int step = 0; step < request.maxTokens(); step++) {
            if (request.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            if (System.nanoTime() - request.deadlineNanos() > 0) {
                reason = FinishReason.TIMEOUT;
                break;
            }
            int id;
            computeLock.lock();
            try {
                id = greedyPlain ? session.argmax() : sampler.sample(session.logits());
            } finally {
                computeLock.unlock();
            }
            if (tokenizer.isEndOfGeneration(id)) {
                reason = FinishReason.END_OF_GENERATION;
                break;
            }
            tokens.add(id);
            sampler.accept(id);
            emit(stops.accept(detokenizer.accept(id)), text, request);
            if (stops.stopped()) {
                reason = FinishReason.STOP_STRING;
                break;
            }
            if (step + 1 == request.maxTokens()) break; // no need to compute logits nobody reads
            if (session.remaining() == 0) {
                reason = FinishReason.CONTEXT_FULL;
                break;
            }
            computeLock.lock();
            try {
                session.append(new DecoderInput.Tokens(new int[]{id}));
            } finally {
                computeLock.unlock();
            }
        }
        if (!stops.stopped()) {
            emit(stops.accept(detokenizer.flush()), text, request);
            emit(stops.flush(), text, request);
            if (stops.stopped()) reason = FinishReason.STOP_STRING;
        }
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        return new Completion(text.toString(), ids, reason, System.nanoTime() - start);
    }

    private static void emit(String piece, StringBuilder text, GenerationRequest request) {
        if (piece.isEmpty()) return;
        text.append(piece);
        request.onText().accept(piece);
    }
}
