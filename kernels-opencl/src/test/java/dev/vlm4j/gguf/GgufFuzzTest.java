package dev.vlm4j.gguf;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import dev.vlm4j.tensor.UnsupportedTensorTypeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates valid files thousands of ways (bit flips, byte overwrites, truncation, insertions, deletions, splices of
 * runs from the samples, and hostile values written into the length, count, type, dimension and offset fields) and
 * requires that each either opens, with every metadata value readable through every accessor, every tensor sliceable
 * and dequantisable, and the whole file written back identically, or fails with a {@link Vlm4jException}.
 * Any other throwable fails the test and prints the seed that reproduces it ({@code -Dvlm4j.fuzz.seed=...}).
 */
@Timeout(60)
class GgufFuzzTest {
    private static final long SEED = Long.getLong("vlm4j.fuzz.seed", 0x6767_7566L);
    private static final int CASES = Integer.getInteger("vlm4j.fuzz.cases", 6000);

    /** Values that break careless arithmetic: signs, int and long edges, powers of two, the file size around. */
    private static final long[] NASTY = {0, 1, 2, 3, 4, 31, 32, 33, 63, 64, 255, 256, 1L << 16, Integer.MAX_VALUE,
            1L << 31, (1L << 32) - 1, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32};

    @TempDir
    Path dir;

    private record Sample(String name, byte[] bytes, Map<String, Long> marks) {}

