package dev.vlm4j.sdk;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Image embeddings by key (a hash of the decoded pixels and the preprocessing that applies to them), least recently
 * used first out. Shared by every session of a model, so asking twice about the same picture encodes it once.
 */
final class ImageEmbeddingCache {
    record Entry(float[] rows, int count, int width) {
    }

    private final int capacity;
    private final LinkedHashMap<String, ImageEmbeddingCache.Entry> entries;
    private long hits;

    ImageEmbeddingCache(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("image cache size must be >= 0, got " + capacity);
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ImageEmbeddingCache.Entry> eldest) {
                return size() > ImageEmbeddingCache.this.capacity;
            }
        };
    }

    /** The cached entry for {@code key}, or {@code compute}'s result (cached). Not synchronised: call under a lock. */
    Entry get(String key, Supplier<Entry> compute) {
        Entry e = entries.get(key);
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
