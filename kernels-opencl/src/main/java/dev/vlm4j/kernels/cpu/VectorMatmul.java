package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.GgmlMath;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The CPU matmul with the Vector API: {@code out[r] = W · x[r]} for F32, F16, BF16, Q8_0 and Q4_0 weights.
 *
 * <p>Numerics as ggml-cpu: the activations are first rounded the way ggml's {@code vec_dot_type} for the weight
 * type rounds them (fp16 for F16, bf16 for BF16, Q8_0 blocks for Q8_0/Q4_0). Weights and activations are then
 * dequantised exactly (an int8 or int4 times an fp16 scale is exact in float32) and multiplied in float32 — the
 * same products ggml's integer dot sums, rounded once more per product instead of once per block, which moves
 * results by float32 rounding only (well inside the parity tolerances).
 *
 * <p>Work split: output rows in groups; each group of weight rows is dequantised once into its thread's buffer
 * (read from the memory-mapped file exactly once per matmul) and then multiplied with every activation row, with
 * register tiles of 4 weight rows × 4 (AVX-512), 2 or 1 activation rows for batches (prefill, ViT patches), in
 * cache-line-aligned native memory with rows interleaved by vectors ({@link #matmulTiles}). With one or two
 * activation rows (decode) each weight row is read straight from the mapped file and widened in registers instead.
 * Q8_0 decode goes further, as ggml does: activations quantised to int8 blocks, each block's 32 products summed
 * exactly in integers, then scaled once by both blocks' scales ({@link #matmulQ8_0Rows}).
 */
final class VectorMatmul {
    /** 8 or 16 lanes: the tiles and {@link #hsum} are written for those (SVE's wider vectors get 8). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() == 16
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    private static final int L = F.length();
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
    private static final FloatVector TWO = FloatVector.broadcast(F, 2f);
    private static final FloatVector MINUS_TWO_POW_MINUS_14 = FloatVector.broadcast(F, -0x1p-14f);
    /** Bytes that widen to one float vector: 16 for AVX-512, 8 for AVX2. */
    private static final VectorSpecies<Byte> BL = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 8));
    /** 2L shorts in F's shape (a product vector) and the 2L weight bytes widened into it. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_64.withShape(F.vectorShape());
    private static final VectorSpecies<Byte> B2L = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final long CACHE_LINE = 64;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** With 32 vector registers (AVX-512) a 4x4 tile of accumulators fits; with 16 it would spill. */
    private static final boolean WIDE_TILE = F.vectorBitSize() >= 512;

    /**
     * Lane indexes for {@link #tile4x4}'s 16 x 16 transpose, one pair per stage (blocks of 8, 4, 2, 1 lanes): into the
     * 32 lanes of two vectors {@code (x, y)}, {@code low} keeps x's lanes where the block bit is clear and takes y's
     * block below them where it is set; {@code high} takes the rest. Only used with 16 lanes.
     */
    private static final IntVector TRANSPOSE_LOW_8 = transposeIndexes(8, false), TRANSPOSE_HIGH_8 = transposeIndexes(8, true);
    private static final IntVector TRANSPOSE_LOW_4 = transposeIndexes(4, false), TRANSPOSE_HIGH_4 = transposeIndexes(4, true);
    private static final IntVector TRANSPOSE_LOW_2 = transposeIndexes(2, false), TRANSPOSE_HIGH_2 = transposeIndexes(2, true);
    private static final IntVector TRANSPOSE_LOW_1 = transposeIndexes(1, false), TRANSPOSE_HIGH_1 = transposeIndexes(1, true);

    private static IntVector transposeIndexes(int block, boolean high) {
        int[] index = new int[I.length()];
        for (int p = 0; p < index.length; p++) {
            boolean set = (p & block) != 0;
            index[p] = high ? (set ? index.length + p : p + block) : (set ? index.length + p - block : p);
        }
        return IntVector.fromArray(I, index, 0);
    }

    /** Weight rows dequantised per group: enough to keep a group in L2 while every activation row passes. */
    private static final int GROUP_ROWS = 32;

    private VectorMatmul() {
    }

    /**
     * Every type vlm4j can dequantise. Q4_1, Q5_x and the K-quants go through the scalar dequantiser into the row
     * buffer and meet unrounded F32 activations, where ggml would quantise the activations to Q8_1/Q8_K first:
     * their results differ from ggml's by that activation rounding (a documented deviation; no fixture uses them).
     */
    static boolean supports(GgmlType type) {
        return type.computable();
    }

    /** float to the nearest bfloat16 (ties to even), as ggml_compute_fp32_to_bf16; NaN stays NaN. */
    static float roundToBf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return v;
        return Float.intBitsToFloat(((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) << 16);
    }

    /**
     * Rows {@code [fromRow, toRow)} of the activations, rounded as ggml rounds them for {@code type}'s dot product,
     * into {@code out} (same layout, offset 0).
     */
    static void prepareActivations(GgmlType type, float[] x, int offset, int cols, int fromRow, int toRow, float[] out) {
        int from = fromRow * cols;
        int to = toRow * cols;
        switch (type) {
            case F16 -> {
                for (int i = from; i < to; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(x[offset + i]));
            }
            case BF16 -> {
                for (int i = from; i < to; i++) out[i] = roundToBf16(x[offset + i]);
            }
            case Q8_0, Q4_0 -> {
                for (int r = fromRow; r < toRow; r++) roundQ8_0(x, offset + r * cols, cols, out, r * cols);
            }
            default -> System.arraycopy(x, offset + from, out, from, to - from);
        }
    }

    /**
     * One row of activations rounded through Q8_0 blocks as {@link GgmlMath#quantizeQ8_0} rounds them, written back
     * as floats {@code q * d}: per block of 32, {@code amax} (a maximum: exact in any order), {@code d = fp16(amax /
     * 127)}, {@code q = rint(x * 127 / amax)}. rint is {@code (t + 1.5·2^23) - 1.5·2^23}, exact round-half-even for
     * {@code |t| <= 127}. The same bits as the scalar code, in vector lanes; decode runs this once per matmul on one
     * thread, where the scalar loop cost about 5 % of a token.
     */
    static void roundQ8_0(float[] x, int xo, int cols, float[] out, int oo) {
        for (int b = 0; b < cols; b += 32) {
            FloatVector m = FloatVector.zero(F);
            for (int p = 0; p < 32; p += L) m = m.max(FloatVector.fromArray(F, x, xo + b + p).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float d = q8_0Scale(amax);
            float id = q8_0InverseScale(amax);
            for (int p = 0; p < 32; p += L) {
                FloatVector t = FloatVector.fromArray(F, x, xo + b + p).mul(id);
                t.add(MAGIC).sub(MAGIC).mul(d).intoArray(out, oo + b + p);
            }
        }
    }

    /**
     * One row of activations quantised to Q8_0 blocks exactly as {@link #roundQ8_0} rounds them, kept as the int8
     * values {@code q} (in shorts, the width they are multiplied in) and one scale {@code d} per block of 32. Plain
     * loops: C2 vectorises them as fast as Vector API code (103 vs 123 ns per 2048 values), and where this runs
     * cold (once per prefill, for the last row's logits) the interpreter does not crawl through Vector API fallbacks.
     */
    static void quantizeQ8_0(float[] x, int xo, int cols, short[] q, int qo, float[] d, int dOff) {
        for (int b = 0; b < cols; b += 32) {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[xo + b + i]));
            d[dOff + (b >> 5)] = q8_0Scale(amax);
            float id = q8_0InverseScale(amax);
            for (int i = 0; i < 32; i++) q[qo + b + i] = q8_0Quant(x[xo + b + i], id);
        }
    }

    /** A Q8_0 block's scale, as ggml stores it (fp16), for the block's largest magnitude {@code amax}. */
    private static float q8_0Scale(float amax) {
        return Float.float16ToFloat(Float.floatToFloat16(amax / 127.f));
    }

    /** The factor that maps a block with largest magnitude {@code amax} onto [-127, 127] (0 for an all-zero block). */
    private static float q8_0InverseScale(float amax) {
        return amax != 0.0f ? 127.f / amax : 0.0f;
    }

    /** {@code rint(v * id)} for {@code |v * id| <= 127}, as {@link #roundQ8_0} explains. */
    private static short q8_0Quant(float v, float id) {
        return (short) (int) ((v * id + MAGIC) - MAGIC);
    }

    /**
     * Decode with Q8_0 weights, as ggml's {@code vec_dot_q8_0_q8_0}: for rows {@code j in [from, to)},
     * {@code out[r*outStride + j] = sum over blocks of (int dot of the block) * d_w * d_x (+ bias[j])}, with the
     * activations quantised by {@link #quantizeQ8_0} ({@code xq}, {@code xd}; {@code rows} of {@code n}).
     */
    static void matmulQ8_0Rows(Tensor w, float[] bias, short[] xq, float[] xd, int rows, float[] out, int outOffset,
                               int outStride, int from, int to) {
        int n = w.columns();
        float[] lanes = new float[16];
        for (int r = 0; r < rows; r++) {
            for (int j = from; j < to; j++) {
                float v = dotQ8_0Row(w, j, xq, xd, r * n, n, lanes);
                out[outOffset + r * outStride + j] = bias == null ? v : v + bias[j];
            }
        }
    }

    /**
     * Row {@code j} of a Q8_0 weight dotted with quantised activations at {@code xo}, straight from the mapped
     * file. Each block's sum is exact (integers); blocks alternate between two accumulators so that one block's
     * scaling need not wait for the previous one's (+35 % over one accumulator in a single-thread probe).
     */
    static float dotQ8_0Row(Tensor w, int j, short[] xq, float[] xd, int xo, int n, float[] lanes) {
        MemorySegment seg = w.data();
        long block = j * w.rowBytes();
        FloatVector even = FloatVector.zero(F);
        FloatVector odd = FloatVector.zero(F);
        int end = xo + n;
        int k = xo;
        for (; k + 64 <= end; k += 64, block += 68) {
            even = addScaledBlock(even, seg, block, xq, xd, k);
            odd = addScaledBlock(odd, seg, block + 34, xq, xd, k + 32);
        }
        if (k < end) {
            even = addScaledBlock(even, seg, block, xq, xd, k);
        }
        return hsum(even.add(odd), lanes);
    }

    /** {@code acc} plus the Q8_0 block at {@code block} dotted with the activations at {@code k}, times both scales. */
    private static FloatVector addScaledBlock(FloatVector acc, MemorySegment seg, long block, short[] xq, float[] xd, int k) {
        return blockDot(seg, block, xq, k).fma(FloatVector.broadcast(F, blockScale(seg, block) * xd[k >> 5]), acc);
    }

    private static float blockScale(MemorySegment seg, long block) {
        return Float.float16ToFloat(seg.get(SHORT, block));
    }

    /**
     * The 32 products of the Q8_0 weight block at {@code block} and 32 quantised activations, in L int lanes whose
     * total is the block's exact integer dot, as floats (exact: at most 32 * 128 * 127 in magnitude).
     */
    private static FloatVector blockDot(MemorySegment seg, long block, short[] xq, int k) {
        IntVector sum = pairSums(blockWeights(seg, block + 2).mul(ShortVector.fromArray(S, xq, k)));
        for (int p = 2 * L; p < 32; p += 2 * L) {
            sum = sum.add(pairSums(blockWeights(seg, block + 2 + p).mul(ShortVector.fromArray(S, xq, k + p))));
        }
        return (FloatVector) sum.convert(VectorOperators.I2F, 0);
    }

    /** 2L signed weight bytes widened to shorts. */
    private static ShortVector blockWeights(MemorySegment seg, long at) {
        return (ShortVector) ByteVector.fromMemorySegment(B2L, seg, at, LE).convertShape(VectorOperators.B2S, S, 0);
    }

    /**
     * Each int lane's two short products added, in int lanes (what x86's pmaddwd does; the Vector API lacks it).
     * A lane holds {@code hi·2^16 + (lo mod 2^16)}; adding it shifted left by 16 puts {@code hi + lo (mod 2^16)} in
     * the top half, and the arithmetic shift brings it down with its sign. Exact because a product of an int8
     * weight and an activation in [-127, 127] is at most 16256 in magnitude, so a pair fits in 16 bits.
     */
    static IntVector pairSums(ShortVector products) {
        IntVector p = products.reinterpretAsInts();
        return p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }

    /** Weight types whose decode goes through {@link #matmulDecodeRows}, reading cache-line-aligned activations. */
    static boolean readsAlignedActivations(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16;
    }

    /** Bytes of one activation row in {@link #matmulDecodeRows}'s layout, rounded up to whole cache lines. */
    static long decodeRowBytes(int n) {
        return (4L * n + CACHE_LINE - 1) & -CACHE_LINE;
    }

    /**
     * One prepared activation row ({@link #prepareActivations}) into {@code dst} at byte {@code at} in the layout
     * {@link #matmulDecodeRows} reads: pair-permuted for F16 ({@link #pairPermute}), as it is for F32.
     */
    static void layOutDecodeRow(GgmlType type, float[] x, int xo, int n, float[] tmp, MemorySegment dst, long at) {
        if (type == GgmlType.F16) {
            pairPermute(x, xo, tmp, n);
            MemorySegment.copy(tmp, 0, dst, ValueLayout.JAVA_FLOAT, at, n);
        } else {
            MemorySegment.copy(x, xo, dst, ValueLayout.JAVA_FLOAT, at, n);
        }
    }

    /**
     * Decode: {@code out[r*outStride + j] = dot(W row j, x row r) (+ bias[j])} for rows {@code j in [from, to)} of
     * an F32 or F16 weight, each row dotted straight from the mapped file. The {@code rows} activation
     * rows lie in {@code x}, {@code rowBytes} apart, as {@link #layOutDecodeRow} puts them. (Q8_0 has its own
     * integer path, {@link #matmulQ8_0Rows}; Q4_0 decode is {@link #matmulQ4_0Rows}, see below.)
     *
     * <p>{@code x} must start on a cache line. A 512-bit load from a float[] crosses two lines wherever the array
     * happens to sit 16 bytes off one, which the JVM decides anew in each run and may change at each GC: Q4_0
     * matrix × vector ran 7.1–9.9 GB/s from an array against a steady 11.0–11.3 from aligned native memory (JMH,
     * one thread, cache-resident), F16 21.7–23.3 against 27.0–28.9, and F16 decode went from 143–145 to 204–206
     * tokens/s. Q4_0 decode read this way was faster in JMH, but in `bench` some JVMs decoded at 166–199 tokens/s
     * against a steady ~250 from the array, so it stays an array, as does Q8_0's short[] (half speed from native
     * memory).
     */
    static void matmulDecodeRows(Tensor w, float[] bias, MemorySegment x, long rowBytes, int rows,
                                 float[] out, int outOffset, int outStride, int from, int to) {
        int n = w.columns();
        float[] lanes = new float[16];
        for (int r = 0; r < rows; r++) {
            long xo = r * rowBytes;
            int o = outOffset + r * outStride;
            switch (w.type()) {
                case F32 -> {
                    for (int j = from; j < to; j++) out[o + j] = dotF32Row(w, j, x, xo, n, lanes);
                }
                case F16 -> {
                    for (int j = from; j < to; j++) out[o + j] = dotF16Row(w, j, x, xo, n, lanes);
                }
                default -> throw new IllegalArgumentException("no row dot for " + w.type());
            }
            if (bias != null) {
                for (int j = from; j < to; j++) out[o + j] += bias[j];
            }
        }
    }

    /**
     * Q4_0 decode: {@code out[r*outStride + j] = dot(W row j, x row r) (+ bias[j])} for rows {@code j in [from, to)},
     * each row widened in registers from the mapped file, against activations prepared by
     * {@link #prepareActivations} in a plain array (see {@link #matmulDecodeRows} for why not aligned memory). The
     * 256-bit path; with 512-bit vectors Q4_0 decode is {@link #matmulQ4_0Pairs}.
     */
    static void matmulQ4_0Rows(Tensor w, float[] bias, float[] x, int rows, float[] out, int outOffset, int outStride,
                               int from, int to) {
        int n = w.columns();
        float[] lanes = new float[16];
        for (int r = 0; r < rows; r++) {
            for (int j = from; j < to; j++) {
                float v = dotQ4_0Row(w, j, x, r * n, n, lanes);
                out[outOffset + r * outStride + j] = bias == null ? v : v + bias[j];
            }
        }
    }

    /** Q4_0 decode goes through {@link #matmulQ4_0Pairs} (it needs 64-byte vectors and a byte permute). */
    static final boolean Q4_0_PAIRS = F.vectorBitSize() == 512;
    /** Bytes of one Q4_0 block (fp16 scale, 16 bytes of nibbles) and of the pair {@link #q4_0PairLanes} loads at once. */
    private static final int Q4_0_BLOCK = 18, Q4_0_PAIR = 2 * Q4_0_BLOCK;
    /** 64 bytes: two 18-byte Q4_0 blocks and the start of the next, loaded at once. */
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    /**
     * Byte lanes that put byte {@code i} of block A's quants in both bytes of short lane {@code i} and block B's in
     * short lane {@code 16 + i}: the low copy gives the low nibble with a mask, the high copy the high nibble with one
     * shift.
     */
    private static final VectorShuffle<Byte> PAIR_QUANTS =
            VectorShuffle.fromOp(B64, i -> i < 32 ? 2 + i / 2 : Q4_0_BLOCK + 2 + (i - 32) / 2);
    /** Byte lanes that put block A's fp16 scale in the high half of int lanes 0-7 and block B's in lanes 8-15. */
    private static final VectorShuffle<Byte> PAIR_SCALES =
            VectorShuffle.fromOp(B64, i -> (i < 32 ? 0 : Q4_0_BLOCK) + Math.max(0, (i & 3) - 2));
    private static final FloatVector TWO_POW_112 = FloatVector.broadcast(F, 0x1p112f);
    /** Shorts and floats per pair of blocks in {@link #quantizeQ4_0Pairs}'s activation layout. */
    static final int PAIR_QUANT_SHORTS = 64, PAIR_SCALE_FLOATS = 16;

    /** Pairs of 32-value blocks in a row of {@code n} values (an odd last block is paired with zeros). */
    static int q4_0Pairs(int n) {
        return (n / 32 + 1) / 2;
    }

    /**
     * One row of activations quantised to Q8_0 blocks exactly as {@link #quantizeQ8_0} quantises them, laid out for
     * {@link #matmulQ4_0Pairs}: per pair of blocks A, B, 64 quants {@code [A0..15, B0..15, A16..31, B16..31]} (the
     * order {@link #PAIR_QUANTS} puts the weights' low and high nibbles in) and 16 scales {@code [dA x8, dB x8]}. An
     * odd last block is paired with zeros, which add nothing.
     */
    static void quantizeQ4_0Pairs(float[] x, int xo, int n, short[] xp, int po, float[] xs, int so) {
        int blocks = n / 32;
        for (int b = 0; b < 2 * q4_0Pairs(n); b++) {
            int quants = po + (b >> 1) * PAIR_QUANT_SHORTS + (b & 1) * 16;
            int scales = so + (b >> 1) * PAIR_SCALE_FLOATS + (b & 1) * 8;
            if (b == blocks) {
                Arrays.fill(xp, quants, quants + 16, (short) 0);
                Arrays.fill(xp, quants + 32, quants + 48, (short) 0);
                Arrays.fill(xs, scales, scales + 8, 0f);
                break;
            }
            int at = xo + 32 * b;
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[at + i]));
            Arrays.fill(xs, scales, scales + 8, q8_0Scale(amax));
            float id = q8_0InverseScale(amax);
            for (int i = 0; i < 16; i++) xp[quants + i] = q8_0Quant(x[at + i], id);
            for (int i = 0; i < 16; i++) xp[quants + 32 + i] = q8_0Quant(x[at + 16 + i], id);
        }
    }

    /**
     * Q4_0 decode with 512-bit vectors, as ggml's {@code vec_dot_q4_0_q8_0}: for rows {@code j in [from, to)},
     * {@code out[r*outStride + j] = sum over blocks of (int dot of the block) * d_w * d_x (+ bias[j])}, against
     * activations quantised to int8 blocks and laid out by {@link #quantizeQ4_0Pairs} ({@code rows} of them).
     */
    static void matmulQ4_0Pairs(Tensor w, float[] bias, short[] xp, float[] xs, int rows, float[] out, int outOffset,
                                int outStride, int from, int to) {
        int pairs = q4_0Pairs(w.columns());
        float[] lanes = new float[SUMS + 16];
        for (int r = 0; r < rows; r++) {
            int o = outOffset + r * outStride;
            int po = r * pairs * PAIR_QUANT_SHORTS, so = r * pairs * PAIR_SCALE_FLOATS;
            int j = from;
            for (; j + 16 <= to; j += 16) { // 16 lanes: this path is only taken with 512-bit vectors
                for (int i = 0; i < 16; i += 2) q4_0PairLanes(w, j + i, j + i + 1, xp, po, xs, so, lanes, i * L);
                storeRowSums(lanes, bias, out, o, j);
            }
            for (; j < to; j += 2) {
                int last = Math.min(j + 1, to - 1); // an odd last row is computed twice, once wasted
                q4_0PairLanes(w, j, last, xp, po, xs, so, lanes, 0);
                for (int i = j; i <= last; i++) {
                    float v = sumLanes(lanes, (i - j) * L);
                    out[o + i] = bias == null ? v : v + bias[i];
                }
            }
        }
    }

    /**
     * Rows {@code j0} and {@code j1 >= j0} of a Q4_0 weight dotted two blocks at a time, straight from the mapped
     * file, their accumulators left unsummed at {@code lanes[at ..]} and {@code lanes[at + L ..]}. One 64-byte load
     * holds a pair of blocks; one byte permute spreads their quants over short lanes and another their scales over
     * int lanes. The int8 products are summed exactly in integers (per int lane, four products of at most 8 * 127),
     * and scaled once per lane by {@code d_w * d_x}. Against the one-block float loop this loads and converts each
     * block's scale in vector lanes instead of through a scalar register, the step that cost the most (+22 % in a
     * single-thread probe, cache-resident). Two rows share each activation load: 11–12 % faster than one row at a
     * time on 2048 x 768 (one and two threads, cache-resident; 3 % on 768 x 2048), and four rows were no better than
     * two. Some JVMs seemed to run it slower than the one-row loop, from the same size of C2 code (README, fourth
     * session of 2026-12-06); the fifth session saw such swings come and go within one JVM, 30 % either way, with
     * no compilation, collection or safepoint in between, on this virtual machine whose speed drifts: nothing ties
     * them to this loop.
     *
     * <p>A block scale is converted in three operations: an arithmetic shift moves the fp16 exponent and mantissa to
     * float's bits 13..27 and leaves the sign at bit 31, a mask clears the sign's copies at 28..30 and the low half's
     * bits, and the multiply by 2^112 is exact for normal and subnormal halves alike and keeps the sign. A subnormal
     * scale (a block whose largest |weight| is under 5e-4) makes the multiply read a denormal float, slow on x86 but
     * rare, where F16 weights needed {@link #halfMagnitude}. Infinite and NaN scales, which no quantiser writes, come
     * out finite. A test runs every finite fp16 scale through this method.
     *
     * <p>Every step is written out here, for both rows, instead of calling {@link #pairSums} or a helper per row: C2
     * then ran out of inlining depth inside the Vector API, boxed the vectors, and the kernel ran three times slower.
     *
     * <p>A load may run past the row into the next one: those bytes meet zero activations and scales (or are not used
     * at all). Near the end of the tensor, where a load would leave it, {@link #addPairScalar} finishes each row with
     * the same operations lane by lane. (A masked load there instead, even one not taken, slowed the loop by a fifth.)
     */
    private static void q4_0PairLanes(Tensor w, int j0, int j1, short[] xp, int po, float[] xs, int so, float[] lanes, int at) {
        MemorySegment seg = w.data();
        long rowBytes = w.rowBytes();
        long row0 = j0 * rowBytes, row1 = j1 * rowBytes;
        int pairs = q4_0Pairs(w.columns());
        long lastLoad = seg.byteSize() - B64.vectorByteSize();
        int whole = row1 + (long) Q4_0_PAIR * (pairs - 1) <= lastLoad ? pairs
                : (int) Math.clamp(Math.floorDiv(lastLoad - row1, Q4_0_PAIR) + 1, 0, pairs);
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        // An int pair index drives the loop: C2 then hoists the activation arrays' range checks out of it.
        for (int q = 0; q < whole; q++) {
            int p = po + q * PAIR_QUANT_SHORTS;
            ShortVector xa = ShortVector.fromArray(S, xp, p), xb = ShortVector.fromArray(S, xp, p + 32);
            FloatVector activationScales = FloatVector.fromArray(F, xs, so + q * PAIR_SCALE_FLOATS);
            ByteVector raw0 = ByteVector.fromMemorySegment(B64, seg, row0 + (long) Q4_0_PAIR * q, LE);
            ByteVector raw1 = ByteVector.fromMemorySegment(B64, seg, row1 + (long) Q4_0_PAIR * q, LE);
            // Low nibble from the byte's low copy, high nibble from its copy in the high half; both minus 8.
            ShortVector packed0 = raw0.rearrange(PAIR_QUANTS).reinterpretAsShorts();
            ShortVector packed1 = raw1.rearrange(PAIR_QUANTS).reinterpretAsShorts();
            IntVector products0 = packed0.and((short) 0x0f).sub((short) 8).mul(xa)
                    .add(packed0.lanewise(VectorOperators.LSHR, 12).sub((short) 8).mul(xb)).reinterpretAsInts();
            IntVector products1 = packed1.and((short) 0x0f).sub((short) 8).mul(xa)
                    .add(packed1.lanewise(VectorOperators.LSHR, 12).sub((short) 8).mul(xb)).reinterpretAsInts();
            // pairSums (Q8_0's), written out
            FloatVector sums0 = (FloatVector) products0.add(products0.lanewise(VectorOperators.LSHL, 16))
                    .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            FloatVector sums1 = (FloatVector) products1.add(products1.lanewise(VectorOperators.LSHL, 16))
                    .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
            // Each block's fp16 scale in the high half of its int lanes, as a float (see above), times the activations'.
            FloatVector scales0 = raw0.rearrange(PAIR_SCALES).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3)
                    .and(0x8fffe000).reinterpretAsFloats().mul(TWO_POW_112).mul(activationScales);
            FloatVector scales1 = raw1.rearrange(PAIR_SCALES).reinterpretAsInts().lanewise(VectorOperators.ASHR, 3)
                    .and(0x8fffe000).reinterpretAsFloats().mul(TWO_POW_112).mul(activationScales);
            acc0 = sums0.fma(scales0, acc0);
            acc1 = sums1.fma(scales1, acc1);
        }
        acc0.intoArray(lanes, at);
        acc1.intoArray(lanes, at + L);
        for (int q = whole; q < pairs; q++) {
            int p = po + q * PAIR_QUANT_SHORTS, s = so + q * PAIR_SCALE_FLOATS;
            long pair = (long) Q4_0_PAIR * q;
            addPairScalar(lanes, at, seg, row0 + pair, row0 + rowBytes, xp, p, xs, s);
            addPairScalar(lanes, at + L, seg, row1 + pair, row1 + rowBytes, xp, p, xs, s);
        }
    }

    /**
     * Sixteen rows' accumulators, row {@code j + i}'s at {@code lanes[i*L ..]}, each summed exactly as {@link #hsum}
     * sums it, into {@code out[o + j + i]} (plus {@code bias[j + i]}). For Q4_0 decode, taking the sums by one transpose
     * instead of 16 scalar adds per row made a 2048 x 768 matrix × vector 15–20 % faster (one and two threads,
     * cache-resident), the same bits; Q8_0 and F16 rows, tried the same way, did not gain (Q8_0 lost 6 %).
     */
    private static void storeRowSums(float[] lanes, float[] bias, float[] out, int o, int j) {
        transposedLaneSums(lanes);
        for (int i = 0; i < 16; i++) out[o + j + i] = bias == null ? lanes[SUMS + i] : lanes[SUMS + i] + bias[j + i];
    }

    /**
     * One pair of {@link #q4_0PairLanes}'s steps lane by lane into {@code lanes}, reading only the bytes of the row
     * (which ends at {@code rowEnd}): the same integer sums, the same float product of the scales and the same fused
     * multiply-add.
     */
    private static void addPairScalar(float[] lanes, int at, MemorySegment seg, long pair, long rowEnd, short[] xp, int p,
                                      float[] xs, int s) {
        for (int half = 0; half < 2 && pair + (long) Q4_0_BLOCK * half < rowEnd; half++) {
            long block = pair + (long) Q4_0_BLOCK * half;
            float scale = Float.float16ToFloat(seg.get(SHORT, block));
            for (int lane = 0; lane < 8; lane++) {
                int sum = 0;
                for (int i = 2 * lane; i < 2 * lane + 2; i++) {
                    int packed = seg.get(ValueLayout.JAVA_BYTE, block + 2 + i) & 0xff;
                    sum += ((packed & 0x0f) - 8) * xp[p + 16 * half + i] + ((packed >> 4) - 8) * xp[p + 32 + 16 * half + i];
                }
                int l = 8 * half + lane;
                lanes[at + l] = Math.fma((float) sum, scale * xs[s + l], lanes[at + l]);
            }
        }
    }

    /** Bytes of {@link #matmulTiles}'s weight buffer for rows of {@code n} values. */
    static long tileBufferBytes(int n) {
        return interleavedBytes(GROUP_ROWS, n);
    }

    /**
     * Any number of activation rows against any weight type: {@code out[r*outStride + j] = dot(W row j, x row r)
     * (+ bias[j])} for rows {@code j in [from, to)}. Weight rows are dequantised a group at a time into {@code buf}
     * ({@link #tileBufferBytes}) and met by tiles of four weight rows by four (or two, or one) activation rows.
     * {@code x} holds the {@code rows} activation rows, as {@link #prepareActivations} rounds them, in the
     * interleaved layout ({@link #interleaveRow}, native order); {@code buf} takes the weights in it, little-endian.
     *
     * <p>{@code x} and {@code buf} must start on a cache line, as in {@link #matmulDecodeRows}. From float[] arrays
     * every 512-bit load split across two lines whenever the JVM had placed an array off a line: the activation
     * scratch kept its placement for a whole run, so prefill ran at one of two speeds per JVM (pp128 ~700 or ~1100
     * tokens/s), and the per-call weight buffer was almost always off a line.
     */
    static void matmulTiles(Tensor w, float[] bias, MemorySegment x, int rows, MemorySegment buf,
                            float[] out, int outOffset, int outStride, int from, int to) {
        int n = w.columns();
        float[] lanes = new float[SUMS + 16]; // the tiles' accumulators on their way to lane sums
        float[] row = new float[n];
        for (int g = from; g < to; g += GROUP_ROWS) {
            int count = Math.min(GROUP_ROWS, to - g);
            for (int i = 0; i < count; i++) dequantizeInterleaved(w, g + i, buf, interleavedRow(i, n), row);
            int r = 0;
            if (WIDE_TILE) {
                for (; r + 3 < rows; r += 4) {
                    long xr = interleavedRow(r, n);
                    int i = 0;
                    for (; i + 3 < count; i += 4) tile4x4(buf, interleavedRow(i, n), x, xr, n, out, outOffset + r * outStride + g + i, outStride, lanes);
                    for (; i < count; i++) {
                        for (int rr = r; rr < r + 4; rr++) {
                            out[outOffset + rr * outStride + g + i] = dot(buf, interleavedRow(i, n), x, interleavedRow(rr, n), CHUNK, n, lanes);
                        }
                    }
                }
            }
            for (; r + 1 < rows; r += 2) { // r is even: both rows lie in one quad
                long xr = interleavedRow(r, n);
                int i = 0;
                for (; i + 3 < count; i += 4) tile4x2(buf, interleavedRow(i, n), x, xr, n, out, outOffset + r * outStride + g + i, outStride, lanes);
                for (; i < count; i++) {
                    long wr = interleavedRow(i, n);
                    out[outOffset + r * outStride + g + i] = dot(buf, wr, x, xr, CHUNK, n, lanes);
                    out[outOffset + (r + 1) * outStride + g + i] = dot(buf, wr, x, xr + VECTOR, CHUNK, n, lanes);
                }
            }
            for (; r < rows; r++) {
                long xr = interleavedRow(r, n);
                int i = 0;
                for (; i + 3 < count; i += 4) tile4x1(buf, interleavedRow(i, n), x, xr, n, out, outOffset + r * outStride + g + i, lanes);
                for (; i < count; i++) out[outOffset + r * outStride + g + i] = dot(buf, interleavedRow(i, n), x, xr, CHUNK, n, lanes);
            }
            if (bias != null) {
                for (int rr = 0; rr < rows; rr++) {
                    for (int i = 0; i < count; i++) out[outOffset + rr * outStride + g + i] += bias[g + i];
                }
            }
        }
    }

    /**
     * Row {@code j} of {@code w}, exactly as ggml dequantises it, as the interleaved row at byte {@code row} of
     * {@code dst} (little-endian; see {@link #interleaveRow}). F32, Q8_0 and Q4_0 go there straight from vector
     * registers; the other types through {@code tmp} ({@code n} floats).
     */
    static void dequantizeInterleaved(Tensor w, int j, MemorySegment dst, long row, float[] tmp) {
        MemorySegment seg = w.data();
        long at = j * w.rowBytes();
        int n = w.columns();
        switch (w.type()) {
            case F32 -> {
                int k = 0;
                for (int bound = F.loopBound(n); k < bound; k += L) {
                    FloatVector.fromMemorySegment(F, seg, at + 4L * k, LE).intoMemorySegment(dst, row + k / L * CHUNK, LE);
                }
                for (int i = 0; k < n; k++, i++) dst.set(FLOAT, row + n / L * CHUNK + 4L * i, seg.get(FLOAT, at + 4L * k));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long block = at + 34L * b;
                    FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(seg.get(SHORT, block)));
                    for (int p = 0; p < 32; p += L) {
                        widen(ByteVector.fromMemorySegment(BL, seg, block + 2 + p, LE)).mul(d)
                                .intoMemorySegment(dst, row + (32 * b + p) / L * CHUNK, LE);
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long block = at + 18L * b;
                    FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(seg.get(SHORT, block)));
                    for (int p = 0; p < 16; p += L) {
                        IntVector bytes = unsignedBytes(ByteVector.fromMemorySegment(BL, seg, block + 2 + p, LE));
                        lowNibbles(bytes).mul(d).intoMemorySegment(dst, row + (32 * b + p) / L * CHUNK, LE);
                        highNibbles(bytes).mul(d).intoMemorySegment(dst, row + (32 * b + 16 + p) / L * CHUNK, LE);
                    }
                }
            }
            // Plain loops: C2 compiles these conversions to vector instructions (vcvtph2ps for fp16), faster here
            // than the same in Vector API bit operations.
            case F16 -> {
                for (int k = 0; k < n; k++) tmp[k] = Float.float16ToFloat(seg.get(SHORT, at + 2L * k));
                interleaveRow(tmp, 0, n, dst, row, LE);
            }
            case BF16 -> {
                for (int k = 0; k < n; k++) tmp[k] = Float.intBitsToFloat(seg.get(SHORT, at + 2L * k) << 16);
                interleaveRow(tmp, 0, n, dst, row, LE);
            }
            default -> {
                dev.vlm4j.tensor.TensorCodecs.dequantize(w.type(), seg, at, tmp, 0, n);
                interleaveRow(tmp, 0, n, dst, row, LE);
            }
        }
    }

    /**
     * The layout {@link #dotF16Row} reads activations in: within each chunk of {@code 2L} elements, the even ones
     * first, then the odd ones (an int lane holds two fp16 weights: the low half is the even element). The tail
     * that does not fill a chunk stays in order.
     */
    static void pairPermute(float[] x, int xo, float[] dst, int n) {
        int chunk = 2 * L;
        int k = 0;
        for (; k + chunk <= n; k += chunk) {
            for (int i = 0; i < L; i++) {
                dst[k + i] = x[xo + k + 2 * i];
                dst[k + L + i] = x[xo + k + 2 * i + 1];
            }
        }
        System.arraycopy(x, xo + k, dst, k, n - k);
    }

    /**
     * Row {@code j} of an F32 weight dotted with activation row {@code xo}, straight from the mapped file: the same
     * sums in the same order as the tiles over a dequantised copy (one accumulator, lanes summed in order, then the
     * scalar tail), without the copy that doubled the decode's memory traffic.
     */
    static float dotF32Row(Tensor w, int j, MemorySegment x, long xo, int n, float[] lanes) {
        return dot(w.data(), j * w.rowBytes(), x, xo, VECTOR, n, lanes);
    }

    /**
     * Row {@code j} of an F16 weight dotted with pair-permuted activations, straight from the mapped file: each int
     * lane carries two fp16 values, widened in registers by {@link #lowHalfToFloat} and {@link #highHalfToFloat}.
     */
    static float dotF16Row(Tensor w, int j, MemorySegment xp, long xo, int n, float[] lanes) {
        MemorySegment seg = w.data();
        long at = j * w.rowBytes();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int chunk = 2 * L;
        int k = 0;
        for (; k + chunk <= n; k += chunk) {
            IntVector pair = IntVector.fromMemorySegment(I, seg, at + 2L * k, LE);
            acc0 = lowHalfToFloat(pair).fma(FloatVector.fromMemorySegment(F, xp, xo + 4L * k, NATIVE), acc0);
            acc1 = highHalfToFloat(pair).fma(FloatVector.fromMemorySegment(F, xp, xo + 4L * (k + L), NATIVE), acc1);
        }
        float sum = hsum(acc0.add(acc1), lanes);
        for (; k < n; k++) sum += Float.float16ToFloat(seg.get(SHORT, at + 2L * k)) * xp.get(ValueLayout.JAVA_FLOAT, xo + 4L * k);
        return sum;
    }

    /**
     * The fp16 value in the low 16 bits of each lane, as a float: exponent and mantissa moved to float's bits
     * 13..27, rescaled by {@link #halfMagnitude}, then the sign moved straight to bit 31. Exact; weights are
     * finite, so inf/NaN need no case. (One shift fewer per half than splitting the halves first: +7 % F16 matrix
     * × vector in JMH.)
     */
    static FloatVector lowHalfToFloat(IntVector pair) {
        FloatVector magnitude = halfMagnitude(pair.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000));
        IntVector sign = pair.lanewise(VectorOperators.LSHL, 16).and(0x80000000);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** As {@link #lowHalfToFloat} for the high 16 bits of each lane, whose sign is already at bit 31. */
    static FloatVector highHalfToFloat(IntVector pair) {
        FloatVector magnitude = halfMagnitude(pair.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000));
        return magnitude.reinterpretAsInts().or(pair.and(0x80000000)).reinterpretAsFloats();
    }

    /**
     * An fp16 magnitude whose exponent and mantissa sit at float bits 13..27, as a float. Adding 112 to the
     * exponent is the whole conversion for a normal half. A subnormal half (exponent 0, mantissa m) then reads
     * 2^-15 + m·2^-25, and 2·that − 2^-14 is its value m·2^-24; zero comes out as zero.
     *
     * <p>Every step stays on normal floats on purpose. Multiplying the raw bits by 2^112 does the same in one
     * instruction, but those bits are a denormal float for every subnormal half, and x86 takes a slow microcode
     * path for each vector holding one. Real weights are full of them (|w| < 6.1e-5; 0.24 % of N(0, 0.02)
     * weights), and that cost the F16 matrix × vector 27 % even in cache.
     */
    private static FloatVector halfMagnitude(IntVector bits) {
        FloatVector rebiased = bits.add(112 << 23).reinterpretAsFloats();
        return rebiased.lanewise(VectorOperators.FMA, TWO, MINUS_TWO_POW_MINUS_14, rebiased.compare(VectorOperators.LT, 0x1p-14f));
    }

    /**
     * L packed Q4_0 bytes, zero-extended to int lanes: the nibbles are then split with int shifts and masks (x86
     * has no byte shifts, so splitting in byte lanes cost several instructions each).
     */
    private static IntVector unsignedBytes(ByteVector packed) {
        return (IntVector) packed.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** Q4_0: element k of a block is the low nibble of byte k, element k+16 the high nibble; both minus 8. */
    static FloatVector lowNibbles(IntVector bytes) {
        return (FloatVector) bytes.and(0x0f).sub(8).convert(VectorOperators.I2F, 0);
    }

    static FloatVector highNibbles(IntVector bytes) {
        return (FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** L signed bytes to L floats. */
    private static FloatVector widen(ByteVector bytes) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Row {@code j} of a Q4_0 weight dotted with prepared activations, straight from the mapped file: each block's
     * weights are widened and multiplied in registers (no trip through a buffer), for the one- or two-row case
     * (decode) where nothing amortises a dequantised copy.
     */
    static float dotQ4_0Row(Tensor w, int j, float[] x, int xo, int n, float[] lanes) {
        MemorySegment seg = w.data();
        FloatVector acc = FloatVector.zero(F);
        // One int induction over x and one long over the blocks: C2 then drops the per-load range checks it kept
        // when both were derived from a block counter (45% faster here, same operations in the same order).
        long block = j * w.rowBytes();
        int end = xo + n;
        for (int k = xo; k < end; k += 32, block += 18) {
            FloatVector blockSum = FloatVector.zero(F);
            for (int p = 0; p < 16; p += L) {
                IntVector packed = unsignedBytes(ByteVector.fromMemorySegment(BL, seg, block + 2 + p, LE));
                blockSum = lowNibbles(packed).fma(FloatVector.fromArray(F, x, k + p), blockSum);
                blockSum = highNibbles(packed).fma(FloatVector.fromArray(F, x, k + 16 + p), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(F, blockScale(seg, block)), acc);
        }
        return hsum(acc, lanes);
    }

    /**
     * Sum of the lanes in lane order, the order the earlier, parity-tested releases used (a tree order moved the
     * tiny Q8_0 LLaVA fixture's greedy tokens off llama.cpp's at a small-margin step). {@code reduceLanes} may add in
     * a different order when compiled than when interpreted; a result must not depend on how warm the JIT is.
     *
     * <p>The vector goes through a caller-owned scratch array: a vector passed to a method that C2 does not inline
     * is boxed on the heap, and the tiles are too big for C2 to reliably inline a reduction into (it stops at its
     * node-count cutoff) — that was gigabytes per second of garbage in prefill.
     */
    static float hsum(FloatVector v, float[] scratch) {
        v.intoArray(scratch, 0);
        return sumLanes(scratch, 0);
    }

    private static float sumLanes(float[] lanes, int from) {
        float sum = 0;
        for (int i = 0; i < L; i++) sum += lanes[from + i];
        return sum;
    }

    /** Queries that {@link #scoresBlock} and {@link #weightedSumBlock} take at once. */
    static final int QUERY_BLOCK = 4;

    /**
     * {@code scores[m*sStride + j] = scale * sum_d q[qo + m*qStride + d] * kt[ko + d*stride + j]} for keys
     * {@code j < visible} and {@code count <= 4} queries m against K transposed: vectorised over keys (each lane
     * sums its own key in d order), each K vector loaded once for all the queries.
     */
    static void scoresBlock(float[] q, int qo, int qStride, int count, float[] kt, int ko, int stride, int hd,
                            int visible, float scale, float[] scores, int sStride) {
        // Missing queries repeat the last one (computed, never stored), so the loop has no branches.
        int q0 = qo, q1 = qo + Math.min(1, count - 1) * qStride;
        int q2 = qo + Math.min(2, count - 1) * qStride, q3 = qo + Math.min(3, count - 1) * qStride;
        int j = 0;
        // Two vectors of keys at a time: eight independent FMA chains keep both FMA units busy, where four chains
        // of 4-cycle FMAs allowed one per cycle. Each key's sum still runs over d in order: the same bits.
        for (int bound = visible - 2 * L; j <= bound; j += 2 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) {
                int at = ko + d * stride + j;
                FloatVector k0 = FloatVector.fromArray(F, kt, at);
                FloatVector k1 = FloatVector.fromArray(F, kt, at + L);
                FloatVector s0 = FloatVector.broadcast(F, q[q0 + d]);
                FloatVector s1 = FloatVector.broadcast(F, q[q1 + d]);
                FloatVector s2 = FloatVector.broadcast(F, q[q2 + d]);
                FloatVector s3 = FloatVector.broadcast(F, q[q3 + d]);
                a0 = k0.fma(s0, a0);
                b0 = k1.fma(s0, b0);
                a1 = k0.fma(s1, a1);
                b1 = k1.fma(s1, b1);
                a2 = k0.fma(s2, a2);
                b2 = k1.fma(s2, b2);
                a3 = k0.fma(s3, a3);
                b3 = k1.fma(s3, b3);
            }
            a0.mul(scale).intoArray(scores, j);
            b0.mul(scale).intoArray(scores, j + L);
            if (count > 1) {
                a1.mul(scale).intoArray(scores, sStride + j);
                b1.mul(scale).intoArray(scores, sStride + j + L);
            }
            if (count > 2) {
                a2.mul(scale).intoArray(scores, 2 * sStride + j);
                b2.mul(scale).intoArray(scores, 2 * sStride + j + L);
            }
            if (count > 3) {
                a3.mul(scale).intoArray(scores, 3 * sStride + j);
                b3.mul(scale).intoArray(scores, 3 * sStride + j + L);
            }
        }
        // The last keys one vector at a time, the very last under a mask: a scalar tail here was a 64-step chain of
        // dependent FMAs per key and query, most of prefill attention's time (lanes compute the same chains).
        for (; j < visible; j += L) {
            VectorMask<Float> in = F.indexInRange(j, visible);
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) {
                FloatVector k = FloatVector.fromArray(F, kt, ko + d * stride + j, in);
                a0 = k.fma(FloatVector.broadcast(F, q[q0 + d]), a0);
                a1 = k.fma(FloatVector.broadcast(F, q[q1 + d]), a1);
                a2 = k.fma(FloatVector.broadcast(F, q[q2 + d]), a2);
                a3 = k.fma(FloatVector.broadcast(F, q[q3 + d]), a3);
            }
            a0.mul(scale).intoArray(scores, j, in);
            if (count > 1) a1.mul(scale).intoArray(scores, sStride + j, in);
            if (count > 2) a2.mul(scale).intoArray(scores, 2 * sStride + j, in);
            if (count > 3) a3.mul(scale).intoArray(scores, 3 * sStride + j, in);
        }
    }

    /**
     * {@link #weightedSum} for {@code count <= 4} queries at once: query m's weights are {@code p[m*pStride + j]}
     * times {@code scale[m]}, its output goes to {@code out[oo + m*oStride ...]}. Each V vector is loaded once for
     * all of them. Per query the operations are those of {@link #weightedSum}, in the same order; a query that sees
     * fewer keys has zero weights past its last key, which leave its sums unchanged. The weights are scaled in place
     * first (the same products {@code p * scale}, rounded once), so that the loops broadcast them straight from memory.
     */
    static void weightedSumBlock(float[] p, int pStride, float[] scale, int count, int keys, float[] v, int vo,
                                 int stride, float[] out, int oo, int oStride, int hd) {
        for (int m = 0; m < count; m++) {
            int j = 0;
            for (int bound = F.loopBound(keys); j < bound; j += L) {
                FloatVector.fromArray(F, p, m * pStride + j).mul(scale[m]).intoArray(p, m * pStride + j);
            }
            for (; j < keys; j++) p[m * pStride + j] *= scale[m];
        }
        int m1 = Math.min(1, count - 1), m2 = Math.min(2, count - 1), m3 = Math.min(3, count - 1);
        int c = 0;
        for (; c + 2 * L <= hd; c += 2 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int j = 0; j < keys; j++) {
                int at = vo + j * stride + c;
                FloatVector v0 = FloatVector.fromArray(F, v, at);
                FloatVector v1 = FloatVector.fromArray(F, v, at + L);
                FloatVector w0 = FloatVector.broadcast(F, p[j]);
                FloatVector w1 = FloatVector.broadcast(F, p[m1 * pStride + j]);
                FloatVector w2 = FloatVector.broadcast(F, p[m2 * pStride + j]);
                FloatVector w3 = FloatVector.broadcast(F, p[m3 * pStride + j]);
                a0 = v0.fma(w0, a0);
                b0 = v1.fma(w0, b0);
                a1 = v0.fma(w1, a1);
                b1 = v1.fma(w1, b1);
                a2 = v0.fma(w2, a2);
                b2 = v1.fma(w2, b2);
                a3 = v0.fma(w3, a3);
                b3 = v1.fma(w3, b3);
            }
            a0.intoArray(out, oo + c);
            b0.intoArray(out, oo + c + L);
            if (count > 1) {
                a1.intoArray(out, oo + oStride + c);
                b1.intoArray(out, oo + oStride + c + L);
            }
            if (count > 2) {
                a2.intoArray(out, oo + 2 * oStride + c);
                b2.intoArray(out, oo + 2 * oStride + c + L);
            }
            if (count > 3) {
                a3.intoArray(out, oo + 3 * oStride + c);
                b3.intoArray(out, oo + 3 * oStride + c + L);
            }
        }
        for (; c + L <= hd; c += L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int j = 0; j < keys; j++) {
                FloatVector v0 = FloatVector.fromArray(F, v, vo + j * stride + c);
                a0 = v0.fma(FloatVector.broadcast(F, p[j]), a0);
                a1 = v0.fma(FloatVector.broadcast(F, p[m1 * pStride + j]), a1);
                a2 = v0.fma(FloatVector.broadcast(F, p[m2 * pStride + j]), a2);
                a3 = v0.fma(FloatVector.broadcast(F, p[m3 * pStride + j]), a3);
            }
            a0.intoArray(out, oo + c);
            if (count > 1) a1.intoArray(out, oo + oStride + c);
            if (count > 2) a2.intoArray(out, oo + 2 * oStride + c);
            if (count > 3) a3.intoArray(out, oo + 3 * oStride + c);
        }
        for (; c < hd; c++) {
            for (int m = 0; m < count; m++) {
                float a = 0;
                for (int j = 0; j < keys; j++) a = Math.fma(v[vo + j * stride + c], p[m * pStride + j], a);
                out[oo + m * oStride + c] = a;
            }
        }
    }

    /**
     * {@code a[j] = exp(a[j] - max)} for {@code j < n}, with a polynomial exp built from basic IEEE operations only
     * (round to nearest by the 1.5·2^23 trick, Cody-Waite reduction, degree-6 Taylor, scale by 2^k through the
     * exponent bits): about 3 ulp, several times faster than {@link Math#exp}, and the same result compiled or
     * interpreted, vector or scalar (unlike a library exp). Inputs below -87 give 0.
     */
    static void expShifted(float[] a, int n, float max) {
        expShifted(a, 0, n, max);
    }

    /** The largest of {@code a[at, at + n)} ({@code -Infinity} for none): a maximum is exact in any order. */
    static float max(float[] a, int at, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += L) m = m.max(FloatVector.fromArray(F, a, at + j));
        if (j < n) {
            VectorMask<Float> in = F.indexInRange(j, n);
            m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, a, at + j, in), in);
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** {@link #expShifted(float[], int, float)} over {@code a[at, at+n)}. */
    static void expShifted(float[] a, int at, int n, float max) {
        int j = 0;
        FloatVector m = FloatVector.broadcast(F, max);
        for (int bound = F.loopBound(n); j < bound; j += L) {
            exp(FloatVector.fromArray(F, a, at + j).sub(m)).intoArray(a, at + j);
        }
        if (j < n) { // the tail under a mask: the same bits as expScalar, without a scalar call per value
            VectorMask<Float> in = F.indexInRange(j, n);
            exp(FloatVector.fromArray(F, a, at + j, in).sub(m)).intoArray(a, at + j, in);
        }
    }

    /** The vector form of {@link #expScalar}: the same operations lane by lane, so the same bits. */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(-87.0f).min(88.0f);
        FloatVector t = x.fma(LOG2E, MAGIC);
        FloatVector k = t.sub(MAGIC);
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector scale = t.reinterpretAsInts().sub(MAGIC_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats());
    }

    /**
     * {@code out = silu(g) * u = g / (1 + exp(-g)) * u} over {@code n} elements, with {@link #exp}; the same result
     * in vector lanes and in the scalar tail.
     */
    static void swiglu(float[] g, int go, float[] u, int uo, float[] out, int oo, int n) {
        int j = 0;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int bound = F.loopBound(n); j < bound; j += L) {
            FloatVector x = FloatVector.fromArray(F, g, go + j);
            x.div(one.add(exp(x.neg()))).mul(FloatVector.fromArray(F, u, uo + j)).intoArray(out, oo + j);
        }
        for (; j < n; j++) {
            float x = g[go + j];
            out[oo + j] = x / (1f + expScalar(-x)) * u[uo + j];
        }
    }

    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145752f;
    private static final float LN2_LO = 1.42860677e-6f;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);

    static float expScalar(float v) {
        float x = Math.min(Math.max(v, -87.0f), 88.0f);
        float t = Math.fma(x, LOG2E, MAGIC);
        float k = t - MAGIC;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = 1f / 720;
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int scale = (Float.floatToRawIntBits(t) - MAGIC_BITS + 127) << 23;
        return p * Float.intBitsToFloat(scale);
    }

    /**
     * {@code out[oo+c] = sum_j (p[j]*scale) * v[vo + j*stride + c]} for {@code c < hd}, {@code j < keys}: attention's
     * weighted sum of value rows, with the output columns held in registers (up to four vectors at a time) instead
     * of read and written once per key.
     */
    static void weightedSum(float[] p, float scale, int keys, float[] v, int vo, int stride, float[] out, int oo, int hd) {
        int c = 0;
        for (; c + 4 * L <= hd; c += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int j = 0; j < keys; j++) {
                FloatVector w = FloatVector.broadcast(F, p[j] * scale);
                int at = vo + j * stride + c;
                a0 = FloatVector.fromArray(F, v, at).fma(w, a0);
                a1 = FloatVector.fromArray(F, v, at + L).fma(w, a1);
                a2 = FloatVector.fromArray(F, v, at + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(F, v, at + 3 * L).fma(w, a3);
            }
            a0.intoArray(out, oo + c);
            a1.intoArray(out, oo + c + L);
            a2.intoArray(out, oo + c + 2 * L);
            a3.intoArray(out, oo + c + 3 * L);
        }
        for (; c + L <= hd; c += L) {
            FloatVector a0 = FloatVector.zero(F);
            for (int j = 0; j < keys; j++) {
                a0 = FloatVector.fromArray(F, v, vo + j * stride + c).fma(FloatVector.broadcast(F, p[j] * scale), a0);
            }
            a0.intoArray(out, oo + c);
        }
        for (; c < hd; c++) {
            float a = 0;
            for (int j = 0; j < keys; j++) a = Math.fma(v[vo + j * stride + c], p[j] * scale, a);
            out[oo + c] = a;
        }
    }

    /** {@code y[yo..yo+n) += a * x[xo..xo+n)}, one rounding per element like the scalar loop (mul, then add). */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += L) {
            FloatVector.fromArray(F, x, xo + k).mul(av).add(FloatVector.fromArray(F, y, yo + k)).intoArray(y, yo + k);
        }
        for (; k < n; k++) y[yo + k] += a * x[xo + k];
    }

    static float dot(float[] w, int wo, float[] x, int xo, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += L) {
            acc = FloatVector.fromArray(F, w, wo + k).fma(FloatVector.fromArray(F, x, xo + k), acc);
        }
        float sum = hsum(acc, lanes);
        for (; k < n; k++) sum += w[wo + k] * x[xo + k];
        return sum;
    }

    /**
     * The layout {@link #matmulTiles} reads its activations and weight groups in: rows in quads, each quad's rows
     * interleaved by vectors. Chunk c (values {@code [c*L, c*L + L)}) of row r lies at byte {@code (r / 4) * quad
     * + c * CHUNK + (r % 4) * VECTOR}, where a quad is 4 rows padded to whole cache lines ({@link #decodeRowBytes}).
     * A tile of four rows then reads one run of {@link #CHUNK} bytes per step from one base address: C2 keeps every
     * accumulator in a register, where eight separate row addresses spilled them (one thread, n 768: 155 against
     * 100–138 GFLOP/s for plain rows in native memory, and 126–143 from arrays).
     */
    private static final long VECTOR = (long) L * Float.BYTES;
    private static final long CHUNK = 4 * VECTOR;

    /** Bytes of {@code rows} rows of {@code n} values in the interleaved layout. */
    static long interleavedBytes(int rows, int n) {
        return (rows + 3L) / 4 * 4 * decodeRowBytes(n);
    }

    /** Byte offset of row {@code r}'s first chunk in the interleaved layout. */
    static long interleavedRow(int r, int n) {
        return (r >> 2) * 4 * decodeRowBytes(n) + (r & 3) * VECTOR;
    }

    /** {@code n} values of {@code src} from {@code so}, as the interleaved row at byte {@code row} of {@code dst}. */
    static void interleaveRow(float[] src, int so, int n, MemorySegment dst, long row, ByteOrder order) {
        int k = 0;
        long at = row;
        for (int bound = F.loopBound(n); k < bound; k += L, at += CHUNK) {
            FloatVector.fromArray(F, src, so + k).intoMemorySegment(dst, at, order);
        }
        ValueLayout.OfFloat layout = ValueLayout.JAVA_FLOAT.withOrder(order);
        for (int i = 0; k < n; k++, i++) dst.set(layout, at + 4L * i, src[so + k]);
    }

    /**
     * A weight row dotted with an activation row, each of {@code n} values in chunks of L {@code step} bytes apart
     * (4·L for plain rows, {@link #CHUNK} interleaved): one accumulator, its lanes summed in order, then the scalar
     * tail. The tiles sum in this order too, so a row gives the same bits in any tile.
     */
    static float dot(MemorySegment w, long wo, MemorySegment x, long xo, long step, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        long p = 0;
        for (long end = n / L * step; p < end; p += step) {
            acc = FloatVector.fromMemorySegment(F, w, wo + p, LE).fma(FloatVector.fromMemorySegment(F, x, xo + p, NATIVE), acc);
        }
        return tail(hsum(acc, lanes), w, wo + p, x, xo + p, n % L);
    }

    /** {@code sum} plus the dot of the {@code count} values at {@code wo} and {@code xo} (vector arguments are kept out of it). */
    private static float tail(float sum, MemorySegment w, long wo, MemorySegment x, long xo, int count) {
        for (int i = 0; i < count; i++) sum += w.get(FLOAT, wo + 4L * i) * x.get(ValueLayout.JAVA_FLOAT, xo + 4L * i);
        return sum;
    }

    /** Four interleaved weight rows (a quad from {@code wo}) against the interleaved activation row at {@code xo}. */
    private static void tile4x1(MemorySegment w, long wo, MemorySegment x, long xo, int n, float[] out, int oo,
                                float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        long p = 0;
        for (long end = n / L * CHUNK; p < end; p += CHUNK) {
            FloatVector xv = FloatVector.fromMemorySegment(F, x, xo + p, NATIVE);
            a0 = FloatVector.fromMemorySegment(F, w, wo + p, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, wo + p + VECTOR, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, wo + p + 2 * VECTOR, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, wo + p + 3 * VECTOR, LE).fma(xv, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        finishTile(lanes, 1, w, wo + p, x, xo + p, n % L, out, oo, 0);
    }

    /** Four interleaved weight rows against two interleaved activation rows, {@code xo} and the next. */
    private static void tile4x2(MemorySegment w, long wo, MemorySegment x, long xo, int n, float[] out, int oo,
                                int outStride, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        long p = 0;
        for (long end = n / L * CHUNK; p < end; p += CHUNK) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, x, xo + p, NATIVE);
            FloatVector x1 = FloatVector.fromMemorySegment(F, x, xo + p + VECTOR, NATIVE);
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, wo + p, LE);
            a0 = w0.fma(x0, a0);
            b0 = w0.fma(x1, b0);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, wo + p + VECTOR, LE);
            a1 = w1.fma(x0, a1);
            b1 = w1.fma(x1, b1);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, wo + p + 2 * VECTOR, LE);
            a2 = w2.fma(x0, a2);
            b2 = w2.fma(x1, b2);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, wo + p + 3 * VECTOR, LE);
            a3 = w3.fma(x0, a3);
            b3 = w3.fma(x1, b3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        b0.intoArray(lanes, 4 * L);
        b1.intoArray(lanes, 5 * L);
        b2.intoArray(lanes, 6 * L);
        b3.intoArray(lanes, 7 * L);
        finishTile(lanes, 2, w, wo + p, x, xo + p, n % L, out, oo, outStride);
    }

    /**
     * Four interleaved weight rows against four interleaved activation rows (both whole quads). Only with 16 lanes
     * ({@link #WIDE_TILE}): 16 accumulators and the operands of a step fit AVX-512's 32 registers.
     */
    private static void tile4x4(MemorySegment w, long wo, MemorySegment x, long xo, int n, float[] out, int oo,
                                int outStride, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        FloatVector d0 = FloatVector.zero(F), d1 = FloatVector.zero(F), d2 = FloatVector.zero(F), d3 = FloatVector.zero(F);
        long p = 0;
        for (long end = n / L * CHUNK; p < end; p += CHUNK) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, x, xo + p, NATIVE);
            FloatVector x1 = FloatVector.fromMemorySegment(F, x, xo + p + VECTOR, NATIVE);
            FloatVector x2 = FloatVector.fromMemorySegment(F, x, xo + p + 2 * VECTOR, NATIVE);
            FloatVector x3 = FloatVector.fromMemorySegment(F, x, xo + p + 3 * VECTOR, NATIVE);
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, wo + p, LE);
            a0 = w0.fma(x0, a0);
            b0 = w0.fma(x1, b0);
            c0 = w0.fma(x2, c0);
            d0 = w0.fma(x3, d0);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, wo + p + VECTOR, LE);
            a1 = w1.fma(x0, a1);
            b1 = w1.fma(x1, b1);
            c1 = w1.fma(x2, c1);
            d1 = w1.fma(x3, d1);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, wo + p + 2 * VECTOR, LE);
            a2 = w2.fma(x0, a2);
            b2 = w2.fma(x1, b2);
            c2 = w2.fma(x2, c2);
            d2 = w2.fma(x3, d2);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, wo + p + 3 * VECTOR, LE);
            a3 = w3.fma(x0, a3);
            b3 = w3.fma(x1, b3);
            c3 = w3.fma(x2, c3);
            d3 = w3.fma(x3, d3);
        }
        // Accumulator 4m + i (weight row i, activation row m) must be summed in lane order, as hsum sums. Transposed
        // (vector l of the result holds lane l of every accumulator), that order is 16 plain vector adds. The
        // transpose is 64 two-vector lane selects, against 256 scalar adds: +17 % for this tile (one thread, n 768).
        IntVector t00 = TRANSPOSE_LOW_8.selectFrom(a0.reinterpretAsInts(), c0.reinterpretAsInts()), t08 = TRANSPOSE_HIGH_8.selectFrom(a0.reinterpretAsInts(), c0.reinterpretAsInts());
        IntVector t01 = TRANSPOSE_LOW_8.selectFrom(a1.reinterpretAsInts(), c1.reinterpretAsInts()), t09 = TRANSPOSE_HIGH_8.selectFrom(a1.reinterpretAsInts(), c1.reinterpretAsInts());
        IntVector t02 = TRANSPOSE_LOW_8.selectFrom(a2.reinterpretAsInts(), c2.reinterpretAsInts()), t0a = TRANSPOSE_HIGH_8.selectFrom(a2.reinterpretAsInts(), c2.reinterpretAsInts());
        IntVector t03 = TRANSPOSE_LOW_8.selectFrom(a3.reinterpretAsInts(), c3.reinterpretAsInts()), t0b = TRANSPOSE_HIGH_8.selectFrom(a3.reinterpretAsInts(), c3.reinterpretAsInts());
        IntVector t04 = TRANSPOSE_LOW_8.selectFrom(b0.reinterpretAsInts(), d0.reinterpretAsInts()), t0c = TRANSPOSE_HIGH_8.selectFrom(b0.reinterpretAsInts(), d0.reinterpretAsInts());
        IntVector t05 = TRANSPOSE_LOW_8.selectFrom(b1.reinterpretAsInts(), d1.reinterpretAsInts()), t0d = TRANSPOSE_HIGH_8.selectFrom(b1.reinterpretAsInts(), d1.reinterpretAsInts());
        IntVector t06 = TRANSPOSE_LOW_8.selectFrom(b2.reinterpretAsInts(), d2.reinterpretAsInts()), t0e = TRANSPOSE_HIGH_8.selectFrom(b2.reinterpretAsInts(), d2.reinterpretAsInts());
        IntVector t07 = TRANSPOSE_LOW_8.selectFrom(b3.reinterpretAsInts(), d3.reinterpretAsInts()), t0f = TRANSPOSE_HIGH_8.selectFrom(b3.reinterpretAsInts(), d3.reinterpretAsInts());
        IntVector t10 = TRANSPOSE_LOW_4.selectFrom(t00, t04), t14 = TRANSPOSE_HIGH_4.selectFrom(t00, t04);
        IntVector t11 = TRANSPOSE_LOW_4.selectFrom(t01, t05), t15 = TRANSPOSE_HIGH_4.selectFrom(t01, t05);
        IntVector t12 = TRANSPOSE_LOW_4.selectFrom(t02, t06), t16 = TRANSPOSE_HIGH_4.selectFrom(t02, t06);
        IntVector t13 = TRANSPOSE_LOW_4.selectFrom(t03, t07), t17 = TRANSPOSE_HIGH_4.selectFrom(t03, t07);
        IntVector t18 = TRANSPOSE_LOW_4.selectFrom(t08, t0c), t1c = TRANSPOSE_HIGH_4.selectFrom(t08, t0c);
        IntVector t19 = TRANSPOSE_LOW_4.selectFrom(t09, t0d), t1d = TRANSPOSE_HIGH_4.selectFrom(t09, t0d);
        IntVector t1a = TRANSPOSE_LOW_4.selectFrom(t0a, t0e), t1e = TRANSPOSE_HIGH_4.selectFrom(t0a, t0e);
        IntVector t1b = TRANSPOSE_LOW_4.selectFrom(t0b, t0f), t1f = TRANSPOSE_HIGH_4.selectFrom(t0b, t0f);
        IntVector t20 = TRANSPOSE_LOW_2.selectFrom(t10, t12), t22 = TRANSPOSE_HIGH_2.selectFrom(t10, t12);
        IntVector t21 = TRANSPOSE_LOW_2.selectFrom(t11, t13), t23 = TRANSPOSE_HIGH_2.selectFrom(t11, t13);
        IntVector t24 = TRANSPOSE_LOW_2.selectFrom(t14, t16), t26 = TRANSPOSE_HIGH_2.selectFrom(t14, t16);
        IntVector t25 = TRANSPOSE_LOW_2.selectFrom(t15, t17), t27 = TRANSPOSE_HIGH_2.selectFrom(t15, t17);
        IntVector t28 = TRANSPOSE_LOW_2.selectFrom(t18, t1a), t2a = TRANSPOSE_HIGH_2.selectFrom(t18, t1a);
        IntVector t29 = TRANSPOSE_LOW_2.selectFrom(t19, t1b), t2b = TRANSPOSE_HIGH_2.selectFrom(t19, t1b);
        IntVector t2c = TRANSPOSE_LOW_2.selectFrom(t1c, t1e), t2e = TRANSPOSE_HIGH_2.selectFrom(t1c, t1e);
        IntVector t2d = TRANSPOSE_LOW_2.selectFrom(t1d, t1f), t2f = TRANSPOSE_HIGH_2.selectFrom(t1d, t1f);
        IntVector t30 = TRANSPOSE_LOW_1.selectFrom(t20, t21), t31 = TRANSPOSE_HIGH_1.selectFrom(t20, t21);
        IntVector t32 = TRANSPOSE_LOW_1.selectFrom(t22, t23), t33 = TRANSPOSE_HIGH_1.selectFrom(t22, t23);
        IntVector t34 = TRANSPOSE_LOW_1.selectFrom(t24, t25), t35 = TRANSPOSE_HIGH_1.selectFrom(t24, t25);
        IntVector t36 = TRANSPOSE_LOW_1.selectFrom(t26, t27), t37 = TRANSPOSE_HIGH_1.selectFrom(t26, t27);
        IntVector t38 = TRANSPOSE_LOW_1.selectFrom(t28, t29), t39 = TRANSPOSE_HIGH_1.selectFrom(t28, t29);
        IntVector t3a = TRANSPOSE_LOW_1.selectFrom(t2a, t2b), t3b = TRANSPOSE_HIGH_1.selectFrom(t2a, t2b);
        IntVector t3c = TRANSPOSE_LOW_1.selectFrom(t2c, t2d), t3d = TRANSPOSE_HIGH_1.selectFrom(t2c, t2d);
        IntVector t3e = TRANSPOSE_LOW_1.selectFrom(t2e, t2f), t3f = TRANSPOSE_HIGH_1.selectFrom(t2e, t2f);
        FloatVector.zero(F)
                .add(t30.reinterpretAsFloats())
                .add(t31.reinterpretAsFloats())
                .add(t32.reinterpretAsFloats())
                .add(t33.reinterpretAsFloats())
                .add(t34.reinterpretAsFloats())
                .add(t35.reinterpretAsFloats())
                .add(t36.reinterpretAsFloats())
                .add(t37.reinterpretAsFloats())
                .add(t38.reinterpretAsFloats())
                .add(t39.reinterpretAsFloats())
                .add(t3a.reinterpretAsFloats())
                .add(t3b.reinterpretAsFloats())
                .add(t3c.reinterpretAsFloats())
                .add(t3d.reinterpretAsFloats())
                .add(t3e.reinterpretAsFloats())
                .add(t3f.reinterpretAsFloats())
                .intoArray(lanes, SUMS);
        storeTile(lanes, 4, w, wo + p, x, xo + p, n % L, out, oo, outStride);
    }

    /**
     * {@code lanes[SUMS + p] =} the sum of the L lanes of accumulator p, stored at {@code lanes[p*L ..]}, in lane order
     * (bit for bit what {@link #hsum} gives), for p < 16. Only with 16 lanes. The same transpose as at the end of
     * {@link #tile4x4}, there over the accumulators in registers: a method cannot take them (a vector passed to a
     * method that is not inlined is boxed, and this one is too big to be inlined reliably), and storing them to come
     * through here made prefill 4–8 % slower (2048 x 768 Q8_0 and 768 x 768 F16 weights, 128 rows, two threads).
     */
    private static void transposedLaneSums(float[] lanes) {
        IntVector v0 = FloatVector.fromArray(F, lanes, 0).reinterpretAsInts();
        IntVector v1 = FloatVector.fromArray(F, lanes, L).reinterpretAsInts();
        IntVector v2 = FloatVector.fromArray(F, lanes, 2 * L).reinterpretAsInts();
        IntVector v3 = FloatVector.fromArray(F, lanes, 3 * L).reinterpretAsInts();
        IntVector v4 = FloatVector.fromArray(F, lanes, 4 * L).reinterpretAsInts();
        IntVector v5 = FloatVector.fromArray(F, lanes, 5 * L).reinterpretAsInts();
        IntVector v6 = FloatVector.fromArray(F, lanes, 6 * L).reinterpretAsInts();
        IntVector v7 = FloatVector.fromArray(F, lanes, 7 * L).reinterpretAsInts();
        IntVector v8 = FloatVector.fromArray(F, lanes, 8 * L).reinterpretAsInts();
        IntVector v9 = FloatVector.fromArray(F, lanes, 9 * L).reinterpretAsInts();
        IntVector v10 = FloatVector.fromArray(F, lanes, 10 * L).reinterpretAsInts();
        IntVector v11 = FloatVector.fromArray(F, lanes, 11 * L).reinterpretAsInts();
        IntVector v12 = FloatVector.fromArray(F, lanes, 12 * L).reinterpretAsInts();
        IntVector v13 = FloatVector.fromArray(F, lanes, 13 * L).reinterpretAsInts();
        IntVector v14 = FloatVector.fromArray(F, lanes, 14 * L).reinterpretAsInts();
        IntVector v15 = FloatVector.fromArray(F, lanes, 15 * L).reinterpretAsInts();
        IntVector t00 = TRANSPOSE_LOW_8.selectFrom(v0, v8), t08 = TRANSPOSE_HIGH_8.selectFrom(v0, v8);
        IntVector t01 = TRANSPOSE_LOW_8.selectFrom(v1, v9), t09 = TRANSPOSE_HIGH_8.selectFrom(v1, v9);
        IntVector t02 = TRANSPOSE_LOW_8.selectFrom(v2, v10), t0a = TRANSPOSE_HIGH_8.selectFrom(v2, v10);
        IntVector t03 = TRANSPOSE_LOW_8.selectFrom(v3, v11), t0b = TRANSPOSE_HIGH_8.selectFrom(v3, v11);
        IntVector t04 = TRANSPOSE_LOW_8.selectFrom(v4, v12), t0c = TRANSPOSE_HIGH_8.selectFrom(v4, v12);
        IntVector t05 = TRANSPOSE_LOW_8.selectFrom(v5, v13), t0d = TRANSPOSE_HIGH_8.selectFrom(v5, v13);
        IntVector t06 = TRANSPOSE_LOW_8.selectFrom(v6, v14), t0e = TRANSPOSE_HIGH_8.selectFrom(v6, v14);
        IntVector t07 = TRANSPOSE_LOW_8.selectFrom(v7, v15), t0f = TRANSPOSE_HIGH_8.selectFrom(v7, v15);
        IntVector t10 = TRANSPOSE_LOW_4.selectFrom(t00, t04), t14 = TRANSPOSE_HIGH_4.selectFrom(t00, t04);
        IntVector t11 = TRANSPOSE_LOW_4.selectFrom(t01, t05), t15 = TRANSPOSE_HIGH_4.selectFrom(t01, t05);
        IntVector t12 = TRANSPOSE_LOW_4.selectFrom(t02, t06), t16 = TRANSPOSE_HIGH_4.selectFrom(t02, t06);
        IntVector t13 = TRANSPOSE_LOW_4.selectFrom(t03, t07), t17 = TRANSPOSE_HIGH_4.selectFrom(t03, t07);
        IntVector t18 = TRANSPOSE_LOW_4.selectFrom(t08, t0c), t1c = TRANSPOSE_HIGH_4.selectFrom(t08, t0c);
        IntVector t19 = TRANSPOSE_LOW_4.selectFrom(t09, t0d), t1d = TRANSPOSE_HIGH_4.selectFrom(t09, t0d);
        IntVector t1a = TRANSPOSE_LOW_4.selectFrom(t0a, t0e), t1e = TRANSPOSE_HIGH_4.selectFrom(t0a, t0e);
        IntVector t1b = TRANSPOSE_LOW_4.selectFrom(t0b, t0f), t1f = TRANSPOSE_HIGH_4.selectFrom(t0b, t0f);
        IntVector t20 = TRANSPOSE_LOW_2.selectFrom(t10, t12), t22 = TRANSPOSE_HIGH_2.selectFrom(t10, t12);
        IntVector t21 = TRANSPOSE_LOW_2.selectFrom(t11, t13), t23 = TRANSPOSE_HIGH_2.selectFrom(t11, t13);
        IntVector t24 = TRANSPOSE_LOW_2.selectFrom(t14, t16), t26 = TRANSPOSE_HIGH_2.selectFrom(t14, t16);
        IntVector t25 = TRANSPOSE_LOW_2.selectFrom(t15, t17), t27 = TRANSPOSE_HIGH_2.selectFrom(t15, t17);
        IntVector t28 = TRANSPOSE_LOW_2.selectFrom(t18, t1a), t2a = TRANSPOSE_HIGH_2.selectFrom(t18, t1a);
        IntVector t29 = TRANSPOSE_LOW_2.selectFrom(t19, t1b), t2b = TRANSPOSE_HIGH_2.selectFrom(t19, t1b);
        IntVector t2c = TRANSPOSE_LOW_2.selectFrom(t1c, t1e), t2e = TRANSPOSE_HIGH_2.selectFrom(t1c, t1e);
        IntVector t2d = TRANSPOSE_LOW_2.selectFrom(t1d, t1f), t2f = TRANSPOSE_HIGH_2.selectFrom(t1d, t1f);
        IntVector t30 = TRANSPOSE_LOW_1.selectFrom(t20, t21), t31 = TRANSPOSE_HIGH_1.selectFrom(t20, t21);
        IntVector t32 = TRANSPOSE_LOW_1.selectFrom(t22, t23), t33 = TRANSPOSE_HIGH_1.selectFrom(t22, t23);
        IntVector t34 = TRANSPOSE_LOW_1.selectFrom(t24, t25), t35 = TRANSPOSE_HIGH_1.selectFrom(t24, t25);
        IntVector t36 = TRANSPOSE_LOW_1.selectFrom(t26, t27), t37 = TRANSPOSE_HIGH_1.selectFrom(t26, t27);
        IntVector t38 = TRANSPOSE_LOW_1.selectFrom(t28, t29), t39 = TRANSPOSE_HIGH_1.selectFrom(t28, t29);
        IntVector t3a = TRANSPOSE_LOW_1.selectFrom(t2a, t2b), t3b = TRANSPOSE_HIGH_1.selectFrom(t2a, t2b);
        IntVector t3c = TRANSPOSE_LOW_1.selectFrom(t2c, t2d), t3d = TRANSPOSE_HIGH_1.selectFrom(t2c, t2d);
        IntVector t3e = TRANSPOSE_LOW_1.selectFrom(t2e, t2f), t3f = TRANSPOSE_HIGH_1.selectFrom(t2e, t2f);
        FloatVector.zero(F)
                .add(t30.reinterpretAsFloats())
                .add(t31.reinterpretAsFloats())
                .add(t32.reinterpretAsFloats())
                .add(t33.reinterpretAsFloats())
                .add(t34.reinterpretAsFloats())
                .add(t35.reinterpretAsFloats())
                .add(t36.reinterpretAsFloats())
                .add(t37.reinterpretAsFloats())
                .add(t38.reinterpretAsFloats())
                .add(t39.reinterpretAsFloats())
                .add(t3a.reinterpretAsFloats())
                .add(t3b.reinterpretAsFloats())
                .add(t3c.reinterpretAsFloats())
                .add(t3d.reinterpretAsFloats())
                .add(t3e.reinterpretAsFloats())
                .add(t3f.reinterpretAsFloats())
                .intoArray(lanes, SUMS);
    }

    /**
     * The tiles' accumulators, reduced: the tiles store them into {@code lanes} and this sums each group of L lanes
     * in lane order (as {@link #hsum}). A tile method is too big for C2 to reliably inline {@code hsum} into (it gives up at its
     * node-count cutoff), and a vector passed to a method that is not inlined is boxed on the heap: gigabytes per
     * second of garbage in prefill. Vectors never cross a call from here.
     */
    private static void laneSums(float[] lanes, int count) {
        for (int i = 0; i < count; i++) lanes[SUMS + i] = sumLanes(lanes, i * L);
    }

    /** Where {@link #laneSums} puts the sums in a tile's scratch, after room for 16 accumulators. */
    static final int SUMS = 16 * L;

    /**
     * The end of a tile of four weight rows by {@code xRows} activation rows whose accumulators are in {@code lanes}
     * (weight row i, activation row m at accumulator {@code 4m + i}): lane sums, then {@link #storeTile}.
     */
    private static void finishTile(float[] lanes, int xRows, MemorySegment w, long wTail, MemorySegment x, long xTail,
                                   int tailCount, float[] out, int oo, int outStride) {
        laneSums(lanes, 4 * xRows);
        storeTile(lanes, xRows, w, wTail, x, xTail, tailCount, out, oo, outStride);
    }

    /**
     * A tile's lane sums (in {@code lanes} from {@link #SUMS}) plus the dots of their rows' last {@code tailCount}
     * values (the partial chunk at {@code wTail}, {@code xTail} of the first rows), stored.
     */
    private static void storeTile(float[] lanes, int xRows, MemorySegment w, long wTail, MemorySegment x, long xTail,
                                  int tailCount, float[] out, int oo, int outStride) {
        for (int m = 0; m < xRows; m++) {
            for (int i = 0; i < 4; i++) {
                out[oo + m * outStride + i] = tail(lanes[SUMS + 4 * m + i], w, wTail + i * VECTOR, x, xTail + m * VECTOR, tailCount);
            }
        }
    }
}
