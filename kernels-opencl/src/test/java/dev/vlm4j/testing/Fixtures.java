package dev.vlm4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds llama.cpp's reference fixtures in {@code ../shared/fixtures} (system property {@code vlm4j.shared}, set by
 * the build). Tests that need them call {@link #require} and are skipped, with the reason, when they are absent;
 * everything else must pass on a fresh clone.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The shared folder, or null when it is not there. */
    public static Path sharedDir() {
        String prop = System.getProperty("vlm4j.shared");
        Path dir = prop != null ? Path.of(prop) : Path.of("..", "shared");
        return Files.isDirectory(dir.resolve("fixtures")) ? dir.toAbsolutePath().normalize() : null;
    }

    public static boolean available() {
        return sharedDir() != null;
    }

    /** {@code ../shared/fixtures/<relative>}, skipping the calling test when the fixtures or the file are absent. */
    public static Path require(String relative) {
        Path shared = sharedDir();
        assumeTrue(shared != null, "skipped: ../shared/fixtures is not present (llama.cpp reference fixtures)");
        Path p = shared.resolve("fixtures").resolve(relative);
        assumeTrue(Files.exists(p), "skipped: fixture " + p + " is not present");
        return p;
    }
}
