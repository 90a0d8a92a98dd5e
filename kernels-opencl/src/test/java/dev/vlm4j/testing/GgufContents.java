package dev.vlm4j.testing;

import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code fixtures/models/GGUF-CONTENTS.md} as data: for every model file, every metadata row (key, gguf-py type
 * name, gguf-py's rendering of the value) and every tensor row (name, type, ne, absolute data offset). The
 * {@code GGUF.version}, {@code GGUF.tensor_count} and {@code GGUF.kv_count} rows are header fields, kept apart.
 * Values are kept as the text the document shows; {@link PythonRepr} renders ours the same way to compare.
 */
public record GgufContents(Map<String, FileContents> files) {
    /** One {@code ## models/...gguf} section. */
    public record FileContents(String relativePath, long version, long tensorCount, long kvCount, List<KeyRow> keys,
                               List<TensorRow> tensors) {}

    public record KeyRow(String key, String type, String value) {}

    public record TensorRow(int index, String name, String type, long[] ne, long dataOffset) {
        @Override
        public String toString() {
            return index + " " + name + " " + type + " " + Arrays.toString(ne) + " @" + dataOffset;
        }
    }

    /** Strings longer than this many characters are shown cut, with "..." appended inside the quotes. */
    public static final int STRING_PREVIEW = 80;
    /** Arrays show this many elements, then ", ..." when there are more. */
    public static final int ARRAY_PREVIEW = 3;

    /** The type column for {@code v}: {@code uint32}, {@code string}, {@code array[float32]}. */
    public static String typeName(GgufValue v) {
        return v instanceof GgufValue.Array a ? "array[" + name(a.elementType()) + "]" : name(v.type());
    }

    private static String name(GgufValueType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The value column for {@code v}, as the document's generator writes it. */
    public static String render(GgufValue v) {
        return switch (v) {
            case GgufValue.Int i -> i.type() == GgufValueType.UINT64 ? Long.toUnsignedString(i.value()) : Long.toString(i.value());
            case GgufValue.Float32 f -> PythonRepr.of((double) f.value());
            case GgufValue.Float64 f -> PythonRepr.of(f.value());
            case GgufValue.Bool b -> PythonRepr.of(b.value());
            case GgufValue.Str s -> renderString(s.value());
            case GgufValue.Array a -> {
                List<GgufValue> values = a.values();
                StringBuilder sb = new StringBuilder().append(values.size()).append(" values: ");
                for (int i = 0; i < Math.min(ARRAY_PREVIEW, values.size()); i++) {
                    sb.append(i == 0 ? "" : ", ").append(render(values.get(i)));
                }
                yield sb.append(values.size() > ARRAY_PREVIEW ? ", ..." : "").toString();
            }
        };
    }

    public static String renderString(String s) {
        if (s.codePointCount(0, s.length()) <= STRING_PREVIEW) {
            return PythonRepr.of(s);
        }
        return PythonRepr.of(s.substring(0, s.offsetByCodePoints(0, STRING_PREVIEW)) + "...");
    }

    public static GgufContents load(Path markdown) {
        List<String> lines;
        try {
            lines = Files.readAllLines(markdown);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, FileContents> files = new LinkedHashMap<>();
        String file = null;
        List<KeyRow> keys = null;
        List<TensorRow> tensors = null;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                if (file != null) {
                    files.put(file, section(file, keys, tensors));
                }
                file = line.substring(3).trim();
                keys = new ArrayList<>();
                tensors = new ArrayList<>();
            } else if (file != null && line.startsWith("| ") && line.endsWith(" |") && !line.startsWith("| key ")
                    && !line.startsWith("| # ")) {
                String body = line.substring(2, line.length() - 2);
                if (Character.isDigit(body.charAt(0))) {
                    tensors.add(tensorRow(body, line));
                } else {
                    // key | type | value, where only the value may itself contain " | " (a chat template can)
                    int a = body.indexOf(" | ");
                    int b = body.indexOf(" | ", a + 3);
                    if (a < 0 || b < 0) {
                        throw new IllegalStateException("cannot read row: " + line);
                    }
                    keys.add(new KeyRow(body.substring(0, a), body.substring(a + 3, b), body.substring(b + 3)));
                }
            }
        }
        if (file != null) {
            files.put(file, section(file, keys, tensors));
        }
        return new GgufContents(Map.copyOf(files));
    }

    private static TensorRow tensorRow(String body, String line) {
        String[] cells = body.split(" \\| ");
        if (cells.length != 5) {
            throw new IllegalStateException("cannot read tensor row: " + line);
        }
        String ne = cells[3].trim();
        long[] dims = Arrays.stream(ne.substring(1, ne.length() - 1).split(",\\s*")).mapToLong(Long::parseLong).toArray();
        return new TensorRow(Integer.parseInt(cells[0].trim()), cells[1].trim(), cells[2].trim(), dims,
                Long.parseLong(cells[4].trim()));
    }

    private static FileContents section(String file, List<KeyRow> rows, List<TensorRow> tensors) {
        Map<String, Long> header = new LinkedHashMap<>();
        List<KeyRow> keys = new ArrayList<>();
        for (KeyRow r : rows) {
            if (r.key().startsWith("GGUF.")) {
                header.put(r.key(), Long.parseLong(r.value()));
            } else {
                keys.add(r);
            }
        }
        if (header.size() != 3) {
            throw new IllegalStateException(file + ": expected GGUF.version, GGUF.tensor_count, GGUF.kv_count, got " + header);
        }
        return new FileContents(file, header.get("GGUF.version"), header.get("GGUF.tensor_count"),
                header.get("GGUF.kv_count"), List.copyOf(keys), List.copyOf(tensors));
    }
}
