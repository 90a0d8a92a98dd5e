package dev.vlm4j.gguf;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/**
 * A GGUF file that is not what the format allows: truncated, hostile or simply not GGUF. Names the file, the
 * byte offset where reading stopped and the field being read.
 */
public final class GgufFormatException extends Vlm4jException {
    private final Path file;
    private final long offset;
    private final String field;

    public GgufFormatException(Path file, long offset, String field, String problem) {
        super(file + ": invalid GGUF at byte " + offset + " (" + field + "): " + problem);
        this.file = file;
        this.offset = offset;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }

    public String field() {
        return field;
    }

    /**
     * A name taken from a file, fit for a one-line message: control characters escaped, long names cut (a hostile
     * key could otherwise be a megabyte long or move the terminal's cursor).
     */
    static String shown(String name) {
        final int limit = 96;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length() && sb.length() < limit; i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= limit && name.length() > limit) {
            sb.append("...");
        }
        return sb.toString();
    }
}
