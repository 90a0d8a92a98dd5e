package dev.vlm4j.sdk.hub;

/** Told about download progress (bytes done of total; total is -1 when unknown). */
@FunctionalInterface
public interface DownloadProgress {
    DownloadProgress NONE = (file, done, total) -> {};

    void update(String file, long done, long total);
}