    @Test
    void mutatedFilesOpenOrFailWithTypedErrors() throws IOException {
        List<Sample> samples = List.of(
                new Sample("small", GgufSamples.small().toBytes(), GgufSamples.small().marks()),
                new Sample("unusual", GgufSamples.unusual().toBytes(), GgufSamples.unusual().marks()),
                new Sample("writer", writerSample(), Map.of()));
        int opened = 0;
        int refused = 0;
        long start = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            long seed = SEED + i;
            Random random = new Random(seed);
            Sample sample = samples.get(random.nextInt(samples.size()));
            byte[] mutated = mutate(sample, samples, random);
            // a new file per case: rewriting one file in place makes ext4 flush it to disk every time (auto_da_alloc)
            Path file = Files.write(dir.resolve("case-" + i + ".gguf"), mutated);
            GgufFile f;
            try {
                f = GgufFile.open(file);
            } catch (GgufFormatException e) {
                refused++;
                Files.delete(file);
                assertAll("seed " + seed + ": " + e.getMessage(),
                        () -> assertEquals(file, e.file(), "names the file"),
                        () -> assertTrue(e.offset() >= 0 && e.offset() <= mutated.length, "offset inside the file"),
                        () -> assertFalse(e.field().isBlank(), "names the field"),
                        () -> assertFalse(e.getMessage().contains("\n"), "one-line message"));
                continue;
            } catch (Throwable t) {
                throw new AssertionError("fuzz case " + i + " (" + sample.name() + ") failed to open with " + t
                        + "; reproduce with -Dvlm4j.fuzz.seed=" + seed + " -Dvlm4j.fuzz.cases=1", t);
            }
            // once open, only the typed refusals exercise() allows for may come out
            try (f) {
                exercise(f);
                opened++;
                Files.delete(file);
            } catch (Throwable t) {
                throw new AssertionError("fuzz case " + i + " (" + sample.name() + ") opened, then threw " + t
                        + "; reproduce with -Dvlm4j.fuzz.seed=" + seed + " -Dvlm4j.fuzz.cases=1", t);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("GGUF fuzz: %d cases from seed %d in %.1f s: %d opened, %d refused with typed errors%n",
                CASES, SEED, seconds, opened, refused);
        if (CASES >= 1000) {
            assertTrue(opened > CASES / 50 && refused > CASES / 2, "the mutations reach both outcomes: " + opened + " opened, "
                    + refused + " refused");
        }
    }

    /** Every typed accessor a model loader might call on a key; each may only refuse with a GgufMetadataException. */
    private static final List<BiConsumer<GgufMetadata, String>> ACCESSORS = List.of(
            GgufMetadata::get, GgufMetadata::optString, GgufMetadata::string, GgufMetadata::optLong,
            GgufMetadata::longValue, GgufMetadata::intValue, (m, k) -> m.intValue(k, 0), GgufMetadata::optDouble,
            GgufMetadata::floatValue, (m, k) -> m.floatValue(k, 0f), GgufMetadata::optBool, GgufMetadata::bool,
            (m, k) -> m.bool(k, false), GgufMetadata::stringArray, GgufMetadata::floatArray, GgufMetadata::intArray);

    /**
     * Does what a model loader would: every metadata value through every accessor, every tensor
     * sliced, small ones dequantised, long ones a row at a time. Then writes what it read back out and requires the
     * copy to read back equal.
     */
    private void exercise(GgufFile f) {
        GgufMetadata md = f.metadata();
        for (String key : md.keys()) {
            touch(md.get(key).orElseThrow());
            for (BiConsumer<GgufMetadata, String> accessor : ACCESSORS) {
                try {
                    accessor.accept(md, key);
                } catch (GgufMetadataException wrongTypeOrRange) {
                    // the typed refusal a loader gets for a key of another type
                }
            }
        }
        for (GgufTensorInfo info : f.tensorInfos()) {
            exercise(f.tensor(info.name()), info);
        }
        writeBackAndCompare(f);
    }

    private static void exercise(Tensor t, GgufTensorInfo info) {
        long n = t.data().byteSize();
        if (n != info.byteSize() || t.rows() * t.rowBytes() != n) {
            throw new AssertionError(info.name() + ": " + n + " bytes, " + t.rows() + " rows of " + t.rowBytes()
                    + ", expected " + info.byteSize());
        }
        if (n > 0) {
            t.data().get(ValueLayout.JAVA_BYTE, 0);
            t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            t.row(t.rows() - 1).get(ValueLayout.JAVA_BYTE, t.rowBytes() - 1);
        }
        if (!t.type().computable()) {
            return;
        }
        try {
            if (t.shape().elements() <= 4096) {
                t.toFloats();
            } else if (n > 0 && t.shape().rowLength() <= 4096) {
                for (long r : new long[] {0, t.rows() - 1}) {
                    TensorCodecs.dequantize(t.type(), t.row(r), 0, new float[t.columns()], 0, t.columns());
                }
            }
        } catch (UnsupportedTensorTypeException notYet) {
            // computable in principle, not yet dequantised here: the typed refusal is the contract
        }
    }

    /** read(write(read(file))) == read(file): whatever the reader accepts, the writer writes back faithfully. */
    private void writeBackAndCompare(GgufFile f) {
        GgufWriter w = new GgufWriter().version(f.version()).putAll(f.metadata().asMap());
        f.tensorInfos().forEach(info -> w.tensor(f.tensor(info.name())));
        Path copy = f.path().resolveSibling("copy-of-" + f.path().getFileName());
        w.write(copy);
        try (GgufFile g = GgufFile.open(copy)) {
            if (g.version() != f.version() || g.alignment() != f.alignment()
                    || !List.copyOf(g.metadata().keys()).equals(List.copyOf(f.metadata().keys()))
                    || !g.metadata().asMap().equals(f.metadata().asMap())) {
                throw new AssertionError("the written copy reads back different metadata: " + g + " vs " + f);
            }
            if (g.tensorInfos().size() != f.tensorInfos().size()) {
                throw new AssertionError("the written copy has " + g.tensorInfos().size() + " tensors, not " + f.tensorInfos().size());
            }
            for (int i = 0; i < f.tensorInfos().size(); i++) {
                GgufTensorInfo a = f.tensorInfos().get(i);
                GgufTensorInfo b = g.tensorInfos().get(i);
                if (!a.name().equals(b.name()) || a.type() != b.type() || !a.shape().equals(b.shape())
                        || f.tensor(a.name()).data().mismatch(g.tensor(b.name()).data()) != -1) {
                    throw new AssertionError("tensor " + i + " differs in the written copy: " + a + " vs " + b);
                }
            }
        }
        try {
            Files.delete(copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void touch(GgufValue v) {
        if (v instanceof GgufValue.Array a) {
            for (GgufValue e : a.values()) {
                touch(e);
            }
        }
        v.hashCode();
    }

    private static byte[] mutate(Sample sample, List<Sample> samples, Random random) {
        byte[] b = sample.bytes().clone();
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            int kind = random.nextInt(sample.marks().isEmpty() ? 6 : 9);
            b = switch (kind) {
                case 0 -> flipBits(b, random);
                case 1 -> overwriteBytes(b, random);
                case 2 -> Arrays.copyOf(b, random.nextInt(b.length + 1));
                case 3 -> insert(b, random);
                case 4 -> delete(b, random);
                case 5 -> splice(b, samples.get(random.nextInt(samples.size())).bytes(), random);
                case 6 -> fieldValue(b, sample.marks(), random, 8); // lengths, counts, dims, offsets
                case 7 -> fieldValue(b, sample.marks(), random, 4); // types, n_dims, version, element types
                default -> tensorField(b, sample.marks(), random);
            };
        }
        return b;
    }

    /** Replaces a run of {@code b} with a run of {@code donor} (maybe {@code b} itself), of another length maybe. */
    private static byte[] splice(byte[] b, byte[] donor, Random random) {
        int from = random.nextInt(donor.length);
        int n = Math.min(donor.length - from, 1 + random.nextInt(48));
        int at = random.nextInt(b.length + 1);
        int replaced = Math.min(b.length - at, random.nextBoolean() ? n : random.nextInt(49));
        byte[] out = new byte[b.length - replaced + n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(donor, from, out, at, n);
        System.arraycopy(b, at + replaced, out, at + n, b.length - at - replaced);
        return out;
    }

    private static byte[] flipBits(byte[] b, Random random) {
        if (b.length > 0) {
            for (int i = 1 + random.nextInt(4); i > 0; i--) {
                int at = random.nextInt(b.length);
                b[at] ^= (byte) (1 << random.nextInt(8));
            }
        }
        return b;
    }

    private static byte[] overwriteBytes(byte[] b, Random random) {
        if (b.length > 0) {
            for (int i = 1 + random.nextInt(4); i > 0; i--) {
                b[random.nextInt(b.length)] = (byte) (random.nextBoolean() ? 0xff : random.nextInt(256));
            }
        }
        return b;
    }

    private static byte[] insert(byte[] b, Random random) {
        int at = random.nextInt(b.length + 1);
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        byte[] out = new byte[b.length + extra.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(b, at, out, at + extra.length, b.length - at);
        return out;
    }

    private static byte[] delete(byte[] b, Random random) {
        if (b.length == 0) {
            return b;
        }
        int at = random.nextInt(b.length);
        int n = Math.min(b.length - at, 1 + random.nextInt(16));
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + n, out, at, b.length - at - n);
        return out;
    }

    /** Writes a nasty or random value of {@code width} bytes at a random marked field. */
    private static byte[] fieldValue(byte[] b, Map<String, Long> marks, Random random, int width) {
        List<Long> offsets = new ArrayList<>(marks.values());
        long at = offsets.get(random.nextInt(offsets.size()));
        long value = random.nextInt(3) == 0 ? random.nextLong() : NASTY[random.nextInt(NASTY.length)];
        if (random.nextInt(4) == 0) {
            value = b.length - at + random.nextInt(9) - 4; // about what remains of the file
        }
        return put(b, at, value, width);
    }

    /** Random dims, types and offsets in tensor infos specifically. */
    private static byte[] tensorField(byte[] b, Map<String, Long> marks, Random random) {
        List<Map.Entry<String, Long>> fields = marks.entrySet().stream()
                .filter(e -> e.getKey().matches(".*\\.(ne\\[\\d]|offset|type|n_dims)")).toList();
        if (fields.isEmpty()) {
            return b;
        }
        Map.Entry<String, Long> field = fields.get(random.nextInt(fields.size()));
        String name = field.getKey();
        if (name.endsWith(".type")) {
            return put(b, field.getValue(), random.nextInt(45), 4);
        }
        if (name.endsWith(".n_dims")) {
            return put(b, field.getValue(), random.nextInt(7), 4);
        }
        long value = switch (random.nextInt(3)) {
            case 0 -> 32L * random.nextInt(16);
            case 1 -> random.nextInt(300);
            default -> NASTY[random.nextInt(NASTY.length)];
        };
        return put(b, field.getValue(), value, 8);
    }

    private static byte[] put(byte[] b, long at, long value, int width) {
        if (at + width <= b.length) {
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            if (width == 8) {
                bb.putLong((int) at, value);
            } else {
                bb.putInt((int) at, (int) value);
            }
        }
        return b;
    }

    /** A writer-made file with every value kind, for mutations that need no field map. */
    private byte[] writerSample() throws IOException {
        Path p = dir.resolve("writer.gguf");
        new GgufWriter().alignment(16)
                .put("general.architecture", GgufValue.str("llama"))
                .put("a.u8", new GgufValue.Int(GgufValueType.UINT8, 200))
                .put("a.i64", new GgufValue.Int(GgufValueType.INT64, -5))
                .put("a.f64", new GgufValue.Float64(2.5))
                .put("a.bools", new GgufValue.Array(GgufValueType.BOOL, List.of(new GgufValue.Bool(true))))
                .put("a.nested", new GgufValue.Array(GgufValueType.ARRAY, List.of(GgufValue.strings(List.of("x", "")),
                        GgufValue.ints(GgufValueType.UINT16, 1, 2))))
                .tensor("w", GgmlType.Q4_0, Shape.of(32, 2), new float[64])
                .tensor("b", GgmlType.BF16, Shape.of(3), new float[] {1, 2, 3})
                .tensor(new Tensor("raw", GgmlType.Q2_K, Shape.of(256), MemorySegment.ofArray(new byte[84])))
                .write(p);
        return Files.readAllBytes(p);
    }
}
