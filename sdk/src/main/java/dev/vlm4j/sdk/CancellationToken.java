package dev.vlm4j.sdk;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets another thread stop a generation: it ends within one token with {@link FinishReason#CANCELLED}. Interrupting
 * the generating thread has the same effect.
 */
public final class CancellationToken {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }
}
