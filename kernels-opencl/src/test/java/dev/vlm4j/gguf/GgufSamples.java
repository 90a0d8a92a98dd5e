package dev.vlm4j.gguf;

import dev.vlm4j.tensor.GgmlType;
import java.util.Random;

/** Small valid GGUF files built field by field, every field marked, for truncation, hostile and fuzz tests. */
final class GgufSamples {
    private GgufSamples() {}

    /**
     * v3, default alignment (stated in the file), seven keys of assorted types (a string array, a nested array, a
     * float array), three tensors (F32 [4,2], Q8_0 [32], F16 [3]) and their data.
     */
    static RawGguf small() {
        RawGguf r = RawGguf.header(3, 3, 7);
        r.kvString("general.architecture", "llama");
        r.kvU32("general.alignment", 32);
        r.key("test.flag", GgufValueType.BOOL).u8(1);
        r.key("test.f32", GgufValueType.FLOAT32).f32(0.5f);
        r.arrayHeader("test.tokens", GgufValueType.STRING, 3);
        String[] tokens = {"a", "bc", ""};
        for (int i = 0; i < tokens.length; i++) {
            r.mark("test.tokens[" + i + "]").str(tokens[i]);
        }
        r.arrayHeader("test.nested", GgufValueType.ARRAY, 2);
        r.mark("test.nested[0]").u32(GgufValueType.INT32.id()).mark("test.nested[0].count").u64(2).u32(1).u32(-1);
        r.mark("test.nested[1]").u32(GgufValueType.BOOL.id()).mark("test.nested[1].count").u64(1).u8(0);
        r.arrayHeader("test.scores", GgufValueType.FLOAT32, 4).f32(0).f32(-1).f32(2.5f).f32(Float.NaN);
        r.tensor("a", new long[] {4, 2}, GgmlType.F32.id(), 0);
        r.tensor("b", new long[] {32}, GgmlType.Q8_0.id(), 32);
        r.tensor("c", new long[] {3}, GgmlType.F16.id(), 96);
        r.mark("padding").padTo(32);
        r.mark("data");
        data(r, 32, 1);
        data(r, 34, 2).padTo(32);
        data(r, 6, 3);
        r.mark("end").padTo(32);
        return r;
    }

    /**
     * v2, alignment 64, a UINT64 and an INT8 array, and tensors of unusual shapes: no dims (a scalar), zero
     * elements, four dims, and a block type (Q4_0).
     */
    static RawGguf unusual() {
        RawGguf r = RawGguf.header(2, 4, 4);
        r.kvU32("general.alignment", 64);
        r.key("test.u64", GgufValueType.UINT64).u64(-1);
        r.arrayHeader("test.i8", GgufValueType.INT8, 3).u8(-128).u8(0).u8(127);
        r.kvString("test.name", "żółć");
        r.tensor("scalar", new long[] {}, GgmlType.F32.id(), 0);
        r.tensor("empty", new long[] {0, 5}, GgmlType.F16.id(), 64);
        r.tensor("four_d", new long[] {2, 3, 4, 5}, GgmlType.I8.id(), 64);
        r.tensor("q4", new long[] {64}, GgmlType.Q4_0.id(), 192);
        r.mark("padding").padTo(64);
        r.mark("data");
        data(r, 4, 1).padTo(64);
        data(r, 120, 2).padTo(64);
        data(r, 36, 3);
        r.mark("end");
        return r;
    }

    private static RawGguf data(RawGguf r, int bytes, int seed) {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        return r.bytes(b);
    }
}
