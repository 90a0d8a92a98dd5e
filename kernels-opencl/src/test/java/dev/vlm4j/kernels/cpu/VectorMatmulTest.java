package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.GgmlMath;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vectorised matmul against a plain scalar reference written from ggml's definition: weights dequantised by
 * {@link TensorCodecs} (independent scalar code), activations rounded as ggml's vec_dot_type (fp16, bf16, Q8_0
 * blocks), products summed in double. Shapes include odd sizes that are not multiples of the vector width, batch
 * sizes that exercise the 4x2 tile, its remainders and the decode path, and a bias.
 */
class VectorMatmulTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void matchesTheScalarReference(GgmlType type) {
        boolean blocks = type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
        int[] colsChoices = blocks ? new int[]{32, 64, 96, 288} : new int[]{1, 7, 31, 33, 64, 257};
        int[] outChoices = {1, 3, 4, 5, 31, 33, 70};
        int[] rowChoices = {1, 2, 3, 4, 7};
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        try (CpuBackend backend = new CpuBackend(2)) {
            for (int cols : colsChoices) {
                for (int outDim : outChoices) {
                    for (int rows : rowChoices) {
                        float[] w = gaussian(rnd, outDim * cols);
                        float[] x = gaussian(rnd, rows * cols);
                        float[] bias = gaussian(rnd, outDim);
                        MemorySegment data = TensorCodecs.quantize(type, w, 0, w.length);
                        Tensor wt = new Tensor("w", type, Shape.of(cols, outDim), data);
                        Tensor bt = f32("b", bias, 0, outDim);
                        float[] got = multiply(backend, wt, bt, activations(backend, x, rows, cols));

                        float[] wd = new float[w.length];
                        TensorCodecs.dequantize(type, data, 0, wd, 0, w.length);
                        float[] xr = roundLikeGgml(type, x, rows, cols);
                        for (int r = 0; r < rows; r++) {
                            for (int j = 0; j < outDim; j++) {
                                double sum = 0;
                                double magnitude = 0;
                                for (int k = 0; k < cols; k++) {
                                    double p = (double) wd[j * cols + k] * xr[r * cols + k];
                                    sum += p;
                                    magnitude += Math.abs(p);
                                }
                                sum += bias[j];
                                double tol = 1e-6 * (magnitude + Math.abs(bias[j])) + 1e-6;
                                assertEquals(sum, got[r * outDim + j], tol, type + " " + rows + "x" + cols + " -> " + outDim
                                        + " at [" + r + "][" + j + "]: tolerance 1e-6 relative to the sum of |products|");
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q8_K", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void otherTypesThroughTheDequantisedRowPath(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(11 + type.ordinal());
        for (int rows : new int[]{1, 2, 5}) {
            int blocksPerRow = 2;
            int cols = blocksPerRow * type.blockSize();
            int outDim = 9;
            byte[] raw = dev.vlm4j.tensor.BlockCodecsTest.randomBlocks(type, outDim * blocksPerRow, rnd);
            MemorySegment data = MemorySegment.ofArray(raw);
            Tensor wt = new Tensor("w", type, Shape.of(cols, outDim), data);
            float[] x = gaussian(rnd, rows * cols);
            float[] wd = new float[outDim * cols];
            TensorCodecs.dequantize(type, data, 0, wd, 0, wd.length);
            try (CpuBackend backend = new CpuBackend(2)) {
                float[] got = multiply(backend, wt, null, activations(backend, x, rows, cols));
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < outDim; j++) {
                        double sum = 0, magnitude = 0;
                        for (int k = 0; k < cols; k++) {
                            double p = (double) wd[j * cols + k] * x[r * cols + k];
                            sum += p;
                            magnitude += Math.abs(p);
                        }
                        assertEquals(sum, got[r * outDim + j], 1e-6 * magnitude + 1e-6,
                                type + " [" + r + "][" + j + "]: F32 activations, tolerance 1e-6 of the sum of |products|");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_0"})
    void batchedRowsEqualSingleRowsExactly(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(7);
        // 7 rows: a 4x4 tile, a 4x2 and a 4x1; 37 outputs leave one weight row outside the tiles; F32 also runs a row
        // length with a 4-value tail after the last whole vector
        int[] colsChoices = type == GgmlType.F32 ? new int[]{96, 100} : new int[]{96};
        int outDim = 37, rows = 7;
        for (int cols : colsChoices) {
            float[] w = gaussian(rnd, outDim * cols);
            float[] x = gaussian(rnd, rows * cols);
            Tensor wt = new Tensor("w", type, Shape.of(cols, outDim), TensorCodecs.quantize(type, w, 0, w.length));
            try (CpuBackend backend = new CpuBackend(2)) {
                Matrix xm = activations(backend, x, rows, cols);
                float[] batched = multiply(backend, wt, null, xm);
                for (int r = 0; r < rows; r++) {
                    float[] single = multiply(backend, wt, null, xm.rows(r, 1));
                    for (int j = 0; j < outDim; j++) {
                        if (type != GgmlType.F32) {
                            // decode widens weights in registers, batches go through a dequantised buffer: same products, other order
                            assertEquals(single[j], batched[r * outDim + j], 1e-5 * Math.max(1, Math.abs(single[j])), type + " row " + r);
                        } else {
                            assertEquals(single[j], batched[r * outDim + j], 0f, type + " " + cols + " columns, row " + r + ": batch and decode agree exactly");
                        }
                    }
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void q8RoundingOfActivationsEqualsGgmlsScalarCodeExactly() {
        SplittableRandom rnd = new SplittableRandom(5);
        int cols = 32 * 40;
        float[] x = gaussian(rnd, cols);
        java.util.Arrays.fill(x, 64, 96, 0f); // an all-zero block: d = 0, q = 0
        for (int i = 96; i < 128; i++) x[i] = (i - 112) * 0.5f; // ties after scaling
        for (int i = 128; i < 160; i++) x[i] = (float) (rnd.nextDouble() * 1e-30); // tiny values, subnormal scales
        x[200] = -1e30f; // a huge block maximum
        float[] got = new float[cols];
        VectorMatmul.roundQ8_0(x, 0, cols, got, 0);
        byte[] q = new byte[cols];
        float[] d = new float[cols / 32];
        GgmlMath.quantizeQ8_0(x, 0, cols, q, 0, d, 0);
        short[] lanesQ = new short[cols];
        float[] lanesD = new float[cols / 32];
        VectorMatmul.quantizeQ8_0(x, 0, cols, lanesQ, 0, lanesD, 0);
        for (int i = 0; i < cols; i++) {
            assertEquals(q[i] * d[i >> 5], got[i], 0f, "element " + i + ": q*d as ggml-cpu's scalar rounding gives it");
            assertEquals(q[i], lanesQ[i], "element " + i + ": the int8 value ggml-cpu's scalar quantisation gives");
        }
        for (int b = 0; b < cols / 32; b++) assertEquals(d[b], lanesD[b], 0f, "block " + b + " scale");
    }

    /**
     * The Q8_0 decode's integer block sums at the int8 extremes (weights -128 and 127, activations at +-127: the
     * largest pairs its 16-bit pair sums hold), against scalar integer sums scaled once per block as ggml does.
     */
    @org.junit.jupiter.api.Test
    void q8DecodeSumsBlocksExactlyAtTheInt8Extremes() {
        int blocks = 5;
        int cols = 32 * blocks;
        int outDim = 3;
        byte[] raw = new byte[outDim * blocks * 34];
        SplittableRandom rnd = new SplittableRandom(9);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int row = 0; row < outDim; row++) {
            for (int b = 0; b < blocks; b++) {
                int at = (row * blocks + b) * 34;
                buf.putShort(at, Float.floatToFloat16(0.5f + b));
                for (int i = 0; i < 32; i++) {
                    raw[at + 2 + i] = switch (row) {
                        case 0 -> (byte) -128;
                        case 1 -> (byte) (i % 2 == 0 ? 127 : -128);
                        default -> (byte) (rnd.nextInt(256) - 128);
                    };
                }
            }
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = i % 3 == 0 ? 1f : -1f; // every block's amax is 1: q = +-127
        for (int i = 64; i < 96; i++) x[i] = -2f;
        byte[] q = new byte[cols];
        float[] d = new float[blocks];
        GgmlMath.quantizeQ8_0(x, 0, cols, q, 0, d, 0);
        Tensor wt = new Tensor("w", GgmlType.Q8_0, Shape.of(cols, outDim), MemorySegment.ofArray(raw));
        try (CpuBackend backend = new CpuBackend(1)) {
            float[] got = multiply(backend, wt, null, activations(backend, x, 1, cols));
            for (int row = 0; row < outDim; row++) {
                double expected = 0;
                double magnitude = 0;
                for (int b = 0; b < blocks; b++) {
                    long sumi = 0;
                    long sumAbs = 0;
                    for (int i = 0; i < 32; i++) {
                        long p = (long) raw[(row * blocks + b) * 34 + 2 + i] * q[32 * b + i];
                        sumi += p;
                        sumAbs += Math.abs(p);
                    }
                    double scale = Float.float16ToFloat(buf.getShort((row * blocks + b) * 34)) * d[b];
                    expected += sumi * scale;
                    magnitude += sumAbs * Math.abs(scale);
                }
                assertEquals(expected, got[row], 1e-6 * magnitude, "row " + row
                        + ": exact block sums, float rounding of the scaled partial sums only (1e-6 of the sum of |products|)");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void expShiftedIsAccurateAndTheSameInVectorAndScalarCode() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 1003;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 100 - 95);
        a[5] = -200f; // underflows to 0 via the -87 clamp (exp(-87) ~ 1.6e-38)
        float max = 5f;
        float[] v = a.clone();
        VectorMatmul.expShifted(v, n, max);
        for (int i = 0; i < n; i++) {
            double exact = Math.exp((double) (a[i] - max)); // of the float difference the kernel sees
            assertEquals(VectorMatmul.expScalar(a[i] - max), v[i], 0f, "vector lane and scalar tail agree bit for bit at " + i);
            if (a[i] - max > -87) {
                assertEquals(exact, v[i], 4e-7 * exact, "exp(" + (a[i] - max) + ") within 4e-7 relative");
            } else {
                assertTrue(v[i] < 2e-38, "exp below -87 is ~0: " + v[i]);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void attentionScoresAgainstTransposedKeys() {
        SplittableRandom rnd = new SplittableRandom(4);
        int hd = 40;
        // visible 35: one step of two key vectors and a scalar tail (16 lanes); 55: two vectors, one, then the tail
        for (int[] shape : new int[][] {{37, 35}, {60, 55}}) {
            int keys = shape[0], visible = shape[1];
            float[] k = gaussian(rnd, keys * hd);
            float[] kt = new float[hd * keys];
            for (int j = 0; j < keys; j++) for (int d = 0; d < hd; d++) kt[d * keys + j] = k[j * hd + d];
            for (int count : new int[]{1, 3, 4}) {
                float[] q = gaussian(rnd, count * hd);
                float[] scores = new float[count * keys];
                VectorMatmul.scoresBlock(q, 0, hd, count, kt, 0, keys, hd, visible, 0.125f, scores, keys);
                for (int m = 0; m < count; m++) {
                    for (int j = 0; j < visible; j++) {
                        double ref = 0;
                        double mag = 0;
                        for (int d = 0; d < hd; d++) {
                            ref += (double) q[m * hd + d] * k[j * hd + d];
                            mag += Math.abs((double) q[m * hd + d] * k[j * hd + d]);
                        }
                        assertEquals(ref * 0.125, scores[m * keys + j], 1e-6 * mag,
                                count + " queries, query " + m + " score " + j + " of " + visible + " within 1e-6 of the sum of |products|");
                    }
                    assertEquals(0f, scores[m * keys + visible], "keys past 'visible' are not written");
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void swigluAndWeightedSumAgainstScalarReferences() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 133;
        float[] g = gaussian(rnd, n);
        g[0] = -100f;
        g[1] = 100f;
        float[] u = gaussian(rnd, n);
        float[] out = new float[n];
        VectorMatmul.swiglu(g, 0, u, 0, out, 0, n);
        for (int i = 0; i < n; i++) {
            double ref = g[i] / (1 + Math.exp(-(double) g[i])) * u[i];
            assertEquals(ref, out[i], 1e-6 * Math.abs(ref) + 1e-30, "silu(g)*u at " + i + " within 1e-6 relative");
        }
        int keys = 29, hd = 70, stride = 90;
        float[] p = new float[keys];
        for (int j = 0; j < keys; j++) p[j] = (float) rnd.nextDouble();
        float[] v = gaussian(rnd, keys * stride);
        float[] o = new float[hd];
        VectorMatmul.weightedSum(p, 0.5f, keys, v, 3, stride, o, 0, hd);
        for (int c = 0; c < hd; c++) {
            double ref = 0, mag = 0;
            for (int j = 0; j < keys; j++) {
                ref += (double) (p[j] * 0.5f) * v[3 + j * stride + c];
                mag += Math.abs((double) (p[j] * 0.5f) * v[3 + j * stride + c]);
            }
            assertEquals(ref, o[c], 1e-6 * mag, "weighted sum column " + c + " within 1e-6 of the sum of |terms|");
        }
    }

    private static float[] roundLikeGgml(GgmlType type, float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            switch (type) {
                case F16 -> {
                    for (int k = 0; k < cols; k++) out[r * cols + k] = Float.float16ToFloat(Float.floatToFloat16(x[r * cols + k]));
                }
                case BF16 -> {
                    float[] one = new float[cols];
                    MemorySegment bf = TensorCodecs.quantize(GgmlType.BF16, x, r * cols, cols);
                    TensorCodecs.dequantize(GgmlType.BF16, bf, 0, one, 0, cols);
                    System.arraycopy(one, 0, out, r * cols, cols);
                }
                case Q8_0, Q4_0 -> {
                    byte[] q = new byte[cols];
                    float[] d = new float[cols / 32];
                    GgmlMath.quantizeQ8_0(x, r * cols, cols, q, 0, d, 0);
                    for (int k = 0; k < cols; k++) out[r * cols + k] = q[k] * d[k / 32];
                }
                default -> System.arraycopy(x, r * cols, out, r * cols, cols);
            }
        }
        return out;
    }

    /** {@code x} ({@code rows × cols}) in a backend matrix. */
    private static Matrix activations(CpuBackend backend, float[] x, int rows, int cols) {
        Matrix m = backend.matrix(rows, cols);
        backend.write(m, x);
        return m;
    }

    /** The backend's matmul of {@code x} with weight {@code w} (and {@code bias}, if not null), read back. */
    private static float[] multiply(CpuBackend backend, Tensor w, Tensor bias, Matrix x) {
        dev.vlm4j.kernels.Weight weight = backend.weight(w);
        Matrix out = backend.matrix(x.rows(), weight.rows());
        backend.matmul(weight, bias == null ? null : backend.weight(bias), x, out);
        return backend.read(out);
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /**
     * Q4_0 decode finishes the rows at the end of a tensor lane by lane (a 64-byte load there would leave it); those
     * rows must come out bit for bit as when another row follows them and the vector loop runs to the end.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {32, 64, 96, 288})
    void q4_0RowsAtTheEndOfATensorMatchTheVectorLoopExactly(int cols) {
        SplittableRandom rnd = new SplittableRandom(cols);
        int outDim = 5;
        float[] w = gaussian(rnd, (outDim + 1) * cols);
        float[] x = gaussian(rnd, 2 * cols);
        Tensor last = new Tensor("w", GgmlType.Q4_0, Shape.of(cols, outDim), TensorCodecs.quantize(GgmlType.Q4_0, w, 0, outDim * cols));
        Tensor followed = new Tensor("w", GgmlType.Q4_0, Shape.of(cols, outDim + 1), TensorCodecs.quantize(GgmlType.Q4_0, w, 0, w.length));
        try (CpuBackend backend = new CpuBackend(1)) {
            for (int rows = 1; rows <= 2; rows++) {
                Matrix xm = activations(backend, java.util.Arrays.copyOf(x, rows * cols), rows, cols);
                float[] got = multiply(backend, last, null, xm);
                float[] expected = multiply(backend, followed, null, xm);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < outDim; j++) {
                        assertEquals(Float.floatToRawIntBits(expected[r * (outDim + 1) + j]), Float.floatToRawIntBits(got[r * outDim + j]),
                                cols + " columns, activation row " + r + ", weight row " + j + ": exactly as with a row after it");
                    }
                }
            }
        }
    }

    /**
     * Q4_0 decode with 512-bit vectors sums sixteen rows' lanes at once and any rows left over two by two. For every
     * decode path a row must come out bit for bit as when it is the only row of its weight, so that results do not
     * depend on how the threads split the rows. 53 rows: three blocks of 16 and a tail of 5 (its last row paired with
     * itself); 80 columns: F16 rows with a scalar tail (summed one by one); 96: Q8_0 and Q4_0 rows with an odd last
     * block.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_0"})
    void decodeRowsInBlocksEqualSingleRowsExactly(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        int outDim = 53;
        for (int cols : new int[]{64, type == GgmlType.F16 ? 80 : 96, 768}) {
            float[] w = gaussian(rnd, outDim * cols);
            float[] bias = gaussian(rnd, outDim);
            MemorySegment quantised = TensorCodecs.quantize(type, w, 0, w.length);
            long rowBytes = quantised.byteSize() / outDim;
            Tensor whole = new Tensor("w", type, Shape.of(cols, outDim), quantised);
            try (CpuBackend backend = new CpuBackend(1)) {
                for (int rows = 1; rows <= 2; rows++) {
                    Matrix xm = activations(backend, gaussian(rnd, rows * cols), rows, cols);
                    float[] got = multiply(backend, whole, f32("b", bias, 0, outDim), xm);
                    for (int j = 0; j < outDim; j++) {
                        Tensor alone = new Tensor("w", type, Shape.of(cols, 1), quantised.asSlice(j * rowBytes, rowBytes));
                        float[] expected = multiply(backend, alone, f32("b", bias, j, 1), xm);
                        for (int r = 0; r < rows; r++) {
                            assertEquals(Float.floatToRawIntBits(expected[r]), Float.floatToRawIntBits(got[r * outDim + j]),
                                    cols + " columns, activation row " + r + ", weight row " + j + ": exactly as the row alone");
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code matmuls} (several weights on one input, prepared once and run as one job) gives each output exactly what
     * {@code matmul} gives alone: every type, decode (1 and 2 rows) and batches, biases on some weights, outputs that
     * are views into larger matrices (as K and V are cache rows), two threads (so the job's split falls inside the
     * first weight's rows), and weights of different types in one call.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void matmulsGiveWhatEachMatmulGivesAlone(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(31 + type.ordinal());
        int cols = 96;
        int[] outDims = {70, 33, 33};
        GgmlType[][] typeSets = {{type, type, type}, {type, GgmlType.Q8_0, GgmlType.F16}};
        try (CpuBackend backend = new CpuBackend(2)) {
            for (GgmlType[] types : typeSets) {
                dev.vlm4j.kernels.Weight[] ws = new dev.vlm4j.kernels.Weight[3];
                dev.vlm4j.kernels.Weight[] biases = new dev.vlm4j.kernels.Weight[3];
                for (int i = 0; i < 3; i++) {
                    float[] w = gaussian(rnd, outDims[i] * cols);
                    ws[i] = backend.weight(new Tensor("w" + i, types[i], Shape.of(cols, outDims[i]),
                            TensorCodecs.quantize(types[i], w, 0, w.length)));
                    biases[i] = i == 1 ? null : backend.weight(f32("b" + i, gaussian(rnd, outDims[i]), 0, outDims[i]));
                }
                for (int rows : new int[]{1, 2, 5}) {
                    Matrix x = activations(backend, gaussian(rnd, rows * cols), rows, cols);
                    Matrix[] outs = new Matrix[3];
                    for (int i = 0; i < 3; i++) {
                        // rows 3.. of a larger matrix, like a KV cache view
                        outs[i] = backend.matrix(rows + 4, outDims[i]).rows(3, rows);
                    }
                    backend.matmuls(ws, biases, x, outs);
                    for (int i = 0; i < 3; i++) {
                        Matrix alone = backend.matrix(rows, outDims[i]);
                        backend.matmul(ws[i], biases[i], x, alone);
                        float[] expected = backend.read(alone);
                        float[] got = backend.read(outs[i]);
                        for (int k = 0; k < expected.length; k++) {
                            assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(got[k]),
                                    java.util.Arrays.toString(types) + ", " + rows + " rows, weight " + i + ", value " + k);
                        }
                    }
                }
            }
            Matrix x = activations(backend, gaussian(rnd, cols), 1, cols);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> backend.matmuls(
                    new dev.vlm4j.kernels.Weight[2], new dev.vlm4j.kernels.Weight[2], x, new Matrix[1]), "one output for two weights");
        }
    }

    private static Tensor f32(String name, float[] values, int from, int count) {
        return new Tensor(name, GgmlType.F32, Shape.of(count), TensorCodecs.quantize(GgmlType.F32, values, from, count));
    }

    /**
     * Every finite fp16 Q4_0 block scale, subnormals and negative ones included, goes through the decode kernel
     * exactly: row {@code j} holds two blocks whose only non-zero weight is a 1 (nibble 9) at element 0, with scales
     * {@code h_j} and {@code h_(n-1-j)}; against activations of all ones (int8 127, scale fp16(1/127)) the row is
     * {@code 127 * (d_A * d_x) + 127 * (d_B * d_x)} in float, with no tolerance (so either scale lane converted
     * wrongly, or put in the wrong block, fails). The last rows of the tensor take the scalar path.
     */
    @org.junit.jupiter.api.Test
    void q4_0DecodeConvertsEveryFp16ScaleExactly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(VectorMatmul.Q4_0_PAIRS, "the pair kernel runs with 512-bit vectors only");
        int rows = 63488; // the finite fp16 values: exponent field below 31
        short[] halves = new short[rows];
        int count = 0;
        for (int h = 0; h < 65536; h++) {
            if (((h >> 10) & 31) != 31) halves[count++] = (short) h;
        }
        assertEquals(rows, count, "finite fp16 values");
        MemorySegment data = MemorySegment.ofArray(new byte[rows * 2 * 18]);
        for (int j = 0; j < rows; j++) {
            for (int b = 0; b < 2; b++) {
                long block = (2L * j + b) * 18;
                data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), block,
                        halves[b == 0 ? j : rows - 1 - j]);
                for (int i = 0; i < 16; i++) data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 2 + i, (byte) 0x88);
                data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 2, (byte) 0x89); // element 0: 9 - 8 = 1
            }
        }
        float activationScale = Float.float16ToFloat(Float.floatToFloat16(1f / 127));
        try (CpuBackend backend = new CpuBackend(2)) {
            float[] ones = new float[64];
            java.util.Arrays.fill(ones, 1f);
            float[] got = multiply(backend, new Tensor("w", GgmlType.Q4_0, Shape.of(64, rows), data), null,
                    activations(backend, ones, 1, 64));
            for (int j = 0; j < rows; j++) {
                float expected = 127f * (Float.float16ToFloat(halves[j]) * activationScale)
                        + 127f * (Float.float16ToFloat(halves[rows - 1 - j]) * activationScale);
                assertEquals(expected, got[j], 0f, "row " + j + ", fp16 scales 0x" + Integer.toHexString(halves[j] & 0xffff)
                        + " and 0x" + Integer.toHexString(halves[rows - 1 - j] & 0xffff));
            }
        }
    }

    /** Every finite fp16 value, in the low or the high half of an int lane, converts exactly as Float.float16ToFloat. */
    @org.junit.jupiter.api.Test
    void fp16LanesConvertExactlyInEitherHalf() {
        var species = VectorMatmul.I; // the shape the kernel uses
        int lanes = species.length();
        int[] pairs = new int[lanes];
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] low = new float[lanes];
        float[] high = new float[lanes];
        for (int start = 0; start < 65536; start += lanes) {
            for (boolean inHigh : new boolean[] {false, true}) {
                for (int i = 0; i < lanes; i++) {
                    int h = (start + i) & 0xffff;
                    int other = random.nextInt(0x10000); // the neighbouring half must not leak in
                    pairs[i] = inHigh ? (h << 16) | other : (other << 16) | h;
                }
                jdk.incubator.vector.IntVector v = jdk.incubator.vector.IntVector.fromArray(species, pairs, 0);
                float[] got = inHigh ? high : low;
                (inHigh ? VectorMatmul.highHalfToFloat(v) : VectorMatmul.lowHalfToFloat(v)).intoArray(got, 0);
                for (int i = 0; i < lanes; i++) {
                    int h = (start + i) & 0xffff;
                    if (((h >> 10) & 31) == 31) {
                        continue; // inf/NaN: weights never hold them
                    }
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(got[i]),
                            "fp16 0x" + Integer.toHexString(h) + (inHigh ? " in the high half" : " in the low half"));
                }
            }
        }
    }
}
