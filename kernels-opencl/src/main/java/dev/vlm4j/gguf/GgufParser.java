package dev.vlm4j.gguf;

import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF header from a mapped file, checking every count and length against the bytes that remain
 * before trusting it: no allocation is sized by a length field until the file has shown it holds that much.
 *
 * <p>Errors name the field being read as {@code subject[element indices] part}, e.g.
 * {@code metadata 'tokenizer.ggml.tokens'[17] length} or {@code tensor 'output.weight' ne[1]}, and the byte
 * offset where that field starts. The field text is only assembled when an error is raised, so reading large
 * vocabularies stays cheap.
 */
final class GgufParser {
    /** Nested arrays deeper than this are refused (the format allows nesting; llama.cpp itself refuses any). */
    static final int MAX_ARRAY_DEPTH = 8;
    /**
     * Metadata objects (keys' values, strings and arrays; packed numbers in arrays do not count) a file may hold.
     * Real files stay far below: Llama 3's vocabulary with merges is about 410k. The cap bounds the heap a
     * hostile file can claim (a string costs some 60 bytes of heap for 8 bytes of file).
     */
    static final long MAX_METADATA_OBJECTS = 1L << 22;
    /**
     * Bytes of strings and packed arrays the metadata may hold in total, all of which is copied onto the heap. Real
     * files hold a few MB (a 262k-token vocabulary with scores and merges is under 20 MB); the cap keeps a large
     * hostile file from claiming gigabytes of heap.
     */
    static final long MAX_METADATA_BYTES = 1L << 28;
    /**
     * Tensors a file may declare. Real models have a few thousand; each costs some 200 bytes of heap, so the cap
     * keeps a large file of empty tensor infos from claiming gigabytes.
     */
    static final long MAX_TENSORS = 1L << 20;
    /** Largest {@code general.alignment} accepted (the value is a UINT32; anything near 2^31 is nonsense). */
    static final int MAX_ALIGNMENT = 1 << 30;
    static final String ALIGNMENT_KEY = "general.alignment";

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Smallest tensor info: name length (8) + n_dims (4) + type (4) + offset (8), with no dims and an empty name. */
    private static final int MIN_TENSOR_INFO_BYTES = 24;
    /** Smallest key/value pair: key length (8) + type (4) + a one-byte value (the key may not be empty: +1). */
    private static final int MIN_KV_BYTES = 14;
    /** Longest string a Java array can hold. */
    private static final long MAX_STRING_BYTES = Integer.MAX_VALUE - 8;

    record Header(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {}

    /** A tensor info and where its offset field sits in the file (for error messages). */
    private record Parsed(GgufTensorInfo info, long offsetFieldAt) {}

    private final Path path;
    private final MemorySegment file;
    private final long size;
    private long pos;
    private long objects;
    private long metadataBytes;
    /** What is being read: null (header), "metadata 'key'", "tensor 'name'". */
    private String subject;
    /** Array nesting of the value being read, and the element index at each level. */
    private int depth;
    private final long[] elementIndex = new long[MAX_ARRAY_DEPTH + 1];

    GgufParser(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
        this.size = file.byteSize();
    }

    Header parse() {
        if (size == 0) {
            throw error(0, "magic", "the file is empty");
        }
        need(4, "magic");
        int magic = file.get(U32, pos);
        if (magic != GgufFile.MAGIC) {
            throw error(pos, "magic", "not a GGUF file (starts with " + hex(pos, 4) + ", expected 'GGUF')");
        }
        pos += 4;
        int version = readVersion();
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
        if (tensorCount > MAX_TENSORS) {
            throw error(pos - 16, "tensor_count", tensorCount + " tensors is more than the " + MAX_TENSORS
                    + " vlm4j accepts; refusing the file");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        Map<String, Long> keyOffsets = new HashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            subject = "metadata entry " + i;
            long keyAt = pos;
            String key = key("key");
            if (key.isEmpty()) {
                throw error(keyAt, "key", "empty key");
            }
            subject = "metadata '" + GgufFormatException.shown(key) + "'";
            Long firstAt = keyOffsets.putIfAbsent(key, keyAt);
            if (firstAt != null) {
                throw error(keyAt, "key", "duplicate key (first at byte " + firstAt + ")");
            }
            GgufValueType type = valueType("type");
            if (key.equals(ALIGNMENT_KEY)) {
                alignmentAt = pos;
            }
            kv.put(key, value(type));
        }
        subject = null;
        int alignment = alignment(kv.get(ALIGNMENT_KEY), alignmentAt);

        List<Parsed> tensors = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Map<String, Long> nameOffsets = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            tensors.add(tensorInfo(i, alignment, nameOffsets));
        }
        subject = null;

        // As llama.cpp: the data section starts at the next multiple of the alignment, or right here without tensors.
        long dataOffset = tensors.isEmpty() ? pos : alignUp(pos, alignment);
        if (dataOffset > size) {
            throw error(pos, "data section", "the padding to alignment " + alignment + " runs past the end of the file ("
                    + size + " bytes): file truncated");
        }
        checkData(tensors, dataOffset);
        List<GgufTensorInfo> infos = tensors.stream().map(Parsed::info).toList();
        return new Header(version, new GgufMetadata(path, kv), infos, alignment, dataOffset);
    }

