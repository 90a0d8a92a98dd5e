package dev.vlm4j.kernels.tornadovm;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The device code of the TornadoVM backend: plain Java that TornadoVM compiles to OpenCL C (or PTX / SPIR-V) at
 * run time. Every kernel works on the device heap {@code act} (all activation matrices, addressed by float
 * offsets) and reads weights from two arenas: {@code wf} (F32 weights and the constant tables) and {@code wb}
 * (ggml's raw F16 / Q8_0 / Q4_0 blocks, decoded here). Offsets, sizes and positions arrive in a small
 * {@code IntArray p} (floats in {@code FloatArray f}) copied in on every launch, so one compiled kernel serves every
 * shape and every step. Launch geometry: element-wise kernels use one work item per value and check
 * {@code globalIdx < p[0]} (the global size is rounded up to the work-group size); row reductions use one work group
 * of {@link #GROUP} items per row.
 *
 * <p>The arithmetic follows {@code CpuBackend} operation for operation: the same float rounding, the same
 * summation order where it is sequential, sums the CPU takes in double taken in double here. Device code cannot
 * reinterpret float bits, so fp16 is encoded and decoded with exact float arithmetic ({@link #halfToFloat},
 * {@link #floatToHalfBits}); that needs IEEE float semantics, so the backend compiles without
 * {@code -cl-fast-relaxed-math}. These helpers are plain Java, tested on the host against {@link Float#floatToFloat16}.
 */
final class TornadoKernels {
    /**
     * Parameter slots per launch: a kernel reads its ints at {@code p[pb ..pb+PARAMS)} and its float at
     * {@code f[pb / PARAMS]}. A one-kernel graph passes {@code pb = 0}; the tasks of a stage graph share one array,
     * task {@code t} at {@code pb = t * PARAMS}.
     */
    static final int PARAMS = 16;
    /** Work-group size of the kernels that reduce over a row (norms, softmax, attention, argmax). */
    static final int GROUP = 64;
    /** Work-group size of the element-wise kernels. */
    static final int LOCAL = 64;

    /** Where the constant tables sit in {@code wf}: 2^(e-25) per fp16 exponent, then ggml's two GELU tables. */
    static final int POW2_TABLE = 0;
    static final int GELU_TABLE = 32;
    static final int GELU_QUICK_TABLE = GELU_TABLE + 65536;
    static final int TABLES_END = GELU_QUICK_TABLE + 65536;

    /** Activation kinds as the activation kernel reads them. */
    static final int SILU = 0;
    static final int GELU = 1;
    static final int GELU_ERF = 2;
    static final int GELU_QUICK = 3;

    /** Weight layouts as getRows reads them. */
    static final int TYPE_F32 = 0;
    static final int TYPE_F16 = 1;
    static final int TYPE_Q8_0 = 2;
    static final int TYPE_Q4_0 = 3;

    private TornadoKernels() {}

    /** The constant tables that open {@code wf}: powers of two for fp16 decoding, ggml's fp16 GELU tables. */
    static void writeTables(FloatArray wf, float[] geluTable, float[] geluQuickTable) {
        wf.set(POW2_TABLE, 0x1p-24f); // exponent 0: subnormals, m * 2^-24
        for (int e = 1; e < 32; e++) {
            wf.set(POW2_TABLE + e, (float) Math.scalb(1.0, e - 25));
        }
        for (int i = 0; i < 65536; i++) {
            wf.set(GELU_TABLE + i, geluTable[i]);
            wf.set(GELU_QUICK_TABLE + i, geluQuickTable[i]);
        }
    }

    // ---- fp16, exactly, with float arithmetic only ----

    /** The value of fp16 bit pattern {@code h}; {@code pow2} holds 2^-24 at 0 and 2^(e-25) at e (weights have no inf/NaN). */
    static float halfToFloat(int h, FloatArray pow2) {
        int e = (h >> 10) & 31;
        int m = h & 1023;
        float v = e == 0 ? m * pow2.get(POW2_TABLE) : (m + 1024) * pow2.get(POW2_TABLE + e);
        return (h & 0x8000) != 0 ? -v : v;
    }

    /**
     * {@code x} rounded to fp16 (round to nearest even, as {@link Float#floatToFloat16} and ggml), as its bit pattern.
     * Adding {@code C = 2^(e+13)} to a value of binade {@code 2^e} leaves exactly fp16's 11 significant bits, and the
     * float adder rounds to nearest even; below 2^-14 the quantum is fixed at 2^-24. Magnitudes from 65520 up give
     * infinity's pattern. (-0 gives +0's pattern; NaN is not handled.)
     */
    static int floatToHalfBits(float x) {
        int sign = x < 0f ? 0x8000 : 0;
        float a = x < 0f ? -x : x;
        int bits;
        if (a >= 65520f) {
            bits = 0x7c00;
        } else if (a < 6.1035156E-5f) {
            float r = (a + 0.5f) - 0.5f; // a multiple of 2^-24
            bits = (int) (r * 16777216f);
        } else {
            float lo = 6.1035156E-5f;
            int e = -14;
            while (a >= lo * 2f) {
                lo = lo * 2f;
                e++;
            }
            float c = lo * 8192f;
            float r = (a + c) - c;
            if (r >= lo * 2f) {
                lo = lo * 2f;
                e++;
            }
            int mant = (int) ((r / lo) * 1024f) - 1024;
            bits = ((e + 15) << 10) | mant;
        }
        return sign | bits;
    }

    /** {@code x} rounded to the nearest fp16 value, as a float (infinite beyond fp16's range). */
    static float roundToHalf(float x, FloatArray pow2) {
        float a = x < 0f ? -x : x;
        if (a >= 65520f) {
            return x * 1.0e30f * 1.0e30f; // overflows to infinity of x's sign
        }
        return halfToFloat(floatToHalfBits(x), pow2);
    }

    /** Round half to even for |v| < 2^22, as {@link Math#rint}. */
    static float rint(float v) {
        float big = 12582912f; // 1.5 * 2^23
        return v < 0f ? -((-v + big) - big) : (v + big) - big;
    }

    /** The little-endian unsigned 16-bit value at byte {@code i}. */
    static int u16(ByteArray b, int i) {
        return (b.get(i) & 0xff) | ((b.get(i + 1) & 0xff) << 8);
    }

    // ---- plumbing ----

    /** The task of the init graph; its real work is the first-execution upload of the heap and the arenas. */
    static void touch(FloatArray act, FloatArray wf, ByteArray wb) {
        act.set(0, act.get(0));
    }

    /** p: n, dst. Zeroes n floats. */
    static void fill(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 1) + i, 0f);
        }
    }

    /** p: n, dst. Copies n floats from the staging array into the heap. */
    static void upload(KernelContext ctx, FloatArray act, FloatArray stage, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 1) + i, stage.get(i));
        }
    }

    /** p: n, dst. Copies n floats from the staging array into the float arena (weights bound after the plan was built). */
    static void uploadFloats(KernelContext ctx, FloatArray wf, FloatArray stage, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            wf.set(p.get(pb + 1) + i, stage.get(i));
        }
    }

    /** p: n, dst. Copies n bytes from the byte staging array into the byte arena. */
    static void uploadBytes(KernelContext ctx, ByteArray wb, ByteArray stage, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            wb.set(p.get(pb + 1) + i, stage.get(i));
        }
    }

    // ---- element-wise; p: n, a, b, out ----

    static void copy(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 3) + i, act.get(p.get(pb + 1) + i));
        }
    }

    static void add(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 3) + i, act.get(p.get(pb + 1) + i) + act.get(p.get(pb + 2) + i));
        }
    }

    static void mul(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 3) + i, act.get(p.get(pb + 1) + i) * act.get(p.get(pb + 2) + i));
        }
    }

    /** ggml_silu_f32, as GgmlMath.silu: exp in double, rounded to float. */
    static float silu(float x) {
        return x / (1.0f + (float) TornadoMath.exp((double) -x));
    }

    static void swiglu(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 3) + i, silu(act.get(p.get(pb + 1) + i)) * act.get(p.get(pb + 2) + i));
        }
    }

    /** GgmlMath's erf (Numerical Recipes' erfc fit), in double. */
    static double erf(double x) {
        double ax = x < 0 ? -x : x;
        double t = 1.0 / (1.0 + 0.5 * ax);
        double y = t * TornadoMath.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - y : y - 1.0;
    }

    /** p: n, x, kind, out. GELU and quick GELU through ggml's fp16 tables, as GgmlMath. */
    static void activation(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            float x = act.get(p.get(pb + 1) + i);
            int kind = p.get(pb + 2);
            float y;
            if (kind == SILU) {
                y = silu(x);
            } else if (kind == GELU) {
                if (x <= -10.0f) {
                    y = 0.0f;
                } else if (x >= 10.0f) {
                    y = x;
                } else {
                    y = wf.get(GELU_TABLE + floatToHalfBits(x));
                }
            } else if (kind == GELU_QUICK) {
                y = wf.get(GELU_QUICK_TABLE + floatToHalfBits(x));
            } else {
                double xd = x;
                y = (float) (0.5 * xd * (1.0 + erf(xd / TornadoMath.sqrt(2.0))));
            }
            act.set(p.get(pb + 3) + i, y);
        }
    }

    // ---- matmul: activations prepared as ggml does, then one dot product per work item ----

    /** p: n, src, -, dst. Rounds activations to fp16 (the input of an F16-weight matmul). */
    static void roundHalf(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        int i = ctx.globalIdx;
        if (i < p.get(pb + 0)) {
            act.set(p.get(pb + 3) + i, roundToHalf(act.get(p.get(pb + 1) + i), wf));
        }
    }

    /** p: blocks, src, dstQ, dstScales. Q8_0 activation quantisation as GgmlMath.quantizeQ8_0, one block per item. */
    static void quantizeQ8(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        int b = ctx.globalIdx;
        if (b < p.get(pb + 0)) {
            int src = p.get(pb + 1) + 32 * b;
            float amax = 0f;
            for (int j = 0; j < 32; j++) {
                float v = act.get(src + j);
                float av = v < 0f ? -v : v;
                amax = av > amax ? av : amax;
            }
            float scale = amax / 127.f;
            act.set(p.get(pb + 3) + b, roundToHalf(scale, wf));
            float id = amax != 0.0f ? 127.f / amax : 0.0f;
            int dst = p.get(pb + 2) + 32 * b;
            for (int j = 0; j < 32; j++) {
                act.set(dst + j, rint(act.get(src + j) * id));
            }
        }
    }

    /** Stores output {@code g} (column {@code j}) of a matmul, adding the bias when there is one (p[6] >= 0). */
    static void storeOutput(FloatArray act, FloatArray wf, IntArray p, int pb, int g, int j, float sum) {
        int bias = p.get(pb + 6);
        act.set(p.get(pb + 2) + g, bias < 0 ? sum : sum + wf.get(bias + j));
    }

    /** p: rows*outDim, x, out, outDim, inDim, w (index in wf), bias (index in wf, or -1). */
    static void matmulF32(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int r = g / outDim;
            int j = g - r * outDim;
            int w = p.get(pb + 5) + j * inDim;
            int x = p.get(pb + 1) + r * inDim;
            float sum = 0f;
            for (int k = 0; k < inDim; k++) {
                sum += wf.get(w + k) * act.get(x + k);
            }
            storeOutput(act, wf, p, pb, g, j, sum);
        }
    }

    /** As {@link #matmulF32} with F16 weights (byte offset in wb) and fp16-rounded activations. */
    static void matmulF16(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int r = g / outDim;
            int j = g - r * outDim;
            int w = p.get(pb + 5) + 2 * j * inDim;
            int x = p.get(pb + 1) + r * inDim;
            float sum = 0f;
            for (int k = 0; k < inDim; k++) {
                sum += halfToFloat(u16(wb, w + 2 * k), wf) * act.get(x + k);
            }
            storeOutput(act, wf, p, pb, g, j, sum);
        }
    }

    /** p as {@link #matmulF32} plus 7: the activations' block scales; x holds their Q8 values. Integer dots per block. */
    static void matmulQ8(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int blocks = inDim / 32;
            int r = g / outDim;
            int j = g - r * outDim;
            int row = p.get(pb + 5) + 34 * blocks * j;
            int q = p.get(pb + 1) + r * inDim;
            int s = p.get(pb + 7) + r * blocks;
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                int blk = row + 34 * b;
                float dw = halfToFloat(u16(wb, blk), wf);
                int isum = 0;
                for (int k = 0; k < 32; k++) {
                    isum += wb.get(blk + 2 + k) * (int) act.get(q + 32 * b + k);
                }
                sum += dw * act.get(s + b) * isum;
            }
            storeOutput(act, wf, p, pb, g, j, sum);
        }
    }

    /** As {@link #matmulQ8} for Q4_0 weights: low nibbles are values 0..15 of a block, high nibbles 16..31. */
    static void matmulQ4(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int blocks = inDim / 32;
            int r = g / outDim;
            int j = g - r * outDim;
            int row = p.get(pb + 5) + 18 * blocks * j;
            int q = p.get(pb + 1) + r * inDim;
            int s = p.get(pb + 7) + r * blocks;
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                int blk = row + 18 * b;
                float dw = halfToFloat(u16(wb, blk), wf);
                int isum = 0;
                for (int k = 0; k < 16; k++) {
                    int packed = wb.get(blk + 2 + k) & 0xff;
                    isum += ((packed & 0x0f) - 8) * (int) act.get(q + 32 * b + k)
                            + ((packed >> 4) - 8) * (int) act.get(q + 32 * b + k + 16);
                }
                sum += dw * act.get(s + b) * isum;
            }
            storeOutput(act, wf, p, pb, g, j, sum);
        }
    }

    // ---- matmuls with a work group per output (GPUs): lanes stride over the inputs, then a tree sum ----
    // Neighbouring lanes read neighbouring weights (coalesced loads), where the one-item-per-output kernels give
    // each item its own row. Summation order: per lane in order, then the tree; the CPU sums in its own vector
    // order, so results agree within float rounding (tested), not bit for bit. p as the one-row kernels; one group
    // of MM_LANES items per (row, output), p[0] = rows * outDim.

    // One kernel per weight type, not one kernel branching on the type: TornadoVM 5.2.0's OpenCL code generator
    // miscompiles an if/else whose branches each hold a loop producing the same variable (after the merge it copies
    // the else branch's loop variable over the result, so the F32 branch returned garbage; seen in the printed
    // kernel, -Dtornado.printKernel=True). No kernel here has that shape.

    /** Lanes per output in the work-group matmuls: a warp (NVIDIA) or half a wavefront (AMD). */
    static final int MM_LANES = 32;

    /** The sum of every lane's {@code value}, valid in lane 0 (all lanes must call it). */
    static float groupSum(KernelContext ctx, float[] partial, int lane, float value) {
        partial[lane] = value;
        ctx.localBarrier();
        for (int stride = MM_LANES / 2; stride > 0; stride /= 2) {
            if (lane < stride) {
                partial[lane] += partial[lane + stride];
            }
            ctx.localBarrier();
        }
        return partial[0];
    }

    static void matmulF32Group(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        float[] partial = ctx.allocateFloatLocalArray(MM_LANES);
        int lane = ctx.localIdx;
        int g = ctx.groupIdx;
        int outDim = p.get(pb + 3);
        int inDim = p.get(pb + 4);
        int r = g / outDim;
        int j = g - r * outDim;
        int w = p.get(pb + 5) + j * inDim;
        int x = p.get(pb + 1) + r * inDim;
        float sum = 0f;
        for (int k = lane; k < inDim; k += MM_LANES) {
            sum += wf.get(w + k) * act.get(x + k);
        }
        float total = groupSum(ctx, partial, lane, sum);
        if (lane == 0) {
            storeOutput(act, wf, p, pb, g, j, total);
        }
    }

    static void matmulF16Group(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        float[] partial = ctx.allocateFloatLocalArray(MM_LANES);
        int lane = ctx.localIdx;
        int g = ctx.groupIdx;
        int outDim = p.get(pb + 3);
        int inDim = p.get(pb + 4);
        int r = g / outDim;
        int j = g - r * outDim;
        int w = p.get(pb + 5) + 2 * j * inDim;
        int x = p.get(pb + 1) + r * inDim;
        float sum = 0f;
        for (int k = lane; k < inDim; k += MM_LANES) {
            sum += halfToFloat(u16(wb, w + 2 * k), wf) * act.get(x + k);
        }
        float total = groupSum(ctx, partial, lane, sum);
        if (lane == 0) {
            storeOutput(act, wf, p, pb, g, j, total);
        }
    }

    /** Lanes take whole blocks (32 values, one scale), so each block's integer dot is exact as on the CPU. */
    static void matmulQ8Group(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        float[] partial = ctx.allocateFloatLocalArray(MM_LANES);
        int lane = ctx.localIdx;
        int g = ctx.groupIdx;
        int outDim = p.get(pb + 3);
        int inDim = p.get(pb + 4);
        int blocks = inDim / 32;
        int r = g / outDim;
        int j = g - r * outDim;
        int row = p.get(pb + 5) + 34 * blocks * j;
        int q = p.get(pb + 1) + r * inDim;
        int s = p.get(pb + 7) + r * blocks;
        float sum = 0f;
        for (int b = lane; b < blocks; b += MM_LANES) {
            int blk = row + 34 * b;
            float dw = halfToFloat(u16(wb, blk), wf);
            int isum = 0;
            for (int k = 0; k < 32; k++) {
                isum += wb.get(blk + 2 + k) * (int) act.get(q + 32 * b + k);
            }
            sum += dw * act.get(s + b) * isum;
        }
        float total = groupSum(ctx, partial, lane, sum);
        if (lane == 0) {
            storeOutput(act, wf, p, pb, g, j, total);
        }
    }

    static void matmulQ4Group(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        float[] partial = ctx.allocateFloatLocalArray(MM_LANES);
        int lane = ctx.localIdx;
        int g = ctx.groupIdx;
        int outDim = p.get(pb + 3);
        int inDim = p.get(pb + 4);
        int blocks = inDim / 32;
        int r = g / outDim;
        int j = g - r * outDim;
        int row = p.get(pb + 5) + 18 * blocks * j;
        int q = p.get(pb + 1) + r * inDim;
        int s = p.get(pb + 7) + r * blocks;
        float sum = 0f;
        for (int b = lane; b < blocks; b += MM_LANES) {
            int blk = row + 18 * b;
            float dw = halfToFloat(u16(wb, blk), wf);
            int isum = 0;
            for (int k = 0; k < 16; k++) {
                int packed = wb.get(blk + 2 + k) & 0xff;
                isum += ((packed & 0x0f) - 8) * (int) act.get(q + 32 * b + k)
                        + ((packed >> 4) - 8) * (int) act.get(q + 32 * b + k + 16);
            }
            sum += dw * act.get(s + b) * isum;
        }
        float total = groupSum(ctx, partial, lane, sum);
        if (lane == 0) {
            storeOutput(act, wf, p, pb, g, j, total);
        }
    }

    // ---- F32/F16 matmuls over four activation rows per work item (n >= 4: prefill, the ViT) ----
    // Each weight is read and decoded once for four rows; every output still sums over k in order, so the results
    // are those of the one-row kernels bit for bit. p as the one-row kernel, but p[0] is ceil(n / 4) * outDim and
    // p[8] is n; rows past n reuse row r0's activations and are not stored. (Q8_0/Q4_0 have none: tiled the same
    // way they ran 2x slower on PoCL, whose compiler vectorises the one-row kernels' 32-value block loop.)

    /** Row {@code r0 + i}'s offset when it exists, else row r0's (read, never stored). */
    static int tileRow(int x0, int r0, int i, int n, int stride) {
        return r0 + i < n ? x0 + i * stride : x0;
    }

    /** Stores the four sums of a tile (those of rows that exist), adding the bias when there is one. */
    static void storeTile(FloatArray act, FloatArray wf, IntArray p, int pb, int r0, int j, float s0, float s1, float s2, float s3) {
        int outDim = p.get(pb + 3);
        int n = p.get(pb + 8);
        int g = r0 * outDim + j;
        storeOutput(act, wf, p, pb, g, j, s0);
        if (r0 + 1 < n) {
            storeOutput(act, wf, p, pb, g + outDim, j, s1);
        }
        if (r0 + 2 < n) {
            storeOutput(act, wf, p, pb, g + 2 * outDim, j, s2);
        }
        if (r0 + 3 < n) {
            storeOutput(act, wf, p, pb, g + 3 * outDim, j, s3);
        }
    }

    static void matmulF32x4(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int n = p.get(pb + 8);
            int r0 = 4 * (g / outDim);
            int j = g - (r0 / 4) * outDim;
            int w = p.get(pb + 5) + j * inDim;
            int x0 = p.get(pb + 1) + r0 * inDim;
            int x1 = tileRow(x0, r0, 1, n, inDim);
            int x2 = tileRow(x0, r0, 2, n, inDim);
            int x3 = tileRow(x0, r0, 3, n, inDim);
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int k = 0; k < inDim; k++) {
                float wk = wf.get(w + k);
                s0 += wk * act.get(x0 + k);
                s1 += wk * act.get(x1 + k);
                s2 += wk * act.get(x2 + k);
                s3 += wk * act.get(x3 + k);
            }
            storeTile(act, wf, p, pb, r0, j, s0, s1, s2, s3);
        }
    }

    static void matmulF16x4(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int outDim = p.get(pb + 3);
            int inDim = p.get(pb + 4);
            int n = p.get(pb + 8);
            int r0 = 4 * (g / outDim);
            int j = g - (r0 / 4) * outDim;
            int w = p.get(pb + 5) + 2 * j * inDim;
            int x0 = p.get(pb + 1) + r0 * inDim;
            int x1 = tileRow(x0, r0, 1, n, inDim);
            int x2 = tileRow(x0, r0, 2, n, inDim);
            int x3 = tileRow(x0, r0, 3, n, inDim);
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int k = 0; k < inDim; k++) {
                float wk = halfToFloat(u16(wb, w + 2 * k), wf);
                s0 += wk * act.get(x0 + k);
                s1 += wk * act.get(x1 + k);
                s2 += wk * act.get(x2 + k);
                s3 += wk * act.get(x3 + k);
            }
            storeTile(act, wf, p, pb, r0, j, s0, s1, s2, s3);
        }
    }

    /** p: count*cols, out, cols, type, w (wf index or wb byte offset), bytes per row. ids: the row ids. */
    static void getRows(KernelContext ctx, FloatArray act, FloatArray wf, ByteArray wb, IntArray p, IntArray ids, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int cols = p.get(pb + 2);
            int i = g / cols;
            int c = g - i * cols;
            int id = ids.get(i);
            int type = p.get(pb + 3);
            float v;
            if (type == TYPE_F32) {
                v = wf.get(p.get(pb + 4) + id * cols + c);
            } else if (type == TYPE_F16) {
                v = halfToFloat(u16(wb, p.get(pb + 4) + id * p.get(pb + 5) + 2 * c), wf);
            } else if (type == TYPE_Q8_0) {
                int blk = p.get(pb + 4) + id * p.get(pb + 5) + 34 * (c / 32);
                v = halfToFloat(u16(wb, blk), wf) * wb.get(blk + 2 + c % 32);
            } else {
                int blk = p.get(pb + 4) + id * p.get(pb + 5) + 18 * (c / 32);
                int k = c % 32;
                int packed = wb.get(blk + 2 + k % 16) & 0xff;
                int q = k < 16 ? (packed & 0x0f) - 8 : (packed >> 4) - 8;
                v = halfToFloat(u16(wb, blk), wf) * q;
            }
            act.set(p.get(pb + 1) + g, v);
        }
    }

    // ---- row reductions: one work group of GROUP items per row ----

    /** p: rows, x, out, cols, weight (wf index); f: eps. Sum of squares in double, as CpuBackend. */
    static void rmsNorm(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, FloatArray f, int pb) {
        double[] partial = ctx.allocateDoubleLocalArray(GROUP);
        int lid = ctx.localIdx;
        int row = ctx.groupIdx;
        int n = p.get(pb + 3);
        int x = p.get(pb + 1) + row * n;
        double s = 0.0;
        for (int i = lid; i < n; i += GROUP) {
            float v = act.get(x + i);
            s += v * v;
        }
        partial[lid] = s;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                partial[lid] += partial[lid + stride];
            }
            ctx.localBarrier();
        }
        float mean = (float) (partial[0] / n);
        float scale = 1.0f / (float) TornadoMath.sqrt((double) (mean + f.get(pb / PARAMS)));
        int o = p.get(pb + 2) + row * n;
        int w = p.get(pb + 4);
        for (int i = lid; i < n; i += GROUP) {
            act.set(o + i, (act.get(x + i) * scale) * wf.get(w + i));
        }
    }

    /** p: rows, x, out, cols, weight (or -1), bias (or -1); f: eps. Mean and variance in double, as CpuBackend. */
    static void layerNorm(KernelContext ctx, FloatArray act, FloatArray wf, IntArray p, FloatArray f, int pb) {
        double[] partial = ctx.allocateDoubleLocalArray(GROUP);
        int lid = ctx.localIdx;
        int row = ctx.groupIdx;
        int n = p.get(pb + 3);
        int x = p.get(pb + 1) + row * n;
        double s = 0.0;
        for (int i = lid; i < n; i += GROUP) {
            s += act.get(x + i);
        }
        partial[lid] = s;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                partial[lid] += partial[lid + stride];
            }
            ctx.localBarrier();
        }
        float mean = (float) (partial[0] / n);
        ctx.localBarrier();
        double s2 = 0.0;
        for (int i = lid; i < n; i += GROUP) {
            float v = act.get(x + i) - mean;
            s2 += v * v;
        }
        partial[lid] = s2;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                partial[lid] += partial[lid + stride];
            }
            ctx.localBarrier();
        }
        float variance = (float) (partial[0] / n);
        float scale = 1.0f / (float) TornadoMath.sqrt((double) (variance + f.get(pb / PARAMS)));
        int o = p.get(pb + 2) + row * n;
        int w = p.get(pb + 4);
        int b = p.get(pb + 5);
        for (int i = lid; i < n; i += GROUP) {
            float v = (act.get(x + i) - mean) * scale;
            if (w >= 0) {
                v = v * wf.get(w + i);
            }
            if (b >= 0) {
                v = v + wf.get(b + i);
            }
            act.set(o + i, v);
        }
    }

    /** p: rows, x, out, cols. exp in double rounded to float, the sum in double, as CpuBackend. */
    static void softmax(KernelContext ctx, FloatArray act, IntArray p, int pb) {
        float[] maxes = ctx.allocateFloatLocalArray(GROUP);
        double[] sums = ctx.allocateDoubleLocalArray(GROUP);
        int lid = ctx.localIdx;
        int row = ctx.groupIdx;
        int n = p.get(pb + 3);
        int x = p.get(pb + 1) + row * n;
        int o = p.get(pb + 2) + row * n;
        float m = Float.NEGATIVE_INFINITY;
        for (int i = lid; i < n; i += GROUP) {
            float v = act.get(x + i);
            m = v > m ? v : m;
        }
        maxes[lid] = m;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride && maxes[lid + stride] > maxes[lid]) {
                maxes[lid] = maxes[lid + stride];
            }
            ctx.localBarrier();
        }
        float max = maxes[0];
        double s = 0.0;
        for (int i = lid; i < n; i += GROUP) {
            float e = (float) TornadoMath.exp((double) (act.get(x + i) - max));
            act.set(o + i, e);
            s += e;
        }
        sums[lid] = s;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                sums[lid] += sums[lid + stride];
            }
            ctx.localBarrier();
        }
        float inv = (float) (1.0 / sums[0]);
        for (int i = lid; i < n; i += GROUP) {
            act.set(o + i, act.get(o + i) * inv);
        }
    }

    /**
     * p: rows*heads*pairs, x, cols, headDim, dims, firstPosition, style (0 adjacent pairs, 1 NeoX halves), heads;
     * f: thetaScale; freq: one frequency factor per pair. The angle is built by repeated float multiplication as
     * ggml and CpuBackend do, and cos/sin are taken in double and rounded.
     */
    static void rope(KernelContext ctx, FloatArray act, IntArray p, FloatArray f, FloatArray freq, int pb) {
        int g = ctx.globalIdx;
        if (g < p.get(pb + 0)) {
            int dims = p.get(pb + 4);
            int pairs = dims / 2;
            int heads = p.get(pb + 7);
            int i = g % pairs;
            int rh = g / pairs;
            int h = rh % heads;
            int r = rh / heads;
            float theta = p.get(pb + 5) + r;
            float thetaScale = f.get(pb / PARAMS);
            for (int k = 0; k < i; k++) {
                theta *= thetaScale;
            }
            float angle = theta / freq.get(i);
            float cos = (float) TornadoMath.cos((double) angle);
            float sin = (float) TornadoMath.sin((double) angle);
            int base = p.get(pb + 1) + r * p.get(pb + 2) + h * p.get(pb + 3);
            int a = p.get(pb + 6) == 0 ? base + 2 * i : base + i;
            int b = p.get(pb + 6) == 0 ? a + 1 : a + pairs;
            float x0 = act.get(a);
            float x1 = act.get(b);
            act.set(a, x0 * cos - x1 * sin);
            act.set(b, x0 * sin + x1 * cos);
        }
    }

    /** The attention score of query {@code qb} and key {@code kb}: the dot in float, then scaled, as CpuBackend. */
    static float score(FloatArray act, int qb, int kb, int hd, float scale) {
        float dot = 0f;
        for (int d = 0; d < hd; d++) {
            dot += act.get(qb + d) * act.get(kb + d);
        }
        return dot * scale;
    }

    /**
     * One work group per (query row, head), with no scratch memory: the scores are recomputed in each of three
     * passes (max; sum of exponentials in double; then, a chunk of {@link #GROUP} keys at a time, the weighted sum of
     * V, each item owning output dimensions). Every score is computed by the same expression, so all passes see the
     * same values, and each output value sums over keys in order, as CpuBackend does.
     * p: groups, q, k, v, out, heads, kvHeads, headDim, kvLength, causal, firstQueryPosition, -, q/out row width,
     * k/v row width; f: scale.
     */
    static void attention(KernelContext ctx, FloatArray act, IntArray p, FloatArray f, int pb) {
        float[] maxes = ctx.allocateFloatLocalArray(GROUP);
        double[] sums = ctx.allocateDoubleLocalArray(GROUP);
        float[] weights = ctx.allocateFloatLocalArray(GROUP);
        int lid = ctx.localIdx;
        int task = ctx.groupIdx;
        int heads = p.get(pb + 5);
        int group = heads / p.get(pb + 6);
        int hd = p.get(pb + 7);
        int kvLength = p.get(pb + 8);
        int qi = task / heads;
        int h = task - qi * heads;
        int kvh = h / group;
        int visible = kvLength;
        if (p.get(pb + 9) != 0) {
            int limit = p.get(pb + 10) + qi + 1;
            visible = limit < kvLength ? limit : kvLength;
        }
        int qCols = p.get(pb + 12);
        int kvCols = p.get(pb + 13);
        int qb = p.get(pb + 1) + qi * qCols + h * hd;
        int kBase = p.get(pb + 2) + kvh * hd;
        int vBase = p.get(pb + 3) + kvh * hd;
        float scale = f.get(pb / PARAMS);

        float m = Float.NEGATIVE_INFINITY;
        for (int j = lid; j < visible; j += GROUP) {
            float sc = score(act, qb, kBase + j * kvCols, hd, scale);
            m = sc > m ? sc : m;
        }
        maxes[lid] = m;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride && maxes[lid + stride] > maxes[lid]) {
                maxes[lid] = maxes[lid + stride];
            }
            ctx.localBarrier();
        }
        float max = maxes[0];

        double s = 0.0;
        for (int j = lid; j < visible; j += GROUP) {
            s += (float) TornadoMath.exp((double) (score(act, qb, kBase + j * kvCols, hd, scale) - max));
        }
        sums[lid] = s;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                sums[lid] += sums[lid + stride];
            }
            ctx.localBarrier();
        }
        float inv = (float) (1.0 / sums[0]);

        int ob = p.get(pb + 4) + qi * qCols + h * hd;
        for (int d = lid; d < hd; d += GROUP) {
            act.set(ob + d, 0f);
        }
        for (int chunk = 0; chunk < visible; chunk += GROUP) {
            int j = chunk + lid;
            float e = 0f;
            if (j < visible) {
                e = (float) TornadoMath.exp((double) (score(act, qb, kBase + j * kvCols, hd, scale) - max));
            }
            ctx.localBarrier();
            weights[lid] = e;
            ctx.localBarrier();
            int count = visible - chunk < GROUP ? visible - chunk : GROUP;
            for (int d = lid; d < hd; d += GROUP) {
                float acc = act.get(ob + d);
                for (int c = 0; c < count; c++) {
                    acc += (weights[c] * inv) * act.get(vBase + (chunk + c) * kvCols + d);
                }
                act.set(ob + d, acc);
            }
        }
    }

    /** One work group. p: cols, x. The first index of the largest value goes to result[0]. */
    static void argmax(KernelContext ctx, FloatArray act, IntArray p, IntArray result, int pb) {
        float[] best = ctx.allocateFloatLocalArray(GROUP);
        int[] at = ctx.allocateIntLocalArray(GROUP);
        int lid = ctx.localIdx;
        int n = p.get(pb + 0);
        int x = p.get(pb + 1);
        float b = Float.NEGATIVE_INFINITY;
        int bi = -1;
        for (int i = lid; i < n; i += GROUP) {
            float v = act.get(x + i);
            if (bi < 0 || v > b) {
                b = v;
                bi = i;
            }
        }
        best[lid] = b;
        at[lid] = bi;
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                int oi = at[lid + stride];
                float ov = best[lid + stride];
                if (oi >= 0 && (at[lid] < 0 || ov > best[lid] || (ov == best[lid] && oi < at[lid]))) {
                    best[lid] = ov;
                    at[lid] = oi;
                }
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            result.set(0, at[0]);
        }
    }
}
