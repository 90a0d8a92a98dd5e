package dev.vlm4j.sdk.hub;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a model comes from: a local file, or a file of a Hugging Face hub repository written
 * {@code hf:owner/repo[:selector][@revision]}, where the selector is a file name ({@code :model-Q8_0.gguf}) or a
 * quantisation tag matched against the repository's GGUF file names ({@code :Q8_0}, {@code :f16}).
 */
public sealed interface ModelSource {
    record LocalFile(Path path) implements ModelSource {
        public LocalFile {
            Objects.requireNonNull(path, "path");
        }
    }

    record HubFile(String repository, Optional<String> selector, String revision) implements ModelSource {
        public HubFile {
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(selector, "selector");
            Objects.requireNonNull(revision, "revision");
        }

        @Override
        public String toString() {
            return "hf:" + repository + selector.map(s -> ":" + s).orElse("") + ("main".equals(revision) ? "" : "@" + revision);
        }
    }

    Pattern HUB = Pattern.compile("hf:([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)(?::([^@]+))?(?:@([A-Za-z0-9._/-]+))?");

    /** Parses {@code hf:...} references; anything else is a local path. */
    static ModelSource parse(String text) {
        if (text.startsWith("hf:")) {
            Matcher m = HUB.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a hub reference of the form hf:owner/repo[:file-or-quant][@revision]");
            }
            return new HubFile(m.group(1), Optional.ofNullable(m.group(2)), m.group(3) == null ? "main" : m.group(3));
        }
        return new LocalFile(Path.of(text));
    }
}
