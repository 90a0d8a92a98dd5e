package dev.vlm4j.sdk;

import dev.vlm4j.kernels.Matrix;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Image embeddings by key (a hash of the decoded pixels and the preprocessing that applies to them), least recently
 * used first out. Shared by every session of a model, so asking twice about the same picture encodes it once. The
 * rows stay on the model's backend (device memory on OpenCL and TornadoVM): prompts read them from there. An
 * evicted entry is freed with its matrix once unreachable (a session may still be about to read it).
 */
final class ImageEmbeddingCache {
    private final int capacity;
    private final LinkedHashMap<String, Matrix> entries;
    private long hits;

    ImageEmbeddingCache(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("image cache size must be >= 0, got " + capacity);
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Matrix> eldest) {
                return size() > ImageEmbeddingCache.this.capacity;
            }
        };
    }

    /** The cached rows for {@code key}, or {@code compute}'s result (cached). Not synchronised: call under a lock. */
    Matrix get(String key, Supplier<Matrix> compute) {
        Matrix e = entries.get(key);
        if (e != null) {
            hits++;
            return e;
        }
        e = compute.get();
        if (capacity > 0) entries.put(key, e);
        return e;
    }

    long hits() {
        return hits;
    }

    int size() {
        return entries.size();
    }
}
