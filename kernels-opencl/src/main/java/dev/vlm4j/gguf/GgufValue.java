package dev.vlm4j.gguf;

import java.util.List;
import java.util.Objects;

/**
 * One typed GGUF metadata value. Integers of every width are held as {@code long} with their declared type
 * kept (a UINT64 above {@link Long#MAX_VALUE} reads back negative, as Java's unsigned conventions go). Values
 * are checked on construction, so whatever can be built can be written and reads back equal.
 */
public sealed interface GgufValue {
    GgufValueType type();

    record Int(GgufValueType type, long value) implements GgufValue {
        public Int {
            Objects.requireNonNull(type, "type");
            if (!type.isInteger()) {
                throw new IllegalArgumentException(type + " is not an integer type");
            }
            if (!type.holds(value)) {
                throw new IllegalArgumentException(value + " is outside the range of " + type);
            }
        }
    }

    record Float32(float value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.FLOAT32;
        }
    }

    record Float64(double value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.FLOAT64;
        }
    }

    record Bool(boolean value) implements GgufValue {
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }
    }

    record Str(String value) implements GgufValue {
        public Str {
            Objects.requireNonNull(value);
        }

        public GgufValueType type() {
            return GgufValueType.STRING;
        }
    }

    /**
     * An array; every element has {@code elementType}. Elements of an ARRAY array are arrays that each carry their
     * own element type. The list is immutable (arrays read from a file keep numbers packed, see {@code PackedValues}).
     */
    record Array(GgufValueType elementType, List<GgufValue> values) implements GgufValue {
        public Array {
            Objects.requireNonNull(elementType, "elementType");
            if (!(values instanceof PackedValues p && p.elementType() == elementType)) {
                values = List.copyOf(values);
                for (GgufValue v : values) {
                    if (v.type() != elementType) {
                        throw new IllegalArgumentException("array of " + elementType + " holds a " + v.type());
                    }
                }
            }
        }

        public GgufValueType type() {
            return GgufValueType.ARRAY;
        }
    }

    static GgufValue u32(long v) {
        return new Int(GgufValueType.UINT32, v);
    }

    static GgufValue i32(long v) {
        return new Int(GgufValueType.INT32, v);
    }

    static GgufValue u64(long v) {
        return new Int(GgufValueType.UINT64, v);
    }

    static GgufValue str(String v) {
        return new Str(v);
    }

    static GgufValue f32(float v) {
        return new Float32(v);
    }

    static GgufValue bool(boolean v) {
        return new Bool(v);
    }

    static GgufValue strings(List<String> values) {
        return new Array(GgufValueType.STRING, values.stream().<GgufValue>map(Str::new).toList());
    }

    static GgufValue floats(float... values) {
        GgufValue[] out = new GgufValue[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = new Float32(values[i]);
        }
        return new Array(GgufValueType.FLOAT32, List.of(out));
    }

    static GgufValue ints(GgufValueType type, long... values) {
        GgufValue[] out = new GgufValue[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = new Int(type, values[i]);
        }
        return new Array(type, List.of(out));
    }
}
