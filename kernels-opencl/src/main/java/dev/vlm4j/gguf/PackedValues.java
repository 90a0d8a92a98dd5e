package dev.vlm4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The elements of a fixed-size scalar array (numbers, bools) kept as their little-endian file bytes, so a
 * 262k-entry score array costs 1 MB of heap instead of 262k objects, and a hostile file cannot make the heap
 * grow much faster than the file. Elements become {@link GgufValue}s only when asked for. Immutable; equal to
 * any other list holding the same values.
 */
final class PackedValues extends AbstractList<GgufValue> implements RandomAccess {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufValueType type;
    private final MemorySegment bytes;
    private final int size;

    /** {@code raw} holds {@code raw.length / type.minBytes()} values of {@code type}; the caller checked them (bools are 0 or 1). */
    PackedValues(GgufValueType type, byte[] raw) {
        if (!type.isFixedSize() || raw.length % type.minBytes() != 0) {
            throw new IllegalArgumentException(raw.length + " bytes of " + type);
        }
        this.type = type;
        this.bytes = MemorySegment.ofArray(raw);
        this.size = raw.length / type.minBytes();
    }

    GgufValueType elementType() {
        return type;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public GgufValue get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " of " + size);
        }
        long at = (long) index * type.minBytes();
        return switch (type) {
            case UINT8 -> new GgufValue.Int(type, bytes.get(ValueLayout.JAVA_BYTE, at) & 0xffL);
            case INT8 -> new GgufValue.Int(type, bytes.get(ValueLayout.JAVA_BYTE, at));
            case UINT16 -> new GgufValue.Int(type, bytes.get(I16, at) & 0xffffL);
            case INT16 -> new GgufValue.Int(type, bytes.get(I16, at));
            case UINT32 -> new GgufValue.Int(type, bytes.get(I32, at) & 0xffff_ffffL);
            case INT32 -> new GgufValue.Int(type, bytes.get(I32, at));
            case UINT64, INT64 -> new GgufValue.Int(type, bytes.get(I64, at));
            case FLOAT32 -> new GgufValue.Float32(bytes.get(F32, at));
            case FLOAT64 -> new GgufValue.Float64(bytes.get(F64, at));
            case BOOL -> new GgufValue.Bool(bytes.get(ValueLayout.JAVA_BYTE, at) != 0);
            case STRING, ARRAY -> throw new AssertionError(type);
        };
    }
}
