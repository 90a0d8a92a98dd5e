package dev.vlm4j.sdk;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;

/** An image for a prompt: a file, encoded bytes, a decoded {@link BufferedImage}, or a base64 {@code data:} URI. */
public sealed interface ImageInput {
    /** A short description for errors and results (file name or kind). */
    String describe();

    record File(Path path) implements ImageInput {
        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /** Encoded image bytes (PNG, JPEG, ...); {@code name} only labels errors. */
    record Bytes(byte[] bytes, String name) implements ImageInput {
        public Bytes {
            Objects.requireNonNull(bytes, "bytes");
            bytes = bytes.clone();
            name = name == null ? "<bytes>" : name;
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        byte[] shared() {
            return bytes;
        }

        @Override
        public String describe() {
            return name;
        }
    }

    record Decoded(BufferedImage image) implements ImageInput {
        public Decoded {
            Objects.requireNonNull(image, "image");
        }

        @Override
        public String describe() {
            return "<BufferedImage " + image.getWidth() + "x" + image.getHeight() + ">";
        }
    }

    /** A {@code data:image/...;base64,...} URI. */
    record DataUri(String uri) implements ImageInput {
        public DataUri {
            Objects.requireNonNull(uri, "uri");
        }

        @Override
        public String describe() {
            return uri.length() > 40 ? uri.substring(0, 40) + "..." : uri;
        }
    }

    static ImageInput of(Path path) {
        return new File(path);
    }

    static ImageInput of(byte[] bytes) {
        return new Bytes(bytes, null);
    }

    static ImageInput of(BufferedImage image) {
        return new Decoded(image);
    }

    static ImageInput ofDataUri(String uri) {
        return new DataUri(uri);
    }
}
