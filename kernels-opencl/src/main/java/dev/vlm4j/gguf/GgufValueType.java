package dev.vlm4j.gguf;

import java.util.Optional;

/** The metadata value types of GGUF (gguf.h {@code gguf_type}), with their fixed sizes in bytes. */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    /** u64 length + UTF-8 bytes: at least 8 bytes. */
    STRING(8, 8),
    /** u32 element type + u64 count + elements: at least 12 bytes. */
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    public int id() {
        return id;
    }

    /** The fewest bytes a value of this type can occupy in a file (its exact size for scalars). */
    public int minBytes() {
        return minBytes;
    }

    /** Whether every value of this type takes exactly {@link #minBytes()} bytes (all but STRING and ARRAY). */
    public boolean isFixedSize() {
        return this != STRING && this != ARRAY;
    }

    /**
     * Whether {@code value} is in this integer type's range. Unsigned 64-bit values use all of a long's bits (a
     * UINT64 above {@link Long#MAX_VALUE} is held negative), so every long fits UINT64 and INT64.
     */
    public boolean holds(long value) {
        return switch (this) {
            case UINT8 -> value >= 0 && value <= 0xffL;
            case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case UINT16 -> value >= 0 && value <= 0xffffL;
            case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
            case UINT32 -> value >= 0 && value <= 0xffff_ffffL;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case UINT64, INT64 -> true;
            default -> false;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public static Optional<GgufValueType> byId(long id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
