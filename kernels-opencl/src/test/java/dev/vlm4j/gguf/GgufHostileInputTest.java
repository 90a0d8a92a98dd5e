package dev.vlm4j.gguf;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.tensor.GgmlType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a GGUF file can lie gets a {@link GgufFormatException} that names the file, the byte offset where the
 * offending field starts and the field: no raw runtime exception, no allocation sized by a lying length, no hang.
 */
@Timeout(30)
class GgufHostileInputTest {
    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    /** Opens {@code raw} and asserts the refusal names this file, {@code raw}'s mark {@code at}, and {@code field}. */
    private GgufFormatException refused(RawGguf raw, String at, String field, String problem) {
        return refused(raw, raw.at(at), field, problem);
    }

    private GgufFormatException refused(RawGguf raw, long offset, String field, String problem) {
        Path file = raw.write(dir.resolve("hostile.gguf"));
        return refused(file, offset, field, problem);
    }

    private static GgufFormatException refused(Path file, long offset, String field, String problem) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close());
        assertAll(e.getMessage(),
                () -> assertEquals(file, e.file(), "file"),
                () -> assertEquals(field, e.field(), "field"),
                () -> assertEquals(offset, e.offset(), "offset"),
                () -> assertTrue(e.getMessage().startsWith(file + ": invalid GGUF at byte " + offset + " (" + field + "): "),
                        "message names file, offset, field"),
                () -> assertTrue(e.getMessage().contains(problem), "message says: " + problem),
                () -> assertFalse(e.getMessage().contains("\n"), "one line"));
        return e;
    }

    @Test
    void truncatedAtEveryLength() throws IOException {
        Map<String, RawGguf> samples = Map.of("small", GgufSamples.small(), "unusual", GgufSamples.unusual());
        for (var named : samples.entrySet()) {
            RawGguf sample = named.getValue();
            byte[] whole = sample.toBytes();
            long dataAt = sample.at("data");
            long needed = sample.at("end");
            Map<Long, String> fieldStarts = new TreeMap<>();
            sample.marks().forEach((name, at) -> fieldStarts.putIfAbsent(at, name));
            fieldStarts.put(0L, "magic");
            for (int length = 0; length < whole.length; length++) {
                // a new file per length: rewriting one in place makes ext4 flush it every time (auto_da_alloc)
                Path file = Files.write(dir.resolve(named.getKey() + "-cut-" + length + ".gguf"), Arrays.copyOf(whole, length));
                if (length >= needed) {
                    try (GgufFile f = GgufFile.open(file)) {
                        assertFalse(f.tensorInfos().isEmpty(), "cut at " + length + " after the last tensor's data opens");
                    }
                    continue;
                }
                int cut = length;
                GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close(),
                        "cut at " + cut + " of " + whole.length);
                String what = "cut at " + cut + ": " + e.getMessage();
                assertEquals(file, e.file(), what);
                assertFalse(e.field().isBlank(), what);
                assertTrue(fieldStarts.containsKey(e.offset()), what + ": the offset is the start of a field");
                if (cut >= dataAt) {
                    assertTrue(e.field().startsWith("tensor '") && e.field().endsWith("' offset"), what);
                    assertTrue(e.getMessage().contains("lie outside the data section"), what);
                } else {
                    assertTrue(e.offset() <= cut, what + ": the field that could not be read starts before the cut");
                }
            }
        }
    }

    @Test
    void truncationSpotChecks() throws IOException {
        RawGguf s = GgufSamples.small();
        byte[] whole = s.toBytes();
        record Cut(long length, String mark, String field, String problem) {}
        for (Cut c : new Cut[] {
                new Cut(0, null, "magic", "the file is empty"),
                new Cut(6, "version", "version", "truncated"),
                new Cut(20, "kv_count", "kv_count", "truncated"),
                // late enough that the up-front count checks pass: the field itself is found cut
                new Cut(s.at("test.scores.count") + 11, "test.scores.count", "metadata 'test.scores' element count",
                        "4 FLOAT32 values cannot fit in the 3 bytes"),
                new Cut(s.at("b.ne") + 4, "b.ne", "tensor 'b' ne[0]", "truncated"),
                new Cut(s.at("c.offset"), "c.offset", "tensor 'c' offset", "truncated"),
                new Cut(s.at("data") - 1, "padding", "data section", "runs past the end of the file"),
                new Cut(s.at("data") + 40, "b.offset", "tensor 'b' offset", "lie outside the data section of 40 bytes"),
        }) {
            Path file = Files.write(dir.resolve("cut" + c.length() + ".gguf"), Arrays.copyOf(whole, (int) c.length()));
            refused(file, c.mark() == null ? 0 : s.at(c.mark()), c.field(), c.problem());
        }
        // a key cut short, in a file whose counts are small enough to pass the up-front checks
        RawGguf key = RawGguf.header(3, 0, 1).kvString("general.architecture", "llama");
        byte[] keyBytes = key.toBytes();
        Path cutKey = Files.write(dir.resolve("key.gguf"), Arrays.copyOf(keyBytes, (int) key.at("general.architecture.key") + 20));
        refused(cutKey, key.at("general.architecture.key"), "metadata entry 0 key", "string length 20 exceeds the 12 bytes left");
        // an array element cut short
        RawGguf strings = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.STRING, 2).str("abc").mark("k[1]").str("defgh");
        Path cutElement = Files.write(dir.resolve("element.gguf"), Arrays.copyOf(strings.toBytes(), (int) strings.position() - 2));
        refused(cutElement, strings.at("k[1]"), "metadata 'k'[1] value", "string length 5 exceeds the 3 bytes left");
    }

    @Test
    void wrongMagic() {
        RawGguf r = new RawGguf().bytes("GGML".getBytes()).u32(3).u64(0).u64(0);
        refused(r, 0, "magic", "not a GGUF file (starts with 0x47474d4c");
        refused(new RawGguf().bytes(new byte[] {'G', 'G'}), 0, "magic", "truncated");
    }

    @Test
    void unsupportedVersions() {
        refused(RawGguf.header(1, 0, 0), "version", "version", "GGUF version 1 is not supported");
        refused(RawGguf.header(0, 0, 0), "version", "version", "unknown GGUF version 0");
        refused(RawGguf.header(4, 0, 0), "version", "version", "unknown GGUF version 4");
        refused(RawGguf.header(0xffff_ffffL, 0, 0), "version", "version", "unknown GGUF version 4294967295");
        refused(RawGguf.header(0x0300_0000, 0, 0), "version", "version", "big-endian GGUF files are not supported");
    }

    @Test
    void countsBeyondTheFile() {
        refused(RawGguf.header(3, 0, 1), "kv_count", "kv_count", "1 key/value pairs cannot fit in the 0 bytes");
        refused(RawGguf.header(3, 0, -1), "kv_count", "kv_count", "18446744073709551615 key/value pairs cannot fit");
        refused(RawGguf.header(3, 1L << 40, 0), "tensor_count", "tensor_count", "1099511627776 tensors cannot fit");
        refused(RawGguf.header(3, Long.MIN_VALUE, 0), "tensor_count", "tensor_count", "9223372036854775808 tensors");
    }

    @Test
    void stringLengthsBeyondTheFile() {
        RawGguf key = RawGguf.header(3, 0, 1).mark("k").u64(1L << 40).bytes(new byte[20]);
        refused(key, "k", "metadata entry 0 key", "string length 1099511627776 exceeds the 20 bytes left");
        RawGguf value = RawGguf.header(3, 0, 1).key("k", GgufValueType.STRING).u64(-1).bytes(new byte[20]);
        refused(value, "k.value", "metadata 'k' value", "string length 18446744073709551615 exceeds");
        RawGguf name = RawGguf.header(3, 1, 0).mark("n").u64(Integer.MAX_VALUE + 1L).bytes(new byte[30]);
        refused(name, "n", "tensor 0 name", "string length 2147483648 exceeds");
    }

    @Test
    void arrayCountsBeyondTheFile() {
        RawGguf huge = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.UINT8, -1).bytes(new byte[16]);
        refused(huge, "k.count", "metadata 'k' element count", "18446744073709551615 UINT8 values cannot fit in the 16 bytes");
        RawGguf strings = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.STRING, 3).str("a").bytes(new byte[10]);
        refused(strings, "k.count", "metadata 'k' element count", "3 STRING values cannot fit in the 19 bytes");
        RawGguf floats = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.FLOAT64, 1L << 33).bytes(new byte[64]);
        refused(floats, "k.count", "metadata 'k' element count", "8589934592 FLOAT64 values cannot fit");
        RawGguf nested = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.ARRAY, 1)
                .u32(GgufValueType.INT32.id()).mark("k[0].count").u64(2).u32(1);
        refused(nested, "k[0].count", "metadata 'k'[0] element count", "2 INT32 values cannot fit in the 4 bytes");
    }

    @Test
    void tooManyMetadataObjectsAreRefusedBeforeReadingThem() throws IOException {
        // a sparse file big enough to hold the count's minimum size: the cap, not the file size, must refuse it
        long count = GgufParser.MAX_METADATA_OBJECTS + 1;
        RawGguf r = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.STRING, count);
        Path file = r.write(dir.resolve("many.gguf"));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(r.position() + count * 8);
        }
        refused(file, r.at("k.count"), "metadata 'k' element count", "would pass the limit of " + GgufParser.MAX_METADATA_OBJECTS);
        Files.delete(file);
    }

    /** Grows {@code raw}'s file, sparsely, to {@code size} bytes: counts that need a big file pass the size checks. */
    private Path sparse(RawGguf raw, String name, long size) throws IOException {
        Path file = raw.write(dir.resolve(name));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    @Test
    void metadataBytesPastTheHeapBudgetAreRefusedBeforeCopying() throws IOException {
        long budget = GgufParser.MAX_METADATA_BYTES;
        RawGguf string = RawGguf.header(3, 0, 1).key("k", GgufValueType.STRING).mark("length").u64(budget + 1);
        refused(sparse(string, "string.gguf", string.position() + budget + 1), string.at("length"), "metadata 'k' value",
                "more than " + budget + " bytes of strings and arrays");
        RawGguf array = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.UINT8, budget + 1);
        refused(sparse(array, "array.gguf", array.position() + budget + 1), array.at("k.count"), "metadata 'k' element count",
                "more than " + budget + " bytes of strings and arrays");
        // the budget is for the whole file: two arrays of half of it each, plus the second one's key, pass it
        long half = budget / 2;
        RawGguf first = RawGguf.header(3, 0, 2).arrayHeader("a", GgufValueType.UINT8, half);
        long secondAt = first.position() + half;
        RawGguf second = new RawGguf().str("b").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.UINT8.id()).mark("count").u64(half);
        Path file = sparse(first, "two.gguf", secondAt);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(secondAt);
            raf.write(second.toBytes());
            raf.setLength(raf.length() + half);
        }
        refused(file, secondAt + second.at("count"), "metadata 'b' element count", "more than " + budget + " bytes");
    }

    @Test
    void tooManyTensorsAreRefusedBeforeReadingThem() throws IOException {
        long count = GgufParser.MAX_TENSORS + 1;
        RawGguf r = RawGguf.header(3, count, 0);
        refused(sparse(r, "tensors.gguf", r.position() + count * 24), r.at("tensor_count"), "tensor_count",
                count + " tensors is more than the " + GgufParser.MAX_TENSORS + " vlm4j accepts");
    }

    @Test
    void unknownValueTypes() {
        refused(RawGguf.header(3, 0, 1).key("k", 13).u64(0), "k.type", "metadata 'k' type", "unknown value type 13");
        refused(RawGguf.header(3, 0, 1).key("k", -1).u64(0), "k.type", "metadata 'k' type", "unknown value type 4294967295");
        RawGguf element = RawGguf.header(3, 0, 1).key("k", GgufValueType.ARRAY).mark("et").u32(99).u64(0);
        refused(element, "et", "metadata 'k' element type", "unknown value type 99");
    }

    @Test
    void boolsOtherThanZeroOrOne() {
        refused(RawGguf.header(3, 0, 1).key("k", GgufValueType.BOOL).u8(2), "k.value", "metadata 'k' value",
                "bool value 2 is neither 0 nor 1");
        RawGguf array = RawGguf.header(3, 0, 1).arrayHeader("k", GgufValueType.BOOL, 4).u8(0).u8(1).mark("bad").u8(255).u8(0);
        refused(array, "bad", "metadata 'k'[2] value", "bool value 255 is neither 0 nor 1");
    }

    @Test
    void emptyAndDuplicateKeys() {
        refused(RawGguf.header(3, 0, 1).mark("k").str("").u32(GgufValueType.UINT8.id()).u8(0).u64(0), "k", "metadata entry 0 key", "empty key");
        RawGguf dup = RawGguf.header(3, 0, 2).kvU32("k", 1);
        long first = dup.at("k.key");
        dup.kvU32("k", 2);
        refused(dup, "k.key", "metadata 'k' key", "duplicate key (first at byte " + first + ")");
    }

    @Test
    void duplicateTensorNames() {
        RawGguf r = RawGguf.header(3, 2, 0).tensor("t", new long[] {8}, F32, 0);
        long first = r.at("t.name");
        r.tensor("t", new long[] {8}, F32, 32).padTo(32).bytes(new byte[64]);
        refused(r, "t.name", "tensor 't' name", "duplicate tensor name (first at byte " + first + ")");
    }

    @Test
    void badAlignment() {
        refused(RawGguf.header(3, 0, 1).kvU32("general.alignment", 0), "general.alignment.value",
                "metadata 'general.alignment' value", "0 is not a power of two");
        refused(RawGguf.header(3, 0, 1).kvU32("general.alignment", 48), "general.alignment.value",
                "metadata 'general.alignment' value", "48 is not a power of two");
        refused(RawGguf.header(3, 0, 1).kvU32("general.alignment", 1L << 31), "general.alignment.value",
                "metadata 'general.alignment' value", "2147483648 is larger than the largest supported alignment");
        refused(RawGguf.header(3, 0, 1).key("general.alignment", GgufValueType.INT32).u32(32), "general.alignment.value",
                "metadata 'general.alignment' value", "must be a UINT32, is INT32");
        refused(RawGguf.header(3, 0, 1).key("general.alignment", GgufValueType.STRING).str("32"), "general.alignment.value",
                "metadata 'general.alignment' value", "must be a UINT32, is STRING");
    }

    @Test
    void deeplyNestedArrays() {
        RawGguf r = RawGguf.header(3, 0, 1).key("k", GgufValueType.ARRAY);
        for (int d = 0; d < GgufParser.MAX_ARRAY_DEPTH; d++) {
            r.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        r.mark("too deep").u32(GgufValueType.UINT8.id()).u64(0);
        String field = "metadata 'k'" + "[0]".repeat(GgufParser.MAX_ARRAY_DEPTH) + " value";
        refused(r, "too deep", field, "arrays nested deeper than " + GgufParser.MAX_ARRAY_DEPTH);

        RawGguf ok = RawGguf.header(3, 0, 1).key("k", GgufValueType.ARRAY);
        for (int d = 0; d < GgufParser.MAX_ARRAY_DEPTH - 1; d++) {
            ok.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        ok.u32(GgufValueType.UINT8.id()).u64(1).u8(9);
        try (GgufFile f = GgufFile.open(ok.write(dir.resolve("deep.gguf")))) {
            GgufValue v = f.metadata().get("k").orElseThrow();
            for (int d = 0; d < GgufParser.MAX_ARRAY_DEPTH; d++) {
                v = ((GgufValue.Array) v).values().get(0);
            }
            assertEquals(GgufValue.Int.class, v.getClass(), "innermost value at the deepest allowed level");
        }
    }

    @Test
    void namesThatAreNotUtf8() throws IOException {
        byte[] bad = {'k', (byte) 0xff, 'x'};
        RawGguf key = RawGguf.header(3, 0, 1).mark("k").u64(bad.length).bytes(bad).u32(GgufValueType.BOOL.id()).u8(1);
        refused(key, "k", "metadata entry 0 key", "not valid UTF-8: 'k\ufffdx'");
        RawGguf name = RawGguf.header(3, 1, 0).mark("n").u64(bad.length).bytes(bad).u32(1).u64(4).u32(F32).u64(0)
                .padTo(32).bytes(new byte[16]);
        refused(name, "n", "tensor 0 name", "not valid UTF-8");
        // string values are read leniently, as llama.cpp does: a malformed byte becomes U+FFFD
        RawGguf value = RawGguf.header(3, 0, 1).key("k", GgufValueType.STRING).u64(bad.length).bytes(bad);
        try (GgufFile f = GgufFile.open(value.write(dir.resolve("value.gguf")))) {
            assertEquals("k\ufffdx", f.metadata().string("k"));
        }
    }

    @Test
    void tensorNamesLongerThanGgmlAllows() throws IOException {
        String longest = "t".repeat(GgufFile.MAX_TENSOR_NAME_BYTES);
        RawGguf ok = RawGguf.header(3, 1, 0).tensor(longest, new long[] {4}, F32, 0).padTo(32).bytes(new byte[16]);
        try (GgufFile f = GgufFile.open(ok.write(dir.resolve("ok.gguf")))) {
            assertTrue(f.hasTensor(longest), "a 63-byte name opens");
        }
        RawGguf r = RawGguf.header(3, 1, 0).tensor(longest + "é", new long[] {4}, F32, 0).padTo(32).bytes(new byte[16]);
        refused(r, r.at(longest + "é.name"), "tensor 0 name", "tensor name of 65 bytes is longer than ggml's limit of 63");
    }

    @Test
    void tooManyDimensions() {
        RawGguf r = RawGguf.header(3, 1, 0).tensor("t", new long[] {1, 1, 1, 1, 1}, F32, 0).padTo(32).bytes(new byte[4]);
        refused(r, "t.n_dims", "tensor 't' n_dims", "5 dimensions (ggml allows at most 4)");
        RawGguf huge = RawGguf.header(3, 1, 0).mark("t").str("t").mark("n").u32(-1).bytes(new byte[40]);
        refused(huge, "n", "tensor 't' n_dims", "4294967295 dimensions");
    }

    @Test
    void dimensionsThatOverflow() {
        RawGguf product = RawGguf.header(3, 1, 0).tensor("t", new long[] {1L << 32, 1L << 32}, F32, 0).padTo(32);
        refused(product, "t.n_dims", "tensor 't' ne", "hold more than 2^63 elements");
        RawGguf bytes = RawGguf.header(3, 1, 0).tensor("t", new long[] {1L << 31, 1L << 31}, F32, 0).padTo(32);
        refused(bytes, "t.n_dims", "tensor 't' ne", "of F32 take more than 2^63 bytes");
        RawGguf negative = RawGguf.header(3, 1, 0).tensor("t", new long[] {4, -4}, F32, 0).padTo(32);
        refused(negative, negative.at("t.ne") + 8, "tensor 't' ne[1]", "18446744073709551612 elements is more than 2^63");
        // zero elements, yet rows() = 2^64 and the row bytes 2^64 would overflow: llama.cpp lets these through, we do not
        RawGguf zeroRows = RawGguf.header(3, 1, 0).tensor("t", new long[] {0, 1L << 32, 1L << 32}, F32, 0).padTo(32);
        refused(zeroRows, "t.n_dims", "tensor 't' ne", "[0, 4294967296, 4294967296] hold more than 2^63 elements");
        RawGguf zeroBytes = RawGguf.header(3, 1, 0).tensor("t", new long[] {1L << 62, 0}, F32, 0).padTo(32);
        refused(zeroBytes, "t.n_dims", "tensor 't' ne", "of F32 take more than 2^63 bytes");
        RawGguf block = RawGguf.header(3, 1, 0).tensor("t", new long[] {16, 2}, GgmlType.Q8_0.id(), 0).padTo(32);
        refused(block, "t.n_dims", "tensor 't' ne", "row length 16 is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void unknownGgmlTypes() {
        for (int id : new int[] {4, 5, 31, 36, 40, 1000, -1}) {
            RawGguf r = RawGguf.header(3, 1, 0).tensor("t", new long[] {32}, id, 0).padTo(32).bytes(new byte[128]);
            refused(r, "t.type", "tensor 't' type", "unknown ggml type " + Integer.toUnsignedString(id));
        }
    }

    @Test
    void misalignedOffsets() {
        RawGguf r = RawGguf.header(3, 1, 0).tensor("t", new long[] {4}, F32, 4).padTo(32).bytes(new byte[64]);
        refused(r, "t.offset", "tensor 't' offset", "4 is not a multiple of the alignment 32");
        RawGguf custom = RawGguf.header(3, 1, 1).kvU32("general.alignment", 64).tensor("t", new long[] {4}, F32, 32)
                .padTo(64).bytes(new byte[128]);
        refused(custom, "t.offset", "tensor 't' offset", "32 is not a multiple of the alignment 64");
        RawGguf negative = RawGguf.header(3, 1, 0).tensor("t", new long[] {4}, F32, Long.MIN_VALUE).padTo(32).bytes(new byte[64]);
        refused(negative, "t.offset", "tensor 't' offset", "9223372036854775808 is beyond any file");
    }

    @Test
    void tensorDataOutOfBounds() {
        RawGguf past = RawGguf.header(3, 1, 0).tensor("t", new long[] {8}, F32, 32).padTo(32).bytes(new byte[48]);
        refused(past, "t.offset", "tensor 't' offset", "data bytes 32..64 (32 bytes of F32 [8]) lie outside the data section of 48 bytes");
        RawGguf far = RawGguf.header(3, 1, 0).tensor("t", new long[] {8}, F32, Long.MAX_VALUE - 31).padTo(32).bytes(new byte[48]);
        refused(far, "t.offset", "tensor 't' offset", "lie outside the data section");
        RawGguf huge = RawGguf.header(3, 1, 0).tensor("t", new long[] {1L << 40}, F32, 0).padTo(32).bytes(new byte[48]);
        refused(huge, "t.offset", "tensor 't' offset", "(4398046511104 bytes of F32 [1099511627776]) lie outside");
    }

    @Test
    void paddingPastTheEnd() {
        // a zero-byte tensor needs no data, but the data section must still start inside the file
        RawGguf r = RawGguf.header(3, 1, 0).tensor("t", new long[] {0}, F32, 0);
        refused(r, r.position(), "data section", "the padding to alignment 32 runs past the end of the file");
    }

    @Test
    void overlappingTensorData() {
        RawGguf same = RawGguf.header(3, 2, 0).tensor("a", new long[] {8}, F32, 0).tensor("b", new long[] {8}, F32, 0)
                .padTo(32).bytes(new byte[64]);
        refused(same, "b.offset", "tensor 'b' offset", "data bytes 0..32 overlap those of tensor 'a' (0..32)");
        // a long tensor, a zero-byte one inside it, then one that overlaps the long one but not its neighbour
        RawGguf hidden = RawGguf.header(3, 3, 0).tensor("long", new long[] {32}, F32, 0)
                .tensor("empty", new long[] {0}, F32, 32).tensor("late", new long[] {8}, F32, 64)
                .padTo(32).bytes(new byte[160]);
        refused(hidden, "late.offset", "tensor 'late' offset", "overlap those of tensor 'long' (0..128)");
    }

    @Test
    void controlCharactersInNamesStayOnOneLine() {
        RawGguf r = RawGguf.header(3, 0, 1).key("evil\nkey\u001b[2J", GgufValueType.BOOL).u8(7);
        GgufFormatException e = refused(r, "evil\nkey\u001b[2J.value", "metadata 'evil\\u000akey\\u001b[2J' value", "bool value 7");
        assertFalse(e.getMessage().contains("\u001b"), "no escape character reaches a terminal");
        RawGguf longName = RawGguf.header(3, 0, 1).key("k".repeat(10_000), GgufValueType.BOOL).u8(7);
        GgufFormatException e2 = assertThrows(GgufFormatException.class,
                () -> GgufFile.open(longName.write(dir.resolve("long.gguf"))).close());
        assertTrue(e2.getMessage().length() < 400, "a 10k-character key is cut in the message: " + e2.getMessage().length());
    }

    @Test
    void notAFile() throws IOException {
        Vlm4jException missing = assertThrows(Vlm4jException.class, () -> GgufFile.open(dir.resolve("absent.gguf")));
        assertTrue(missing.getMessage().contains("absent.gguf") && missing.getMessage().contains("no such file"), missing.getMessage());
        Vlm4jException directory = assertThrows(Vlm4jException.class, () -> GgufFile.open(dir));
        assertEquals(dir + ": is a directory, not a GGUF file", directory.getMessage());
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        refused(empty, 0, "magic", "the file is empty");
    }
}