    private int readVersion() {
        long at = pos;
        int version = (int) u32("version");
        if (version == 2 || version == 3) {
            return version;
        }
        if (version == 1) {
            throw error(at, "version", "GGUF version 1 is not supported (only 2 and 3)");
        }
        if (version != 0 && (version & 0xffff) == 0) {
            throw error(at, "version", "version " + Integer.toUnsignedString(version)
                    + " looks byte-swapped: big-endian GGUF files are not supported");
        }
        throw error(at, "version", "unknown GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
    }

    private int alignment(GgufValue value, long at) {
        if (value == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        String field = "metadata '" + ALIGNMENT_KEY + "' value";
        if (!(value instanceof GgufValue.Int a) || a.type() != GgufValueType.UINT32) {
            String actual = value instanceof GgufValue.Array arr ? "an array of " + arr.elementType() : value.type().toString();
            throw errorAt(at, field, "must be a UINT32, is " + actual);
        }
        long v = a.value();
        if (v == 0 || Long.bitCount(v) != 1) {
            throw errorAt(at, field, v + " is not a power of two");
        }
        if (v > MAX_ALIGNMENT) {
            throw errorAt(at, field, v + " is larger than the largest supported alignment " + MAX_ALIGNMENT);
        }
        return (int) v;
    }

    private Parsed tensorInfo(long index, int alignment, Map<String, Long> nameOffsets) {
        subject = "tensor " + index;
        long nameAt = pos;
        String name = tensorName("name");
        subject = "tensor '" + GgufFormatException.shown(name) + "'";
        Long firstAt = nameOffsets.putIfAbsent(name, nameAt);
        if (firstAt != null) {
            throw error(nameAt, "name", "duplicate tensor name (first at byte " + firstAt + ")");
        }
        long nDimsAt = pos;
        long nDims = u32("n_dims");
        if (nDims > Shape.MAX_DIMS) {
            throw error(nDimsAt, "n_dims", nDims + " dimensions (ggml allows at most " + Shape.MAX_DIMS + ")");
        }
        long[] ne = new long[(int) nDims];
        for (int d = 0; d < nDims; d++) {
            long at = pos;
            ne[d] = u64("ne[" + d + "]");
            if (ne[d] < 0) {
                throw error(at, "ne[" + d + "]", Long.toUnsignedString(ne[d]) + " elements is more than 2^63");
            }
        }
        long typeAt = pos;
        long typeId = u32("type");
        GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> error(typeAt, "type", "unknown ggml type " + typeId));
        long offsetAt = pos;
        long offset = u64("offset");

        // The product of the non-zero dims bounds every product a reader forms (elements, rows, rows * row bytes),
        // so checking it here keeps them all exact even for a zero-element tensor such as [0, 2^40, 2^40].
        long nonZeroProduct = 1;
        for (long d : ne) {
            if (d != 0) {
                if (d > Long.MAX_VALUE / nonZeroProduct) {
                    throw error(nDimsAt, "ne", "dimensions " + Arrays.toString(ne) + " hold more than 2^63 elements");
                }
                nonZeroProduct *= d;
            }
        }
        Shape shape = new Shape(ne);
        if (shape.rowLength() % type.blockSize() != 0) {
            throw error(nDimsAt, "ne", "row length " + shape.rowLength() + " is not a multiple of the " + type
                    + " block size " + type.blockSize());
        }
        if (nonZeroProduct / type.blockSize() > Long.MAX_VALUE / type.blockBytes()) {
            throw error(nDimsAt, "ne", "dimensions " + Arrays.toString(ne) + " of " + type + " take more than 2^63 bytes");
        }
        if (offset < 0) {
            throw error(offsetAt, "offset", Long.toUnsignedString(offset) + " is beyond any file");
        }
        if (offset % alignment != 0) {
            throw error(offsetAt, "offset", offset + " is not a multiple of the alignment " + alignment);
        }
        return new Parsed(new GgufTensorInfo(name, type, shape, offset), offsetAt);
    }

    /** Every tensor's bytes lie inside the file, and no two tensors share a byte. */
    private void checkData(List<Parsed> tensors, long dataOffset) {
        long dataSize = size - dataOffset;
        for (Parsed p : tensors) {
            GgufTensorInfo t = p.info();
            long end = t.offset() + t.byteSize();
            if (end < 0 || end > dataSize) {
                throw errorAt(p.offsetFieldAt(), tensorField(t, "offset"), "data bytes " + t.offset() + ".."
                        + (t.offset() + t.byteSize()) + " (" + t.byteSize() + " bytes of " + t.type() + " " + t.shape()
                        + ") lie outside the data section of " + dataSize + " bytes: file truncated or offset corrupt");
            }
        }
        List<Parsed> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(p -> p.info().offset()));
        Parsed furthest = null; // the tensor whose data reaches furthest so far
        for (Parsed p : byOffset) {
            GgufTensorInfo t = p.info();
            if (t.byteSize() == 0) {
                continue;
            }
            if (furthest != null) {
                GgufTensorInfo f = furthest.info();
                long fEnd = f.offset() + f.byteSize();
                if (t.offset() < fEnd) {
                    throw errorAt(p.offsetFieldAt(), tensorField(t, "offset"), "data bytes " + t.offset() + ".."
                            + (t.offset() + t.byteSize()) + " overlap those of tensor '" + GgufFormatException.shown(f.name())
                            + "' (" + f.offset() + ".." + fEnd + ")");
                }
            }
            if (furthest == null || t.offset() + t.byteSize() > furthest.info().offset() + furthest.info().byteSize()) {
                furthest = p;
            }
        }
    }

