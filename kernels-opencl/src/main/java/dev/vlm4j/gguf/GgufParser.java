package dev.vlm4j.gguf;

import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a GGUF header from a mapped file, checking every count and length against the bytes that remain
 * before trusting it: no allocation is sized by a length field until the file has shown it holds that much.
 */
final class GgufParser {
    /** Nested arrays deeper than this are refused (the spec allows nesting; no real file nests at all). */
    static final int MAX_ARRAY_DEPTH = 8;
    /**
     * Total metadata values (scalars plus array elements) a file may hold. Real files stay far below (a 262k
     * vocabulary with scores, types and merges is about 1.5M); the cap bounds the heap a hostile file can claim.
     */
    static final long MAX_METADATA_VALUES = 1L << 24;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Smallest tensor info: name length (8) + n_dims (4) + type (4) + offset (8), with no dims and an empty name. */
    private static final int MIN_TENSOR_INFO_BYTES = 24;
    /** Smallest key/value pair: key length (8) + type (4) + a one-byte value. */
    private static final int MIN_KV_BYTES = 13;

    record Header(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {}

    private final Path path;
    private final MemorySegment file;
    private final long size;
    private long pos;
    private long valuesRead;

    GgufParser(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
        this.size = file.byteSize();
    }

    Header parse() {
        if (size == 0) {
            throw error(0, "header", "the file is empty");
        }
        need(4, "magic");
        int magic = file.get(U32, pos);
        if (magic != GgufFile.MAGIC) {
            throw error(pos, "magic", String.format("not a GGUF file (starts with %s, expected 'GGUF')", printable(pos, 4)));
        }
        pos += 4;
        int version = (int) u32("version");
        if (version == 1) {
            throw error(pos - 4, "version", "GGUF version 1 is not supported (only 2 and 3)");
        }
        if (version != 2 && version != 3) {
            if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
                throw error(pos - 4, "version", "big-endian GGUF files are not supported");
            }
            throw error(pos - 4, "version", "unknown GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        long tensorCount = u64("tensor_count");
        long kvCount = u64("kv_count");
        if (kvCount < 0 || kvCount > remaining() / MIN_KV_BYTES) {
            throw error(pos - 8, "kv_count", Long.toUnsignedString(kvCount) + " key/value pairs cannot fit in the "
                    + remaining() + " bytes that follow");
        }
        if (tensorCount < 0 || tensorCount > (remaining() - kvCount * MIN_KV_BYTES) / MIN_TENSOR_INFO_BYTES) {
            throw error(pos - 16, "tensor_count", Long.toUnsignedString(tensorCount) + " tensors cannot fit in the "
                    + remaining() + " bytes that follow");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            String key = string("key of metadata entry " + i);
            String field = "metadata '" + key + "'";
            if (kv.containsKey(key)) {
                throw error(keyAt, field, "duplicate key");
            }
            GgufValueType type = valueType(field + " type");
            kv.put(key, value(type, field, 0));
        }
        GgufMetadata metadata = new GgufMetadata(path, kv);

        int alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue alignValue = kv.get("general.alignment");
        if (alignValue != null) {
            if (!(alignValue instanceof GgufValue.Int a) || a.type() != GgufValueType.UINT32) {
                throw error(pos, "metadata 'general.alignment'", "must be a UINT32, is " + alignValue.type());
            }
            if (a.value() <= 0 || Long.bitCount(a.value()) != 1 || a.value() > (1 << 30)) {
                throw error(pos, "metadata 'general.alignment'", a.value() + " is not a power of two");
            }
            alignment = (int) a.value();
        }

        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            long infoAt = pos;
            String name = string("name of tensor " + i);
            String field = "tensor '" + name + "'";
            if (!names.add(name)) {
                throw error(infoAt, field, "duplicate tensor name");
            }
            long nDims = u32(field + " n_dims");
            if (nDims > Shape.MAX_DIMS) {
                throw error(pos - 4, field + " n_dims", nDims + " dimensions (ggml allows at most " + Shape.MAX_DIMS + ")");
            }
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = u64(field + " ne[" + d + "]");
                if (ne[d] < 0) {
                    throw error(pos - 8, field + " ne[" + d + "]", Long.toUnsignedString(ne[d]) + " is too large");
                }
            }
            long typeAt = pos;
            long typeId = u32(field + " type");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> error(typeAt, field + " type", "unknown ggml type " + typeId));
            long offset = u64(field + " offset");
            Shape shape;
            try {
                shape = new Shape(ne);
                if (shape.rowLength() % type.blockSize() != 0) {
                    throw error(infoAt, field, "row length " + shape.rowLength() + " is not a multiple of the " + type
                            + " block size " + type.blockSize());
                }
                type.bytesFor(shape.elements()); // overflow check
            } catch (ArithmeticException e) {
                throw error(infoAt, field, "dimensions " + java.util.Arrays.toString(ne) + " overflow 64 bits");
            }
            if (offset < 0 || offset % alignment != 0) {
                throw error(pos - 8, field + " offset", Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            tensors.add(new GgufTensorInfo(name, type, shape, offset));
        }

        long dataOffset = alignUp(pos, alignment);
        long dataSize = Math.max(0, size - dataOffset);
        for (GgufTensorInfo t : tensors) {
            long end = t.offset() + t.byteSize();
            if (end < 0 || end > dataSize) {
                throw error(Math.min(dataOffset + t.offset(), size), "tensor '" + t.name() + "' data",
                        "needs bytes " + t.offset() + ".." + (t.offset() + t.byteSize()) + " of the data section, which has "
                                + dataSize + " (file truncated or offset corrupt)");
            }
        }
        GgufFile.checkNoOverlap(path, tensors, dataOffset);
        return new Header(version, metadata, List.copyOf(tensors), alignment, dataOffset);
    }

    private GgufValue value(GgufValueType type, String field, int depth) {
        if (++valuesRead > MAX_METADATA_VALUES) {
            throw error(pos, field, "more than " + MAX_METADATA_VALUES + " metadata values in total; refusing the file");
        }
        return switch (type) {
            case UINT8 -> new GgufValue.Int(type, u8(field));
            case INT8 -> new GgufValue.Int(type, (byte) u8(field));
            case UINT16 -> new GgufValue.Int(type, u16(field));
            case INT16 -> new GgufValue.Int(type, (short) u16(field));
            case UINT32 -> new GgufValue.Int(type, u32(field));
            case INT32 -> new GgufValue.Int(type, (int) u32(field));
            case UINT64, INT64 -> new GgufValue.Int(type, u64(field));
            case FLOAT32 -> {
                need(4, field);
                float f = file.get(F32, pos);
                pos += 4;
                yield new GgufValue.Float32(f);
            }
            case FLOAT64 -> {
                need(8, field);
                double d = file.get(F64, pos);
                pos += 8;
                yield new GgufValue.Float64(d);
            }
            case BOOL -> {
                long at = pos;
                long b = u8(field);
                if (b > 1) {
                    throw error(at, field, "bool value " + b + " is neither 0 nor 1");
                }
                yield new GgufValue.Bool(b == 1);
            }
            case STRING -> new GgufValue.Str(string(field));
            case ARRAY -> {
                if (depth >= MAX_ARRAY_DEPTH) {
                    throw error(pos, field, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
                }
                GgufValueType elementType = valueType(field + " element type");
                long countAt = pos;
                long count = u64(field + " element count");
                if (count < 0 || count > remaining() / elementType.minBytes()) {
                    throw error(countAt, field + " element count", Long.toUnsignedString(count) + " " + elementType
                            + " values cannot fit in the " + remaining() + " bytes that follow");
                }
                if (valuesRead + count > MAX_METADATA_VALUES) {
                    throw error(countAt, field + " element count", count + " values is over the limit of "
                            + MAX_METADATA_VALUES + " metadata values per file; refusing the file");
                }
                List<GgufValue> values = new ArrayList<>((int) count);
                for (long i = 0; i < count; i++) {
                    values.add(value(elementType, field, depth + 1));
                }
                yield new GgufValue.Array(elementType, values);
            }
        };
    }

    private GgufValueType valueType(String field) {
        long at = pos;
        long id = u32(field);
        return GgufValueType.byId(id).orElseThrow(() -> error(at, field, "unknown value type " + id));
    }

    private String string(String field) {
        long at = pos;
        long length = u64(field + " length");
        if (length < 0 || length > remaining()) {
            throw error(at, field, "string length " + Long.toUnsignedString(length) + " exceeds the " + remaining()
                    + " bytes left in the file");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw error(at, field, "string of " + length + " bytes is too long");
        }
        byte[] bytes = file.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE);
        pos += length;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private long u8(String field) {
        need(1, field);
        return file.get(ValueLayout.JAVA_BYTE, pos++) & 0xffL;
    }

    private long u16(String field) {
        need(2, field);
        long v = file.get(U16, pos) & 0xffffL;
        pos += 2;
        return v;
    }

    private long u32(String field) {
        need(4, field);
        long v = file.get(U32, pos) & 0xffffffffL;
        pos += 4;
        return v;
    }

    private long u64(String field) {
        need(8, field);
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    private long remaining() {
        return size - pos;
    }

    private void need(long bytes, String field) {
        if (bytes > remaining()) {
            throw error(pos, field, "file ends after " + size + " bytes (truncated): " + bytes + " more needed");
        }
    }

    private String printable(long at, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n && at + i < size; i++) {
            sb.append(String.format("%02x", file.get(ValueLayout.JAVA_BYTE, at + i)));
        }
        return "0x" + sb;
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private GgufFormatException error(long offset, String field, String problem) {
        return new GgufFormatException(path, offset, field, problem);
    }
}
