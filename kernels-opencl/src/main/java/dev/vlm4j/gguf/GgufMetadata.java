package dev.vlm4j.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. A required key that is missing or
 * of the wrong type raises {@link GgufMetadataException} naming the file and key.
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, GgufValue> values;

    public GgufMetadata(Path file, Map<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Path file() {
        return file;
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public int size() {
        return values.size();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public Optional<String> optString(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof GgufValue.Str s) {
            return Optional.of(s.value());
        }
        throw wrongType(key, v, "STRING");
    }

    public String string(String key) {
        return optString(key).orElseThrow(() -> missing(key));
    }

    /** Any integer type, widened to long. */
    public OptionalLong optLong(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (v instanceof GgufValue.Int i) {
            return OptionalLong.of(i.value());
        }
        throw wrongType(key, v, "an integer");
    }

    public long longValue(String key) {
        return optLong(key).orElseThrow(() -> missing(key));
    }

    /** An integer that must fit a non-negative int (sizes, counts, ids). */
    public int intValue(String key) {
        return toInt(key, longValue(key));
    }

    public int intValue(String key, int defaultValue) {
        OptionalLong v = optLong(key);
        return v.isPresent() ? toInt(key, v.getAsLong()) : defaultValue;
    }

    private int toInt(String key, long v) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            boolean unsigned = values.get(key) instanceof GgufValue.Int i && i.type() == GgufValueType.UINT64;
            throw new GgufMetadataException(file, key, "is " + (unsigned ? Long.toUnsignedString(v) : v)
                    + ", outside 0.." + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    /** FLOAT32 or FLOAT64 (narrowed to float). */
    public OptionalDouble optDouble(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        return switch (v) {
            case GgufValue.Float32 f -> OptionalDouble.of(f.value());
            case GgufValue.Float64 f -> OptionalDouble.of(f.value());
            default -> throw wrongType(key, v, "a float");
        };
    }

    public float floatValue(String key) {
        return (float) optDouble(key).orElseThrow(() -> missing(key));
    }

    public float floatValue(String key, float defaultValue) {
        OptionalDouble v = optDouble(key);
        return v.isPresent() ? (float) v.getAsDouble() : defaultValue;
    }

    public Optional<Boolean> optBool(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof GgufValue.Bool b) {
            return Optional.of(b.value());
        }
        throw wrongType(key, v, "BOOL");
    }

    public boolean bool(String key) {
        return optBool(key).orElseThrow(() -> missing(key));
    }

    public boolean bool(String key, boolean defaultValue) {
        return optBool(key).orElse(defaultValue);
    }

    private GgufValue.Array array(String key, GgufValueType elementType) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw missing(key);
        }
        if (v instanceof GgufValue.Array a && (a.elementType() == elementType || a.values().isEmpty())) {
            return a;
        }
        throw wrongType(key, v, "an array of " + elementType);
    }

    public List<String> stringArray(String key) {
        return array(key, GgufValueType.STRING).values().stream().map(v -> ((GgufValue.Str) v).value()).toList();
    }

    public float[] floatArray(String key) {
        GgufValue v = values.get(key);
        if (v instanceof GgufValue.Array a) {
            float[] out = new float[a.values().size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (a.values().get(i)) {
                    case GgufValue.Float32 f -> f.value();
                    case GgufValue.Float64 f -> (float) f.value();
                    case GgufValue other -> throw wrongType(key, v, "an array of floats");
                };
            }
            return out;
        }
        throw v == null ? missing(key) : wrongType(key, v, "an array of floats");
    }

    /** An array of any integer type, each element narrowed to int (range-checked). */
    public int[] intArray(String key) {
        GgufValue v = values.get(key);
        if (v instanceof GgufValue.Array a && (a.elementType().isInteger() || a.values().isEmpty())) {
            int[] out = new int[a.values().size()];
            for (int i = 0; i < out.length; i++) {
                GgufValue.Int element = (GgufValue.Int) a.values().get(i);
                long x = element.value();
                if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE || (element.type() == GgufValueType.UINT64 && x < 0)) {
                    String shown = element.type() == GgufValueType.UINT64 ? Long.toUnsignedString(x) : Long.toString(x);
                    throw new GgufMetadataException(file, key, "element " + i + " is " + shown + ", outside the int range");
                }
                out[i] = (int) x;
            }
            return out;
        }
        throw v == null ? missing(key) : wrongType(key, v, "an array of integers");
    }

    private GgufMetadataException missing(String key) {
        return new GgufMetadataException(file, key, "is missing");
    }

    private GgufMetadataException wrongType(String key, GgufValue v, String expected) {
        String actual = v instanceof GgufValue.Array a ? "an array of " + a.elementType() : v.type().toString();
        return new GgufMetadataException(file, key, "is " + actual + ", expected " + expected);
    }
}