    private static String tensorField(GgufTensorInfo t, String part) {
        return "tensor '" + GgufFormatException.shown(t.name()) + "' " + part;
    }

    private GgufValue value(GgufValueType type) {
        if (++objects > MAX_METADATA_OBJECTS) {
            throw error(pos, "value", "more than " + MAX_METADATA_OBJECTS + " metadata values in total; refusing the file");
        }
        return switch (type) {
            case UINT8 -> new GgufValue.Int(type, u8("value"));
            case INT8 -> new GgufValue.Int(type, (byte) u8("value"));
            case UINT16 -> new GgufValue.Int(type, u16("value"));
            case INT16 -> new GgufValue.Int(type, (short) u16("value"));
            case UINT32 -> new GgufValue.Int(type, u32("value"));
            case INT32 -> new GgufValue.Int(type, (int) u32("value"));
            case UINT64, INT64 -> new GgufValue.Int(type, u64("value"));
            case FLOAT32 -> {
                need(4, "value");
                float f = file.get(F32, pos);
                pos += 4;
                yield new GgufValue.Float32(f);
            }
            case FLOAT64 -> {
                need(8, "value");
                double d = file.get(F64, pos);
                pos += 8;
                yield new GgufValue.Float64(d);
            }
            case BOOL -> {
                long at = pos;
                long b = u8("value");
                if (b > 1) {
                    throw error(at, "value", "bool value " + b + " is neither 0 nor 1");
                }
                yield new GgufValue.Bool(b == 1);
            }
            case STRING -> new GgufValue.Str(string("value"));
            case ARRAY -> array();
        };
    }

