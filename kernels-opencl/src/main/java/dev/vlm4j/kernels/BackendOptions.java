package dev.vlm4j.kernels;

import java.util.Objects;

/**
 * How to create a backend: which kind, how many CPU threads (0 = all cores), and which device (null = the
 * backend's default; otherwise an index or a case-insensitive substring of the device name).
 */
public record BackendOptions(BackendKind kind, int threads, String device) {
    public BackendOptions {
        Objects.requireNonNull(kind, "kind");
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all cores), got " + threads);
        }
    }

    public static BackendOptions cpu(int threads) {
        return new BackendOptions(BackendKind.CPU, threads, null);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(BackendKind.AUTO, 0, null);
    }

    /** The thread count to use: {@link #threads()}, or every available core when it is 0. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
