package dev.vlm4j.gguf;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.gguf.GgufValue.Array;
import dev.vlm4j.gguf.GgufValue.Bool;
import dev.vlm4j.gguf.GgufValue.Float32;
import dev.vlm4j.gguf.GgufValue.Float64;
import dev.vlm4j.gguf.GgufValue.Int;
import dev.vlm4j.gguf.GgufValue.Str;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** read(write(x)) == x for every metadata value type, every tensor type, both versions and several alignments. */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    static Stream<Arguments> layouts() {
        return Stream.of(Arguments.of(3, 32), Arguments.of(2, 32), Arguments.of(3, 1), Arguments.of(2, 8),
                Arguments.of(3, 64), Arguments.of(3, 4096));
    }

    /** One key per value type with its extremes, strings that stress UTF-8, and arrays: empty, nested, mixed. */
    static Map<String, GgufValue> everyValueType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        long[][] extremes = {
                {0, 255}, {Byte.MIN_VALUE, -1, Byte.MAX_VALUE}, {0, 65535}, {Short.MIN_VALUE, Short.MAX_VALUE},
                {0, 0xffff_ffffL}, {Integer.MIN_VALUE, Integer.MAX_VALUE},
                {0, Long.MAX_VALUE, Long.MIN_VALUE, -1}, // UINT64: 2^63 - 1, 2^63 and 2^64 - 1
                {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}};
        GgufValueType[] intTypes = {GgufValueType.UINT8, GgufValueType.INT8, GgufValueType.UINT16, GgufValueType.INT16,
                GgufValueType.UINT32, GgufValueType.INT32, GgufValueType.UINT64, GgufValueType.INT64};
        for (int t = 0; t < intTypes.length; t++) {
            String name = intTypes[t].name().toLowerCase();
            for (int i = 0; i < extremes[t].length; i++) {
                m.put("test." + name + "." + i, new Int(intTypes[t], extremes[t][i]));
            }
            m.put("test." + name + ".array", GgufValue.ints(intTypes[t], extremes[t]));
            m.put("test." + name + ".empty", new Array(intTypes[t], List.of()));
        }
        float[] floats = {0f, -0f, 1.5f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc12345)};
        for (int i = 0; i < floats.length; i++) {
            m.put("test.float32." + i, new Float32(floats[i]));
        }
        m.put("test.float32.array", GgufValue.floats(floats));
        double[] doubles = {0, -0d, Math.PI, Double.MIN_VALUE, Double.MAX_VALUE, Double.NEGATIVE_INFINITY, Double.NaN};
        List<GgufValue> doubleValues = new ArrayList<>();
        for (int i = 0; i < doubles.length; i++) {
            m.put("test.float64." + i, new Float64(doubles[i]));
            doubleValues.add(new Float64(doubles[i]));
        }
        m.put("test.float64.array", new Array(GgufValueType.FLOAT64, doubleValues));
        m.put("test.bool.true", new Bool(true));
        m.put("test.bool.false", new Bool(false));
        m.put("test.bool.array", new Array(GgufValueType.BOOL, List.of(new Bool(true), new Bool(false), new Bool(true))));
        m.put("test.bool.empty", new Array(GgufValueType.BOOL, List.of()));
        m.put("test.string.empty", new Str(""));
        m.put("test.string.ascii", new Str("llama"));
        m.put("test.string.unicode", new Str("żółć 日本語 🦙 Ġ\u00a0"));
        m.put("test.string.control", new Str("a\u0000b\nc\td\u007f"));
        m.put("test.string.long", new Str("x".repeat(100_000)));
        m.put("test.string.array", GgufValue.strings(List.of("", "<s>", "🦙", "a b")));
        m.put("test.string.empty_array", new Array(GgufValueType.STRING, List.of()));
        m.put("test.nested", new Array(GgufValueType.ARRAY, List.of(
                GgufValue.ints(GgufValueType.INT32, 1, -2, 3),
                GgufValue.strings(List.of("x", "yz")),
                new Array(GgufValueType.FLOAT32, List.of()),
                new Array(GgufValueType.ARRAY, List.of(GgufValue.ints(GgufValueType.UINT8, 7), new Array(GgufValueType.BOOL, List.of())))
        )));
        m.put("test.nested.empty", new Array(GgufValueType.ARRAY, List.of()));
        m.put("киї.ключ 🦙", new Str("a key in UTF-8"));
        return m;
    }

    @ParameterizedTest(name = "v{0}, alignment {1}")
    @MethodSource("layouts")
    void everyValueTypeRoundTrips(int version, int alignment) {
        Map<String, GgufValue> values = everyValueType();
        GgufWriter w = new GgufWriter().version(version).alignment(alignment).putAll(values);
        w.tensor("t", GgmlType.F32, Shape.of(3), new float[] {1, 2, 3});
        Path file = dir.resolve("values.gguf");
        w.write(file);

        Map<String, GgufValue> expected = new LinkedHashMap<>();
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            expected.put("general.alignment", GgufValue.u32(alignment));
        }
        expected.putAll(values);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(version, f.version(), "version");
            assertEquals(alignment, f.alignment(), "alignment");
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(f.metadata().keys()), "keys in written order");
            for (var e : expected.entrySet()) {
                assertEquals(e.getValue(), f.metadata().get(e.getKey()).orElseThrow(), e.getKey());
            }
            assertEquals(expected, f.metadata().asMap());
            // NaN payloads survive bit for bit (record equality treats every NaN alike, so check the bits)
            float nan = ((Float32) f.metadata().get("test.float32.8").orElseThrow()).value();
            assertEquals(0x7fc12345, Float.floatToRawIntBits(nan), "NaN payload");
            assertEquals(-1L, f.metadata().longValue("test.uint64.3"), "UINT64 2^64-1 is held as -1");
            assertArrayEquals(new float[] {1, 2, 3}, f.tensor("t").toFloats());
        }
    }

    @ParameterizedTest(name = "v{0}, alignment {1}")
    @MethodSource("layouts")
    void everyTensorTypeRoundTrips(int version, int alignment) throws IOException {
        Random random = new Random(42);
        GgufWriter w = new GgufWriter().version(version).alignment(alignment).put("general.architecture", GgufValue.str("test"));
        Map<String, float[]> quantised = new LinkedHashMap<>();
        Map<String, Tensor> expected = new LinkedHashMap<>();
        // the five types the writer quantises itself
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0)) {
            Shape shape = Shape.of(64, 3);
            float[] values = new float[64 * 3];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            String name = "quantised." + type;
            w.tensor(name, type, shape, values);
            quantised.put(name, values);
            expected.put(name, new Tensor(name, type, shape, TensorCodecs.quantize(type, values, 0, values.length)));
        }
        // raw bytes of every type ggml knows, through the Tensor record
        for (GgmlType type : GgmlType.values()) {
            Shape shape = Shape.of(2L * type.blockSize(), 3);
            byte[] bytes = new byte[(int) type.bytesFor(shape.elements())];
            random.nextBytes(bytes);
            Tensor t = new Tensor("raw." + type, type, shape, MemorySegment.ofArray(bytes));
            w.tensor(t);
            expected.put(t.name(), t);
        }
        // edge shapes: a scalar (no dims), an empty tensor, a 4-d tensor
        for (Tensor t : List.of(
                new Tensor("scalar", GgmlType.F32, Shape.of(), MemorySegment.ofArray(new float[] {7f})),
                new Tensor("empty", GgmlType.F16, Shape.of(0, 5), MemorySegment.ofArray(new byte[0])),
                new Tensor("four_d", GgmlType.I8, Shape.of(2, 3, 4, 5), MemorySegment.ofArray(new byte[120])))) {
            w.tensor(t);
            expected.put(t.name(), t);
        }
        Path file = dir.resolve("tensors.gguf");
        w.write(file);

        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(List.copyOf(expected.keySet()), f.tensorInfos().stream().map(GgufTensorInfo::name).toList(), "tensor order");
            assertEquals(0, f.dataOffset() % alignment, "data section aligned to " + alignment);
            long nextOffset = 0;
            for (GgufTensorInfo info : f.tensorInfos()) {
                Tensor want = expected.get(info.name());
                Tensor got = f.tensor(info.name());
                assertAll(info.name(),
                        () -> assertEquals(want.type(), got.type(), "type"),
                        () -> assertEquals(want.shape(), got.shape(), "shape"),
                        () -> assertEquals(-1, want.data().mismatch(got.data()), "bytes identical"));
                // llama.cpp requires exactly this layout: each tensor at the previous one's end, rounded up
                assertEquals(nextOffset, info.offset(), info.name() + " offset");
                nextOffset = (info.offset() + info.byteSize() + alignment - 1) / alignment * alignment;
            }
            for (var e : quantised.entrySet()) {
                Tensor t = f.tensor(e.getKey());
                float[] reference = new float[e.getValue().length];
                TensorCodecs.dequantize(t.type(), expected.get(e.getKey()).data(), 0, reference, 0, reference.length);
                assertArrayEquals(reference, t.toFloats(), e.getKey() + " dequantises as the written bytes do");
                if (t.type() == GgmlType.F32) {
                    assertArrayEquals(e.getValue(), t.toFloats(), "F32 values exact");
                }
            }
            assertEquals(7f, f.tensor("scalar").toFloats()[0]);
            assertEquals(0, f.tensor("empty").data().byteSize());
        }
        assertFalse(Files.exists(dir.resolve("tensors.gguf.part")), "no temporary file left");
    }

    /** Random metadata of every type, arrays nested as deep as the reader allows, each file read back equal. */
    @Test
    void randomMetadataRoundTrips() {
        Path file = dir.resolve("random.gguf");
        for (int seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            Map<String, GgufValue> values = new LinkedHashMap<>();
            for (int k = random.nextInt(12); k >= 0; k--) {
                values.put(randomString(random, 1 + random.nextInt(20)), randomValue(random, 0));
            }
            int version = random.nextBoolean() ? 3 : 2;
            new GgufWriter().version(version).putAll(values).write(file);
            try (GgufFile f = GgufFile.open(file)) {
                assertEquals(version, f.version(), "seed " + seed);
                assertEquals(List.copyOf(values.keySet()), List.copyOf(f.metadata().keys()), "seed " + seed + ": keys in order");
                assertEquals(values, f.metadata().asMap(), "seed " + seed);
            }
        }
    }

    private static GgufValue randomValue(Random random, int depth) {
        GgufValueType[] types = GgufValueType.values();
        GgufValueType type = types[random.nextInt(types.length)];
        if (type == GgufValueType.ARRAY && depth == GgufParser.MAX_ARRAY_DEPTH) {
            type = GgufValueType.BOOL;
        }
        return randomValue(random, type, depth);
    }

    private static GgufValue randomValue(Random random, GgufValueType type, int depth) {
        long bits = random.nextLong();
        return switch (type) {
            case UINT8 -> new Int(type, bits & 0xff);
            case INT8 -> new Int(type, (byte) bits);
            case UINT16 -> new Int(type, bits & 0xffff);
            case INT16 -> new Int(type, (short) bits);
            case UINT32 -> new Int(type, bits & 0xffff_ffffL);
            case INT32 -> new Int(type, (int) bits);
            case UINT64, INT64 -> new Int(type, bits);
            case FLOAT32 -> new Float32(Float.intBitsToFloat((int) bits));
            case FLOAT64 -> new Float64(Double.longBitsToDouble(bits));
            case BOOL -> new Bool(random.nextBoolean());
            case STRING -> new Str(randomString(random, random.nextInt(12)));
            case ARRAY -> {
                GgufValueType[] types = GgufValueType.values();
                GgufValueType elementType = types[random.nextInt(types.length)];
                if (elementType == GgufValueType.ARRAY && depth + 1 == GgufParser.MAX_ARRAY_DEPTH) {
                    elementType = GgufValueType.INT32;
                }
                int n = random.nextInt(depth < 2 ? 8 : 3);
                List<GgufValue> elements = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    elements.add(randomValue(random, elementType, depth + 1));
                }
                yield new Array(elementType, elements);
            }
        };
    }

    /** Code points from ASCII, Latin, CJK and emoji (UTF-8 of 1 to 4 bytes), controls and NUL included. */
    private static String randomString(Random random, int codePoints) {
        int[] starts = {0, 0x20, 0xc0, 0x4e00, 0x1f980};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            sb.appendCodePoint(starts[random.nextInt(starts.length)] + random.nextInt(96));
        }
        return sb.toString();
    }

    /** Files the writer did not make (field by field, odd layouts) read, written back, and read again: all equal. */
    @Test
    void parsedFilesWriteBackEqual() {
        for (RawGguf sample : List.of(GgufSamples.small(), GgufSamples.unusual())) {
            Path original = sample.write(dir.resolve("original.gguf"));
            Path copy = dir.resolve("copy.gguf");
            try (GgufFile f = GgufFile.open(original)) {
                GgufWriter w = new GgufWriter().version(f.version()).putAll(f.metadata().asMap());
                f.tensorInfos().forEach(info -> w.tensor(f.tensor(info.name())));
                w.write(copy);
                try (GgufFile g = GgufFile.open(copy)) {
                    assertAll(original.toString(),
                            () -> assertEquals(f.version(), g.version(), "version"),
                            () -> assertEquals(f.alignment(), g.alignment(), "alignment"),
                            () -> assertEquals(List.copyOf(f.metadata().keys()), List.copyOf(g.metadata().keys()),
                                    "keys in order, an explicit general.alignment of 32 included"),
                            () -> assertEquals(f.metadata().asMap(), g.metadata().asMap(), "values"),
                            () -> assertEquals(f.tensorInfos(), g.tensorInfos(), "tensor infos, offsets included"),
                            () -> assertEquals(f.dataOffset(), g.dataOffset(), "data offset"));
                    for (GgufTensorInfo info : f.tensorInfos()) {
                        assertEquals(-1, f.tensor(info.name()).data().mismatch(g.tensor(info.name()).data()), info.name());
                    }
                }
            }
        }
    }

    @Test
    void vocabOnlyFileWithoutTensors() {
        Path file = dir.resolve("vocab.gguf");
        new GgufWriter().put("tokenizer.ggml.tokens", GgufValue.strings(List.of("a", "b"))).write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(0, f.tensorInfos().size());
            assertEquals(f.fileSize(), f.dataOffset(), "no padding after the header of a file without tensors");
            assertEquals(List.of("a", "b"), f.metadata().stringArray("tokenizer.ggml.tokens"));
        }
    }

    @Test
    void alignmentCanBeSetThroughItsKey() {
        Path file = dir.resolve("aligned.gguf");
        new GgufWriter().put("general.alignment", GgufValue.u32(256)).tensor("t", GgmlType.F32, Shape.of(1), new float[] {1})
                .write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(256, f.alignment());
            assertEquals(0, f.dataOffset() % 256);
        }
    }

    @Test
    void writerRefusesWhatCouldNotReadBack() {
        GgufWriter w = new GgufWriter();
        Tensor t = new Tensor("t", GgmlType.F32, Shape.of(1), MemorySegment.ofArray(new float[1]));
        w.tensor(t);
        assertAll(
                () -> assertThrows(IllegalArgumentException.class, () -> new Int(GgufValueType.UINT8, 256)),
                () -> assertThrows(IllegalArgumentException.class, () -> new Int(GgufValueType.UINT8, -1)),
                () -> assertThrows(IllegalArgumentException.class, () -> new Int(GgufValueType.INT16, 40000)),
                () -> assertThrows(IllegalArgumentException.class, () -> new Int(GgufValueType.UINT32, 1L << 32)),
                () -> assertThrows(IllegalArgumentException.class, () -> new Int(GgufValueType.FLOAT32, 1)),
                () -> assertThrows(IllegalArgumentException.class, () -> new Array(GgufValueType.INT32, List.of(new Bool(true)))),
                () -> assertThrows(IllegalArgumentException.class, () -> w.tensor(t), "duplicate tensor name"),
                () -> assertThrows(IllegalArgumentException.class, () -> w.tensor(new Tensor("n".repeat(64), GgmlType.F32,
                        Shape.of(1), MemorySegment.ofArray(new float[1]))), "name of 64 bytes"),
                () -> assertThrows(IllegalArgumentException.class, () -> w.put("", GgufValue.str("x")), "empty key"),
                () -> assertThrows(IllegalArgumentException.class, () -> w.put("general.alignment", GgufValue.i32(64))),
                () -> assertThrows(IllegalArgumentException.class, () -> w.put("general.alignment", GgufValue.u32(48))),
                () -> assertThrows(IllegalArgumentException.class, () -> w.alignment(0)),
                () -> assertThrows(IllegalArgumentException.class, () -> w.alignment(3)),
                () -> assertThrows(IllegalArgumentException.class, () -> w.version(1)),
                () -> assertThrows(IllegalArgumentException.class, () -> w.tensor("q", GgmlType.Q8_0, Shape.of(16), new float[16]),
                        "16 values are not a Q8_0 block"));
    }

    @Test
    void failedWriteLeavesNoFileBehind() {
        Path file = dir.resolve("bad.gguf");
        GgufWriter w = new GgufWriter().put("bad", GgufValue.str("lone surrogate \ud800"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(file));
        assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
        assertFalse(Files.exists(file), "no file");
        assertFalse(Files.exists(dir.resolve("bad.gguf.part")), "no partial file");
    }
}
