package dev.vlm4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.kernels.RopeStyle;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import dev.vlm4j.tensor.UnsupportedTensorTypeException;
import dev.vlm4j.testing.TestBackends;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every OpenCL kernel against {@link CpuBackend} (the ggml-faithful reference) on random inputs of odd shapes:
 * rows that are not a multiple of the work-group or of the matmul row tile, widths that are not a multiple of 4,
 * views at row offsets. Skipped, saying so, when this machine has no OpenCL device.
 *
 * <p>Tolerances: results that involve the same float operations in the same order must be equal (getRows, GELU
 * tables, element-wise add/mul/copy); everything that sums runs in another order on the device, so it is compared
 * with {@code |ocl - cpu| <= 1e-5 * (1 + max|cpu|)} unless a test says otherwise.
 */
class OpenClKernelsTest {
    private static final double REL = 1e-5;
    private static Backend ocl;
    private static Backend cpu;
    private final SplittableRandom random = new SplittableRandom(20261122);

    @BeforeAll
    static void start() {
        ocl = TestBackends.openCl();
        cpu = new CpuBackend(2);
        System.out.println("OpenCL kernels test on " + ocl.name());
    }

    @AfterAll
    static void stop() {
        if (ocl != null) {
            ocl.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    // ---- helpers ----

    private float[] randoms(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return v;
    }

    /** The same values as a matrix on each backend. */
    private record Pair(Matrix cpu, Matrix ocl) {
        Pair rows(int from, int count) {
            return new Pair(cpu.rows(from, count), ocl.rows(from, count));
        }
    }

    private static Pair pair(int rows, int cols, float[] values) {
        Pair p = new Pair(cpu.matrix(rows, cols), ocl.matrix(rows, cols));
        if (values != null) {
            cpu.write(p.cpu, values);
            ocl.write(p.ocl, values);
        }
        return p;
    }

    private Pair randomPair(int rows, int cols, float scale) {
        return pair(rows, cols, randoms(rows * cols, scale));
    }

    private record Weights(Weight cpu, Weight ocl) {}

    private static Weights weights(Tensor t) {
        return new Weights(cpu.weight(t), ocl.weight(t));
    }

    /** A tensor of {@code rows x cols} random values stored as {@code type} (quantised by the reference quantiser). */
    private Tensor tensor(String name, GgmlType type, int rows, int cols, float scale) {
        float[] v = randoms(rows * cols, scale);
        return new Tensor(name, type, Shape.matrix(rows, cols), TensorCodecs.quantize(type, v, 0, v.length));
    }

    private static void assertClose(Pair p, double relative, String what) {
        float[] expected = cpu.read(p.cpu);
        float[] actual = ocl.read(p.ocl);
        assertClose(expected, actual, relative, what);
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (float e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double tolerance = relative * (1 + max);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        System.out.printf("%s: max |opencl - cpu| = %.3g (max |cpu| %.3g)%n", what, worst, max);
        double w = worst;
        int a = at;
        assertTrue(worst <= tolerance, () -> what + ": max |opencl - cpu| = " + w + " at " + a + " (cpu " + expected[a] + ", opencl "
                + actual[a] + ") > tolerance " + tolerance + " = " + relative + " * (1 + max|cpu| " + (float) (tolerance / relative - 1) + ")");
    }

    private static void assertSame(Pair p, String what) {
        assertArrayEquals(cpu.read(p.cpu), ocl.read(p.ocl), what + ": expected bit-identical results (tolerance 0)");
    }

    // ---- matmul ----

    @ParameterizedTest(name = "{0} weights, {1} rows x {2} inputs -> {3} outputs, bias {4}")
    @CsvSource({
        "F32, 1, 75, 37, false", "F32, 9, 75, 37, true", "F32, 17, 130, 5, false",
        "F16, 1, 75, 37, true", "F16, 13, 75, 37, false", "F16, 3, 64, 129, true",
        "BF16, 1, 75, 37, false", "BF16, 11, 66, 41, true",
        "Q8_0, 1, 160, 37, false", "Q8_0, 9, 160, 37, true", "Q8_0, 23, 96, 67, false",
        "Q4_0, 1, 160, 37, true", "Q4_0, 9, 160, 37, false", "Q4_0, 17, 224, 19, true"})
    void matmulMatchesCpu(GgmlType type, int n, int in, int out, boolean withBias) {
        Weights w = weights(tensor("w", type, out, in, 0.5f));
        Weights b = withBias ? weights(tensor("b", GgmlType.F32, 1, out, 1f)) : new Weights(null, null);
        // Input and output are views at row offsets inside bigger matrices, as the decoder's K/V cache rows are.
        Pair x = randomPair(n + 3, in, 1f).rows(2, n);
        Pair y = pair(n + 5, out, null).rows(4, n);
        cpu.matmul(w.cpu, b.cpu, x.cpu, y.cpu);
        ocl.matmul(w.ocl, b.ocl, x.ocl, y.ocl);
        assertClose(y, REL, type + " matmul " + n + "x" + in + " -> " + out);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void quantisedMatmulQuantisesActivationsLikeGgml(GgmlType type) {
        // Values at exact Q8 rounding ties (x * 127/amax = k + 0.5) must round half to even, as ggml's x86 path does:
        // a different rounding moves one integer product and shows as an error of the size of a Q8 step.
        int in = 64;
        float[] x = new float[in];
        for (int i = 0; i < in; i++) {
            x[i] = (i % 32 == 0) ? 127f : (i % 7) + 0.5f - 3;
        }
        Weights w = weights(tensor("w", type, 7, in, 1f));
        Pair xs = pair(1, in, x);
        Pair y = pair(1, 7, null);
        cpu.matmul(w.cpu, xs.cpu, y.cpu);
        ocl.matmul(w.ocl, xs.ocl, y.ocl);
        assertClose(y, 1e-6, type + " matmul at Q8 rounding ties");
    }

    // ---- rows, norms, softmax ----

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void getRowsDequantisesExactly(GgmlType type) {
        Weights table = weights(tensor("table", type, 29, 96, 2f));
        int[] ids = {28, 0, 7, 7, 13};
        Pair out = pair(ids.length + 2, 96, null).rows(1, ids.length);
        cpu.getRows(table.cpu, ids, out.cpu);
        ocl.getRows(table.ocl, ids, out.ocl);
        assertSame(out, type + " getRows");
        assertThrows(IndexOutOfBoundsException.class, () -> ocl.getRows(table.ocl, new int[] {29}, pair(1, 96, null).ocl));
    }

    @ParameterizedTest(name = "{0} rows of {1}")
    @CsvSource({"1, 32", "7, 771", "3, 4096"})
    void rmsNormMatchesCpu(int rows, int cols) {
        Pair x = randomPair(rows, cols, 3f);
        Weights w = weights(tensor("norm", GgmlType.F32, 1, cols, 1f));
        Pair out = pair(rows, cols, null);
        cpu.rmsNorm(x.cpu, w.cpu, 1e-5f, out.cpu);
        ocl.rmsNorm(x.ocl, w.ocl, 1e-5f, out.ocl);
        assertClose(out, 1e-6, "rmsNorm");
        // In place, on a view.
        Pair v = x.rows(1, rows - 1);
        cpu.rmsNorm(v.cpu, w.cpu, 1e-6f, v.cpu);
        ocl.rmsNorm(v.ocl, w.ocl, 1e-6f, v.ocl);
        assertClose(x, 1e-6, "rmsNorm in place");
    }

    @ParameterizedTest(name = "{0} rows of {1}, weight {2}, bias {3}")
    @CsvSource({"1, 32, true, true", "5, 769, true, false", "4, 100, false, true", "2, 65, false, false"})
    void layerNormMatchesCpu(int rows, int cols, boolean withWeight, boolean withBias) {
        Pair x = pair(rows, cols, shifted(randoms(rows * cols, 2f), 5f));
        Weights w = withWeight ? weights(tensor("ln.w", GgmlType.F16, 1, cols, 1f)) : new Weights(null, null);
        Weights b = withBias ? weights(tensor("ln.b", GgmlType.F32, 1, cols, 1f)) : new Weights(null, null);
        Pair out = pair(rows, cols, null);
        cpu.layerNorm(x.cpu, w.cpu, b.cpu, 1e-6f, out.cpu);
        ocl.layerNorm(x.ocl, w.ocl, b.ocl, 1e-6f, out.ocl);
        assertClose(out, 1e-6, "layerNorm");
        cpu.layerNorm(x.cpu, w.cpu, b.cpu, 1e-5f, x.cpu);
        ocl.layerNorm(x.ocl, w.ocl, b.ocl, 1e-5f, x.ocl);
        assertClose(x, 1e-6, "layerNorm in place");
    }

    private static float[] shifted(float[] v, float by) {
        for (int i = 0; i < v.length; i++) {
            v[i] += by;
        }
        return v;
    }

    @ParameterizedTest(name = "{0} rows of {1}")
    @CsvSource({"1, 1", "3, 67", "2, 32000"})
    void softmaxMatchesCpu(int rows, int cols) {
        Pair x = randomPair(rows, cols, 4f);
        Pair out = pair(rows, cols, null);
        cpu.softmax(x.cpu, out.cpu);
        ocl.softmax(x.ocl, out.ocl);
        assertClose(out, 1e-6, "softmax");
        cpu.softmax(x.cpu, x.cpu);
        ocl.softmax(x.ocl, x.ocl);
        assertClose(x, 1e-6, "softmax in place");
    }

    // ---- RoPE and attention ----

    @ParameterizedTest(name = "{0}, {1} of {2} dims, freq factors {3}, from position {4}")
    @CsvSource({"NORMAL, 64, 64, false, 0", "NEOX, 64, 64, false, 5", "NORMAL, 32, 48, true, 1000", "NEOX, 16, 40, true, 3"})
    void ropeMatchesCpu(RopeStyle style, int dims, int headDim, boolean factors, int firstPosition) {
        float[] f = null;
        if (factors) {
            f = new float[dims / 2];
            for (int i = 0; i < f.length; i++) {
                f[i] = 1 + i % 5;
            }
        }
        Rope rope = new Rope(dims, 10000f, style, f);
        Pair x = randomPair(9, 3 * headDim, 1f);
        Pair view = x.rows(2, 6);
        cpu.rope(view.cpu, headDim, rope, firstPosition);
        ocl.rope(view.ocl, headDim, rope, firstPosition);
        assertClose(x, 1e-6, "rope " + style);
    }

    @ParameterizedTest(name = "{0} queries, {1}/{2} heads of {3}, {4} keys, causal {5} from {6}")
    @CsvSource({
        "1, 4, 4, 32, 1, true, 0",
        "1, 6, 2, 40, 150, true, 149",
        "7, 6, 2, 40, 73, true, 66",
        "5, 3, 3, 72, 130, false, 0",
        "13, 2, 1, 256, 13, true, 0"})
    void attentionMatchesCpu(int n, int heads, int kvHeads, int headDim, int kvLength, boolean causal, int firstQuery) {
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim);
        Pair q = randomPair(n, shape.queryWidth(), 1f);
        // A cache longer than kvLength whose extra rows must be ignored.
        Pair k = randomPair(kvLength + 4, shape.kvWidth(), 1f);
        Pair v = randomPair(kvLength + 4, shape.kvWidth(), 1f);
        Pair out = pair(n, shape.queryWidth(), null);
        cpu.attention(q.cpu, k.cpu, v.cpu, out.cpu, shape, kvLength, causal, firstQuery);
        ocl.attention(q.ocl, k.ocl, v.ocl, out.ocl, shape, kvLength, causal, firstQuery);
        assertClose(out, REL, "attention");
    }

    @Test
    void attentionRefusesHeadsLargerThanItsKernel() {
        AttentionShape shape = new AttentionShape(1, 1, OpenClBackend.HEAD_DIM_MAX + 32);
        Matrix q = ocl.matrix(1, shape.queryWidth());
        assertThrows(UnsupportedOperationException.class, () -> ocl.attention(q, q, q, ocl.matrix(1, shape.queryWidth()), shape, 1, true, 0));
    }

    // ---- element-wise ----

    @ParameterizedTest(name = "{0}")
    @EnumSource(Activation.class)
    void activationMatchesCpu(Activation f) {
        float[] v = randoms(3 * 333, 4f);
        v[0] = -10f;
        v[1] = 10f;
        v[2] = -12f;
        v[3] = 11f;
        v[4] = 0f;
        v[5] = 6.1e-5f;    // around the smallest normal fp16
        v[6] = -3e-8f;     // an fp16 subnormal
        Pair x = pair(3, 333, v);
        Pair out = pair(3, 333, null);
        cpu.activation(f, x.cpu, out.cpu);
        ocl.activation(f, x.ocl, out.ocl);
        if (f == Activation.GELU || f == Activation.GELU_QUICK) {
            assertSame(out, f + " (fp16 table)");
        } else {
            assertClose(out, 1e-6, f.toString());
        }
        cpu.activation(f, x.cpu, x.cpu);
        ocl.activation(f, x.ocl, x.ocl);
        assertClose(x, 1e-6, f + " in place");
    }

    @Test
    void elementwiseOpsMatchCpu() {
        Pair a = randomPair(5, 77, 2f);
        Pair b = randomPair(5, 77, 2f);
        Pair out = pair(5, 77, null);
        cpu.swiglu(a.cpu, b.cpu, out.cpu);
        ocl.swiglu(a.ocl, b.ocl, out.ocl);
        assertClose(out, 1e-6, "swiglu");
        cpu.add(a.rows(1, 3).cpu, b.rows(2, 3).cpu, out.rows(0, 3).cpu);
        ocl.add(a.rows(1, 3).ocl, b.rows(2, 3).ocl, out.rows(0, 3).ocl);
        assertSame(out.rows(0, 3), "add of views");
        cpu.mul(a.cpu, b.cpu, a.cpu);
        ocl.mul(a.ocl, b.ocl, a.ocl);
        assertSame(a, "mul in place");
        cpu.swiglu(a.cpu, b.cpu, a.cpu);
        ocl.swiglu(a.ocl, b.ocl, a.ocl);
        assertClose(a, 1e-6, "swiglu in place");
    }

    @Test
    void releaseFreesTheBufferAtOnceAndLeavesOthersIntact() {
        OpenClBackend backend = (OpenClBackend) ocl;
        Matrix kept = ocl.matrix(2, 8);
        ocl.write(kept, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        int before = backend.liveBuffers();
        Matrix m = ocl.matrix(3, 8);
        ocl.add(kept.rows(0, 1), kept.rows(1, 1), m.rows(2, 1)); // queued work on it, then released
        assertEquals(before + 1, backend.liveBuffers());
        ocl.release(m.rows(2, 1)); // through a view: the whole matrix
        assertEquals(before, backend.liveBuffers(), "released at once, not at the next GC");
        ocl.release(m); // twice: harmless
        assertEquals(before, backend.liveBuffers());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, ocl.read(kept));
    }

    @Test
    void copyHandlesViewsAndOverlap() {
        Pair a = randomPair(6, 33, 1f);
        Pair b = pair(4, 33, null);
        cpu.copy(a.rows(2, 3).cpu, b.rows(1, 3).cpu);
        ocl.copy(a.rows(2, 3).ocl, b.rows(1, 3).ocl);
        assertSame(b, "copy between views");
        cpu.copy(a.rows(0, 4).cpu, a.rows(1, 4).cpu);
        ocl.copy(a.rows(0, 4).ocl, a.rows(1, 4).ocl);
        assertSame(a, "overlapping copy (as memmove)");
    }

    @Test
    void argmaxFindsTheFirstLargest() {
        float[] v = randoms(3 * 32000, 1f);
        v[32000 + 31999] = 9f;
        v[2 * 32000 + 17] = 7f;
        v[2 * 32000 + 30001] = 7f;
        Pair x = pair(3, 32000, v);
        for (int r = 0; r < 3; r++) {
            assertEquals(cpu.argmax(x.cpu, r), ocl.argmax(x.ocl, r), "argmax of row " + r);
        }
        assertEquals(31999, ocl.argmax(x.ocl, 1), "the last column");
        assertEquals(17, ocl.argmax(x.ocl, 2), "ties go to the first index");
        assertEquals(17, ocl.argmax(x.rows(2, 1).ocl, 0), "row 0 of a view");
        Pair ones = pair(1, 100, new float[100]);
        assertEquals(0, ocl.argmax(ones.ocl, 0), "all equal: index 0");
    }

    // ---- memory ----

    @Test
    void writeAndReadRowSpansAndNewMatricesAreZero() {
        Matrix m = ocl.matrix(4, 10);
        assertArrayEquals(new float[40], ocl.read(m), "a new matrix is zeroed");
        float[] src = randoms(25, 1f);
        ocl.write(m, 1, src, 3, 17);
        float[] back = new float[17];
        ocl.read(m, 1, back, 0, 17);
        assertArrayEquals(java.util.Arrays.copyOfRange(src, 3, 20), back, "write then read of a span across rows");
        float[] view = ocl.read(m.rows(2, 2));
        assertEquals(src[3 + 10], view[0], "a view reads its own rows");
        assertThrows(IndexOutOfBoundsException.class, () -> ocl.write(m, 3, src, 0, 11));
        assertThrows(IndexOutOfBoundsException.class, () -> m.rows(3, 2));
    }

    @Test
    void foreignMatricesAndUnsupportedWeightTypesAreRefused() {
        Matrix mine = ocl.matrix(1, 32);
        Matrix theirs = cpu.matrix(1, 32);
        assertThrows(IllegalArgumentException.class, () -> ocl.add(mine, theirs, mine));
        Tensor q41 = new Tensor("blk.0.ffn_up.weight", GgmlType.Q4_1, Shape.matrix(2, 32),
                java.lang.foreign.MemorySegment.ofArray(new byte[2 * 20]));
        UnsupportedTensorTypeException e = assertThrows(UnsupportedTensorTypeException.class, () -> ocl.weight(q41));
        assertTrue(e.getMessage().contains("blk.0.ffn_up.weight") && e.getMessage().contains("Q4_1"), e.getMessage());
    }
}