    private GgufValue array() {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw error(pos, "value", "arrays nested deeper than " + MAX_ARRAY_DEPTH);
        }
        GgufValueType elementType = valueType("element type");
        long countAt = pos;
        long count = u64("element count");
        if (count < 0 || count > remaining() / elementType.minBytes()) {
            throw error(countAt, "element count", Long.toUnsignedString(count) + " " + elementType
                    + " values cannot fit in the " + remaining() + " bytes that follow");
        }
        if (elementType.isFixedSize()) {
            return packedArray(elementType, count, countAt);
        }
        if (objects + count > MAX_METADATA_OBJECTS) {
            throw error(countAt, "element count", count + " values would pass the limit of " + MAX_METADATA_OBJECTS
                    + " metadata values per file; refusing the file");
        }
        List<GgufValue> values = new ArrayList<>((int) count);
        depth++;
        for (long i = 0; i < count; i++) {
            elementIndex[depth - 1] = i;
            values.add(value(elementType));
        }
        depth--;
        return new GgufValue.Array(elementType, values);
    }

    /** Numbers and bools: one bulk copy of the file bytes (count * width fits in what remains: checked). */
    private GgufValue packedArray(GgufValueType elementType, long count, long countAt) {
        long bytes = count * elementType.minBytes();
        if (bytes > MAX_STRING_BYTES) {
            throw error(countAt, "element count", count + " " + elementType + " values is more than one array can hold");
        }
        claimHeap(bytes, countAt, "element count");
        byte[] raw = file.asSlice(pos, bytes).toArray(ValueLayout.JAVA_BYTE);
        if (elementType == GgufValueType.BOOL) {
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] != 0 && raw[i] != 1) {
                    elementIndex[depth] = i;
                    depth++;
                    throw error(pos + i, "value", "bool value " + (raw[i] & 0xff) + " is neither 0 nor 1");
                }
            }
        }
        pos += bytes;
        return new GgufValue.Array(elementType, new PackedValues(elementType, raw));
    }

    private GgufValueType valueType(String part) {
        long at = pos;
        long id = u32(part);
        return GgufValueType.byId(id).orElseThrow(() -> error(at, part, "unknown value type " + id));
    }

    /** A string value: malformed UTF-8 becomes U+FFFD, as a lenient reader should (llama.cpp does not check). */
    private String string(String part) {
        long at = pos;
        long length = stringLength(part);
        claimHeap(length, at, part);
        return new String(stringBytes(length), StandardCharsets.UTF_8);
    }

    /** A metadata key: valid UTF-8 (see {@link #utf8}), counted against the metadata's heap budget. */
    private String key(String part) {
        long at = pos;
        long length = stringLength(part);
        claimHeap(length, at, part);
        return utf8(stringBytes(length), at, part);
    }

    /** A tensor name: valid UTF-8 of at most {@link GgufFile#MAX_TENSOR_NAME_BYTES} bytes, as llama.cpp requires. */
    private String tensorName(String part) {
        long at = pos;
        long length = stringLength(part);
        if (length > GgufFile.MAX_TENSOR_NAME_BYTES) {
            throw error(at, part, "tensor name of " + length + " bytes is longer than ggml's limit of "
                    + GgufFile.MAX_TENSOR_NAME_BYTES);
        }
        return utf8(stringBytes(length), at, part);
    }

    /** Reads a string's length field and checks the file holds that many bytes after it. */
    private long stringLength(String part) {
        long at = pos;
        long length = u64(part);
        if (length < 0 || length > remaining()) {
            throw error(at, part, "string length " + Long.toUnsignedString(length) + " exceeds the " + remaining()
                    + " bytes left in the file");
        }
        if (length > MAX_STRING_BYTES) {
            throw error(at, part, "string of " + length + " bytes is longer than Java can hold");
        }
        return length;
    }

    private byte[] stringBytes(long length) {
        byte[] bytes = file.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE);
        pos += length;
        return bytes;
    }

    /**
     * Keys and tensor names must be valid UTF-8, so that two different names never decode alike and a name written
     * back takes the bytes it was read from.
     */
    private String utf8(byte[] bytes, long at, String part) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            String shown = GgufFormatException.shown(new String(bytes, StandardCharsets.UTF_8));
            throw error(at, part, "not valid UTF-8: '" + shown + "'");
        }
    }

    /** Counts {@code bytes} more metadata onto the heap, refusing the file past {@link #MAX_METADATA_BYTES}. */
    private void claimHeap(long bytes, long at, String part) {
        metadataBytes += bytes;
        if (metadataBytes > MAX_METADATA_BYTES) {
            throw error(at, part, "the metadata would hold more than " + MAX_METADATA_BYTES
                    + " bytes of strings and arrays; refusing the file");
        }
    }

    private long u8(String part) {
        need(1, part);
        return file.get(ValueLayout.JAVA_BYTE, pos++) & 0xffL;
    }

    private long u16(String part) {
        need(2, part);
        long v = file.get(U16, pos) & 0xffffL;
        pos += 2;
        return v;
    }

    private long u32(String part) {
        need(4, part);
        long v = file.get(U32, pos) & 0xffffffffL;
        pos += 4;
        return v;
    }

    private long u64(String part) {
        need(8, part);
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    private long remaining() {
        return size - pos;
    }

    private void need(long bytes, String part) {
        if (bytes > remaining()) {
            throw error(pos, part, "file ends after " + size + " bytes (truncated): " + bytes + " more needed");
        }
    }

    private String hex(long at, int n) {
        StringBuilder sb = new StringBuilder("0x");
        for (int i = 0; i < n && at + i < size; i++) {
            sb.append(String.format("%02x", file.get(ValueLayout.JAVA_BYTE, at + i)));
        }
        return sb.toString();
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** The field being read, e.g. {@code metadata 'k'[3][0] length}. */
    private String field(String part) {
        StringBuilder sb = new StringBuilder();
        if (subject != null) {
            sb.append(subject);
        }
        for (int d = 0; d < depth; d++) {
            sb.append('[').append(elementIndex[d]).append(']');
        }
        if (!sb.isEmpty()) {
            sb.append(' ');
        }
        return sb.append(part).toString();
    }

    private GgufFormatException error(long offset, String part, String problem) {
        return errorAt(offset, field(part), problem);
    }

    private GgufFormatException errorAt(long offset, String field, String problem) {
        return new GgufFormatException(path, offset, field, problem);
    }
}
