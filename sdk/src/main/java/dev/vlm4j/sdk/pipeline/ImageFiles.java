package dev.vlm4j.sdk.pipeline;

import dev.vlm4j.Vlm4jException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Expands what a user names as "the images": a file, a directory (its image files, recursively) or a glob. */
public final class ImageFiles {
    /** File extensions taken from a directory; a glob or an explicit file is taken as given. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "pnm",
            "ppm", "pgm", "pbm", "ico");

    private ImageFiles() {}

    /** Sorted, so runs are reproducible and resumable in the same order. */
    public static List<Path> expand(String spec) {
        Path p = Path.of(spec);
        try {
            if (Files.isRegularFile(p)) {
                return List.of(p);
            }
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    return s.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension).sorted().toList();
                }
            }
            if (spec.contains("*") || spec.contains("?") || spec.contains("[") || spec.contains("{")) {
                return glob(spec);
            }
        } catch (IOException e) {
            throw new Vlm4jException("cannot list images in " + spec + ": " + e.getMessage(), e);
        }
        throw new Vlm4jException("no such image file or directory: " + spec);
    }

    private static List<Path> glob(String spec) throws IOException {
        // Walk from the longest prefix without wildcards; match the rest of the pattern against full paths.
        String normalized = spec.replace('\\', '/');
        int wildcard = firstWildcard(normalized);
        int slash = normalized.lastIndexOf('/', wildcard);
        Path base = slash < 0 ? Path.of(".") : Path.of(normalized.substring(0, slash + 1));
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + normalized);
        if (!Files.isDirectory(base)) {
            throw new Vlm4jException("no such directory " + base + " for the image pattern " + spec);
        }
        try (Stream<Path> s = Files.walk(base)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> matcher.matches(slash < 0 ? base.relativize(f) : f))
                    .sorted().toList();
        }
    }

    private static int firstWildcard(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[{".indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    static boolean hasImageExtension(Path f) {
        String name = f.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
