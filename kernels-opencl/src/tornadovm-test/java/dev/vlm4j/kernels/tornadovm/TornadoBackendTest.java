package dev.vlm4j.kernels.tornadovm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.kernels.DeviceInfo;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.kernels.RopeStyle;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel of the TornadoVM backend against the CPU backend (the ggml-faithful reference) on the same inputs,
 * on TornadoVM's default device (PoCL's CPU device here). One backend serves the whole class, so each kernel is
 * compiled once. The kernels follow the CPU's arithmetic operation for operation, so most results must be
 * bit-identical; where an OpenCL math function (exp, cos, sin, sqrt in double) may differ from Java's in the last
 * place before rounding to float, the tolerance is a few float ulps, stated in each assertion.
 */
class TornadoBackendTest {
    private static CpuBackend cpu;
    private static Backend tornado;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
        tornado = Backends.create(new BackendOptions(BackendKind.TORNADOVM, 0, null));
        System.out.println("TornadoVM backend: " + tornado.name());
    }

    @AfterAll
    static void stop() {
        if (tornado instanceof TornadoBackend t) {
            System.out.println("TornadoVM " + t.stats());
        }
        tornado.close();
        cpu.close();
    }

    /** The same data on the CPU and on a TornadoVM backend (the shared one unless a test makes its own). */
    private record Pair(Matrix cpu, Matrix tornado, Backend device) {
        float[] cpuValues() {
            return TornadoBackendTest.cpu.read(cpu);
        }

        float[] tornadoValues() {
            return device.read(tornado);
        }
    }

    private static Pair pair(float[] values, int rows, int cols) {
        return pair(tornado, values, rows, cols);
    }

    private static Pair pair(Backend device, float[] values, int rows, int cols) {
        Matrix c = cpu.matrix(rows, cols);
        Matrix t = device.matrix(rows, cols);
        cpu.write(c, values);
        device.write(t, values);
        return new Pair(c, t, device);
    }

    private static Pair random(long seed, int rows, int cols, double scale) {
        return random(tornado, seed, rows, cols, scale);
    }

    private static Pair random(Backend device, long seed, int rows, int cols, double scale) {
        return pair(device, randoms(seed, rows * cols, scale), rows, cols);
    }

    private static float[] randoms(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static Tensor tensor(String name, GgmlType type, float[] values, long... ne) {
        return new Tensor(name, type, Shape.of(ne), TensorCodecs.quantize(type, values, 0, values.length));
    }

    private record WeightPair(Weight cpu, Weight tornado) {}

    private static WeightPair weight(Tensor t) {
        return weight(tornado, t);
    }

    private static WeightPair weight(Backend device, Tensor t) {
        return new WeightPair(cpu.weight(t), device.weight(t));
    }

    /** Asserts that both backends hold the same values in {@code p}, within {@code ulps} float ulps of the CPU's. */
    private static void assertSame(Pair p, int ulps, String what) {
        float[] expected = p.cpuValues();
        float[] actual = p.tornadoValues();
        assertEquals(expected.length, actual.length, what + ": length");
        int worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            int d = ulpDistance(expected[i], actual[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        int w = worst;
        int i = at;
        System.out.printf("%s: max %d ulps from the CPU over %d values%n", what, worst, expected.length);
        assertTrue(worst <= ulps, () -> what + ": " + w + " ulps apart at " + i + " (cpu " + expected[i] + ", tornadovm "
                + actual[i] + "), tolerance " + ulps + " ulps");
    }

    /**
     * Asserts both backends agree within {@code relative} times the largest |value| of the CPU's result: for kernels
     * that sum many products, where the CPU's vector lanes and the device add in different orders.
     */
    private static void assertClose(Pair p, double relative, String what) {
        float[] expected = p.cpuValues();
        float[] actual = p.tornadoValues();
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        double allowed = relative * Math.max(scale, 1e-30);
        for (int i = 0; i < expected.length; i++) {
            int k = i;
            assertTrue(Math.abs(expected[i] - actual[i]) <= allowed, () -> what + ": at " + k + " cpu " + expected[k]
                    + ", tornadovm " + actual[k] + ", allowed " + allowed + " (" + relative + " of max |cpu|)");
        }
    }

    private static int ulpDistance(float a, float b) {
        if (Float.floatToIntBits(a) == Float.floatToIntBits(b) || a == b) {
            return 0;
        }
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Integer.MAX_VALUE;
        }
        int ia = Float.floatToIntBits(a);
        int ib = Float.floatToIntBits(b);
        ia = ia < 0 ? Integer.MIN_VALUE - ia : ia;
        ib = ib < 0 ? Integer.MIN_VALUE - ib : ib;
        long d = Math.abs((long) ia - ib);
        return d > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) d;
    }

    @ParameterizedTest(name = "{0} weights, {1} rows, bias {2}")
    @CsvSource({"F32, 1, false", "F32, 5, true", "F16, 1, true", "F16, 5, false", "Q8_0, 1, false", "Q8_0, 5, true",
        "Q4_0, 1, true", "Q4_0, 5, false"})
    void matmulMatchesTheCpuBitForBit(GgmlType type, int rows, boolean withBias) {
        int in = 96;
        int out = 40;
        WeightPair w = weight(tensor("w", type, randoms(11, out * in, 0.5), in, out));
        WeightPair b = withBias ? weight(tensor("b", GgmlType.F32, randoms(12, out, 1), out)) : new WeightPair(null, null);
        Pair x = random(13, rows, in, 2);
        Pair y = pair(new float[rows * out], rows, out);
        cpu.matmul(w.cpu(), b.cpu(), x.cpu(), y.cpu());
        tornado.matmul(w.tornado(), b.tornado(), x.tornado(), y.tornado());
        assertClose(y, 1e-5, type + " matmul (summation order differs from the CPU's vector lanes)");
    }

    /**
     * The four-rows-per-item kernels (F32/F16 weights, n >= 4) sum exactly as the one-row kernels: every row bit
     * for bit (Q8_0/Q4_0 have one kernel for all n: checked the same way).
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_0"})
    void tiledMatmulEqualsOneRowAtATimeBitForBit(GgmlType type) {
        int in = 64;
        int out = 24;
        int rows = 7; // a full tile and a partial one
        Weight w = tornado.weight(tensor("tiled", type, randoms(16, out * in, 0.5), in, out));
        Weight b = tornado.weight(tensor("tiled.b", GgmlType.F32, randoms(17, out, 1), out));
        float[] xs = randoms(18, rows * in, 2);
        Matrix x = tornado.matrix(rows, in);
        tornado.write(x, xs);
        Matrix y = tornado.matrix(rows, out);
        tornado.matmul(w, b, x, y);
        float[] tiled = tornado.read(y);
        Matrix one = tornado.matrix(1, out);
        for (int r = 0; r < rows; r++) {
            tornado.matmul(w, b, x.row(r), one);
            float[] expected = tornado.read(one);
            for (int j = 0; j < out; j++) {
                assertEquals(Float.floatToIntBits(expected[j]), Float.floatToIntBits(tiled[r * out + j]),
                        type + " row " + r + " output " + j + ": " + expected[j] + " vs " + tiled[r * out + j]);
            }
        }
    }

    /**
     * The GPU matmuls (a work group of {@link TornadoKernels#MM_LANES} lanes per output, tree-summed) on this
     * device, against the CPU: 1 and 5 rows, with and without bias, every weight type; within 1e-5 of the largest
     * output (summation order differs), as the other matmuls. Also as a stage graph, as a decoder layer would run.
     */
    @Test
    void workGroupMatmulsMatchTheCpu() {
        try (TornadoBackend groups = TornadoDevices.load().create(0, 1, true)) {
            int in = 96;
            int out = 40;
            for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0)) {
                WeightPair w = weight(groups, tensor("group." + type, type, randoms(19, out * in, 0.5), in, out));
                WeightPair b = weight(groups, tensor("group.b", GgmlType.F32, randoms(20, out, 1), out));
                for (int rows : new int[] {1, 5}) {
                    Pair x = random(groups, 21, rows, in, 2);
                    Pair y = pair(groups, new float[rows * out], rows, out);
                    cpu.matmul(w.cpu(), b.cpu(), x.cpu(), y.cpu());
                    groups.matmul(w.tornado(), b.tornado(), x.tornado(), y.tornado());
                    assertClose(y, 1e-5, type + " work-group matmul, " + rows + " rows");
                    for (int pass = 0; pass < 2; pass++) { // kernel by kernel, then (after the read) as a stage graph
                        Pair z = pair(groups, new float[rows * out], rows, out);
                        cpu.matmul(w.cpu(), b.cpu(), x.cpu(), z.cpu());
                        groups.stage("group-matmul", () -> groups.matmul(w.tornado(), b.tornado(), x.tornado(), z.tornado()));
                        assertClose(z, 1e-5, type + " work-group matmul in a stage, pass " + pass);
                    }
                }
            }
            assertTrue(groups.stats().stageExecutions() > 0, () -> "no stage graph ran: " + groups.stats());
        }
    }

    @Test
    void matmulIntoAViewOfItsOwnInput() {
        WeightPair w = weight(tensor("square", GgmlType.F32, randoms(14, 32 * 32, 0.3), 32, 32));
        Pair x = random(15, 3, 32, 1);
        cpu.matmul(w.cpu(), x.cpu(), x.cpu());
        tornado.matmul(w.tornado(), x.tornado(), x.tornado());
        assertClose(x, 1e-5, "in-place F32 matmul");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void getRowsDequantisesAsTheCpu(GgmlType type) {
        WeightPair table = weight(tensor("table", type, randoms(21, 10 * 64, 1), 64, 10));
        int[] ids = {3, 0, 9, 3};
        Pair out = pair(new float[ids.length * 64], ids.length, 64);
        cpu.getRows(table.cpu(), ids, out.cpu());
        tornado.getRows(table.tornado(), ids, out.tornado());
        assertSame(out, 0, type + " getRows");
    }

    @Test
    void rmsNormMatchesTheCpu() {
        WeightPair w = weight(tensor("norm", GgmlType.F32, randoms(31, 200, 1), 200));
        Pair x = random(32, 3, 200, 3);
        Pair out = pair(new float[600], 3, 200);
        cpu.rmsNorm(x.cpu(), w.cpu(), 1e-5f, out.cpu());
        tornado.rmsNorm(x.tornado(), w.tornado(), 1e-5f, out.tornado());
        assertSame(out, 0, "rmsNorm (double sums in another order, so the mean may differ by an ulp: none seen)");
    }

    @Test
    void layerNormWithAndWithoutAffineMatchesTheCpu() {
        WeightPair w = weight(tensor("ln.w", GgmlType.F16, randoms(41, 48, 1), 48));
        WeightPair b = weight(tensor("ln.b", GgmlType.F32, randoms(42, 48, 1), 48));
        Pair x = random(43, 4, 48, 2);
        Pair out = pair(new float[4 * 48], 4, 48);
        cpu.layerNorm(x.cpu(), w.cpu(), b.cpu(), 1e-6f, out.cpu());
        tornado.layerNorm(x.tornado(), w.tornado(), b.tornado(), 1e-6f, out.tornado());
        assertSame(out, 0, "layerNorm with weight and bias");
        cpu.layerNorm(x.cpu(), null, null, 1e-6f, out.cpu());
        tornado.layerNorm(x.tornado(), null, null, 1e-6f, out.tornado());
        assertSame(out, 0, "layerNorm without weight and bias");
    }

    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void ropeMatchesTheCpu(RopeStyle style) {
        float[] factors = new float[8];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1 + i * 0.5f;
        }
        for (Rope rope : List.of(new Rope(16, 10000f, style), new Rope(16, 500000f, style, factors), new Rope(8, 10000f, style))) {
            Pair x = random(51, 3, 4 * 16, 1);
            cpu.rope(x.cpu(), 16, rope, 37);
            tornado.rope(x.tornado(), 16, rope, 37);
            assertSame(x, 2, style + " rope " + rope.dims() + " dims (cos/sin in double on the device: a few ulps allowed)");
        }
    }

    @ParameterizedTest(name = "causal {0}, {1} query rows, {2} heads / {3} KV heads, head dim {4}")
    @CsvSource({"true, 1, 4, 2, 8", "true, 5, 4, 2, 8", "false, 6, 4, 4, 12", "true, 3, 2, 1, 80"})
    void attentionWithGqaMatchesTheCpu(boolean causal, int n, int heads, int kvHeads, int headDim) {
        int kvLength = 70; // more than one chunk of GROUP keys
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim);
        Pair q = random(61, n, shape.queryWidth(), 1);
        Pair k = random(62, 80, shape.kvWidth(), 1);
        Pair v = random(63, 80, shape.kvWidth(), 1);
        Pair out = pair(new float[n * shape.queryWidth()], n, shape.queryWidth());
        int first = causal ? kvLength - n : 0;
        cpu.attention(q.cpu(), k.cpu(), v.cpu(), out.cpu(), shape, kvLength, causal, first);
        tornado.attention(q.tornado(), k.tornado(), v.tornado(), out.tornado(), shape, kvLength, causal, first);
        assertClose(out, 1e-5, "attention (exp and summation order differ from the CPU's)");
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationsMatchTheCpu(Activation f) {
        float[] values = randoms(71, 3 * 100, 4);
        values[0] = -12f; // beyond GELU's cut-offs
        values[1] = 11f;
        Pair x = pair(values, 3, 100);
        Pair out = pair(new float[300], 3, 100);
        cpu.activation(f, x.cpu(), out.cpu());
        tornado.activation(f, x.tornado(), out.tornado());
        assertSame(out, f == Activation.GELU_ERF || f == Activation.SILU ? 2 : 0, f + " (table lookups exact; exp in double a few ulps)");
    }

    @Test
    void elementwiseKernelsMatchTheCpu() {
        Pair a = random(81, 7, 33, 2);
        Pair b = random(82, 7, 33, 2);
        Pair out = pair(new float[7 * 33], 7, 33);
        cpu.swiglu(a.cpu(), b.cpu(), out.cpu());
        tornado.swiglu(a.tornado(), b.tornado(), out.tornado());
        assertSame(out, 2, "swiglu (exp in double: a few ulps allowed)");
        cpu.add(a.cpu(), b.cpu(), out.cpu());
        tornado.add(a.tornado(), b.tornado(), out.tornado());
        assertSame(out, 0, "add");
        cpu.mul(a.cpu(), out.cpu(), out.cpu());
        tornado.mul(a.tornado(), out.tornado(), out.tornado());
        assertSame(out, 0, "mul in place");
        cpu.softmax(a.cpu(), out.cpu());
        tornado.softmax(a.tornado(), out.tornado());
        assertSame(out, 2, "softmax (exp in double: a few ulps allowed)");
    }

    @Test
    void copyBetweenViewsIncludingOverlappingOnes() {
        Pair m = random(91, 10, 16, 1);
        cpu.copy(m.cpu().rows(0, 4), m.cpu().rows(5, 4));
        tornado.copy(m.tornado().rows(0, 4), m.tornado().rows(5, 4));
        assertSame(m, 0, "copy between disjoint views");
        cpu.copy(m.cpu().rows(0, 6), m.cpu().rows(2, 6));
        tornado.copy(m.tornado().rows(0, 6), m.tornado().rows(2, 6));
        assertSame(m, 0, "copy between overlapping views");
    }

    /**
     * A decoder-like layer (norm, Q8_0 and F16 matmuls, RoPE with frequency factors, causal GQA attention over a
     * cache, SwiGLU, residual adds, argmax) as a stage, at six positions, on a backend that compiles a stage shape
     * after two kernel-by-kernel runs: positions 0 and 1 run kernel by kernel; the host read after position 1
     * rebuilds the plan with a graph for the shape; position 2 compiles it and 3..5 replay it with new offsets and
     * positions. Every step must equal the CPU backend, as the kernel-by-kernel tests require (same tolerances).
     */
    @Test
    void aStageRunsAsOneTaskGraphWithTheKernelByKernelResults() {
        try (TornadoBackend staged = TornadoDevices.load().create(0, 2, false)) {
            stageTest(staged);
        }
    }

    private static void stageTest(TornadoBackend staged) {
        int width = 64;
        int ffn = 96;
        AttentionShape shape = new AttentionShape(4, 2, 16);
        float[] factors = new float[8];
        java.util.Arrays.fill(factors, 1.5f);
        Rope rope = new Rope(16, 10000f, RopeStyle.NEOX, factors);
        WeightPair norm = weight(staged, tensor("stage.norm", GgmlType.F32, randoms(201, width, 1), width));
        WeightPair wq = weight(staged, tensor("stage.wq", GgmlType.Q8_0, randoms(202, width * width, 0.2), width, width));
        WeightPair wk = weight(staged, tensor("stage.wk", GgmlType.Q8_0, randoms(203, shape.kvWidth() * width, 0.2), width, shape.kvWidth()));
        WeightPair wv = weight(staged, tensor("stage.wv", GgmlType.F16, randoms(204, shape.kvWidth() * width, 0.2), width, shape.kvWidth()));
        WeightPair gate = weight(staged, tensor("stage.gate", GgmlType.Q4_0, randoms(205, ffn * width, 0.2), width, ffn));
        WeightPair down = weight(staged, tensor("stage.down", GgmlType.F32, randoms(206, width * ffn, 0.2), ffn, width));
        Pair x = random(staged, 207, 1, width, 1);
        Pair h = pair(staged, new float[width], 1, width);
        Pair q = pair(staged, new float[width], 1, width);
        Pair kCache = pair(staged, new float[8 * shape.kvWidth()], 8, shape.kvWidth());
        Pair vCache = pair(staged, new float[8 * shape.kvWidth()], 8, shape.kvWidth());
        Pair att = pair(staged, new float[width], 1, width);
        Pair g = pair(staged, new float[ffn], 1, ffn);
        for (int pos = 0; pos < 6; pos++) {
            int at = pos;
            int expectedId = layer(cpu, at, x.cpu(), h.cpu(), q.cpu(), kCache.cpu(), vCache.cpu(), att.cpu(), g.cpu(),
                    norm.cpu(), wq.cpu(), wk.cpu(), wv.cpu(), gate.cpu(), down.cpu(), shape, rope);
            int id = staged.stage("test-layer", () -> layer(staged, at, x.tornado(), h.tornado(), q.tornado(), kCache.tornado(),
                    vCache.tornado(), att.tornado(), g.tornado(), norm.tornado(), wq.tornado(), wk.tornado(), wv.tornado(),
                    gate.tornado(), down.tornado(), shape, rope));
            assertEquals(expectedId, id, "argmax at position " + pos);
            assertClose(kCache, 1e-5, "K cache after position " + pos);
            assertClose(x, 1e-4, "residual stream after position " + pos + " (matmul and attention sums in another order)");
        }
        TornadoStats stats = staged.stats();
        assertEquals(1, stats.stageGraphsCompiled(), () -> "one stage graph, compiled at position 2: " + stats);
        assertEquals(3, stats.stageExecutions(), () -> "positions 3..5 each run the stage graph once: " + stats);
        assertEquals(2, stats.planBuilds(), () -> "the first plan, and the one with the stage graph: " + stats);
    }

    /** One layer of the stage test; the same calls on either backend. */
    private static int layer(Backend b, int pos, Matrix x, Matrix h, Matrix q, Matrix kCache, Matrix vCache, Matrix att, Matrix g,
                             Weight norm, Weight wq, Weight wk, Weight wv, Weight gate, Weight down, AttentionShape shape, Rope rope) {
        b.rmsNorm(x, norm, 1e-5f, h);
        b.matmul(wq, h, q);
        b.matmul(wk, h, kCache.row(pos));
        b.matmul(wv, h, vCache.row(pos));
        b.rope(q, shape.headDim(), rope, pos);
        b.rope(kCache.row(pos), shape.headDim(), rope, pos);
        b.attention(q, kCache, vCache, att, shape, pos + 1, true, pos);
        b.add(x, att, x);
        b.rmsNorm(x, norm, 1e-5f, h);
        b.matmul(gate, h, g);
        b.swiglu(g, g, g);
        b.matmul(down, g, h);
        b.add(x, h, x);
        return b.argmax(x, 0);
    }

    /**
     * Growing the device heap rebuilds the plan through the host: every value computed on the device must survive,
     * also after a partial read (which once left the rest of the host copy stale).
     */
    @Test
    void deviceResultsSurviveTheHeapGrowing() {
        Pair a = random(221, 3, 40, 1);
        Pair sum = pair(new float[120], 3, 40);
        Pair product = pair(new float[120], 3, 40);
        cpu.add(a.cpu(), a.cpu(), sum.cpu());
        cpu.mul(a.cpu(), sum.cpu(), product.cpu());
        tornado.add(a.tornado(), a.tornado(), sum.tornado());
        tornado.mul(a.tornado(), sum.tornado(), product.tornado());
        tornado.read(sum.tornado(), 1, new float[40], 0, 40); // a partial read first
        Matrix big = tornado.matrix(TornadoBackend.INITIAL_HEAP_FLOATS / 1024 + 1, 1024); // more than the whole initial heap
        float[] lastRow = new float[1024];
        lastRow[1023] = 1f;
        tornado.read(big, big.rows() - 1, lastRow, 0, 1024);
        assertEquals(0f, lastRow[1023], "a new matrix is zero");
        assertSame(sum, 0, "device-computed sum after the heap grew");
        assertSame(product, 0, "device-computed product after the heap grew");
    }

    @Test
    void releaseReturnsTheHeapRangeAtOnce() {
        TornadoBackend backend = (TornadoBackend) tornado;
        Pair kept = random(231, 2, 24, 1);
        long before = backend.heapFloatsInUse();
        Matrix m = tornado.matrix(5, 64);
        Matrix sum = tornado.matrix(2, 24);
        tornado.add(kept.tornado(), kept.tornado(), sum); // device work around the release
        long withM = backend.heapFloatsInUse();
        assertTrue(withM >= before + 5 * 64 + 2 * 24);
        tornado.release(m.rows(1, 2)); // through a view: the whole matrix
        assertEquals(withM - 5 * 64, backend.heapFloatsInUse(), "released at once, not at the next GC");
        tornado.release(m); // twice: harmless
        assertEquals(withM - 5 * 64, backend.heapFloatsInUse());
        assertSame(kept, 0, "a matrix that was not released");
    }

    @Test
    void kernelsIssuedBeforeAFailureInsideAStageStillRun() {
        Pair a = random(211, 2, 16, 1);
        Pair out = pair(new float[32], 2, 16);
        cpu.add(a.cpu(), a.cpu(), out.cpu());
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> tornado.stage("failing", () -> {
            tornado.add(a.tornado(), a.tornado(), out.tornado());
            throw new IllegalStateException("model code failed");
        }));
        assertEquals("model code failed", thrown.getMessage());
        assertSame(out, 0, "the add issued before the failure");
    }

    @Test
    void argmaxFindsTheFirstLargestValue() {
        float[] values = randoms(101, 2 * 5000, 1);
        values[5000 + 4321] = 100f;
        values[5000 + 4999] = 100f;
        values[777] = 50f;
        Matrix m = tornado.matrix(2, 5000);
        tornado.write(m, values);
        assertEquals(777, tornado.argmax(m, 0), "row 0");
        assertEquals(4321, tornado.argmax(m, 1), "row 1: the first of two equal maxima");
    }

    @Test
    void writeAndReadPartialRowsAndNewMatricesAreZero() {
        Matrix m = tornado.matrix(4, 100_000); // bigger than one upload
        float[] values = randoms(111, 300_000, 1);
        tornado.write(m, 1, values, 0, values.length);
        float[] back = new float[values.length];
        tornado.read(m, 1, back, 0, back.length);
        assertArrayEquals(values, back, "write then read from row 1");
        float[] firstRow = new float[100_000];
        tornado.read(m, 0, firstRow, 0, firstRow.length);
        assertArrayEquals(new float[100_000], firstRow, "row 0 of a new matrix is zero");
        assertThrows(IndexOutOfBoundsException.class, () -> tornado.read(m, 3, new float[100_001], 0, 100_001));
    }

    @Test
    void aForeignMatrixOrWeightIsRejected() {
        Matrix mine = tornado.matrix(1, 32);
        Matrix foreign = cpu.matrix(1, 32);
        assertThrows(IllegalArgumentException.class, () -> tornado.add(mine, foreign, mine));
        Weight cpuWeight = cpu.weight(tensor("w", GgmlType.F32, new float[32 * 32], 32, 32));
        assertThrows(IllegalArgumentException.class, () -> tornado.matmul(cpuWeight, mine, mine));
    }

    @Test
    void devicesAreListed() {
        List<DeviceInfo> devices = Backends.devices().stream().filter(d -> d.backend() == BackendKind.TORNADOVM).toList();
        assertTrue(!devices.isEmpty(), "TornadoVM lists at least one device: " + Backends.devices());
        System.out.println("TornadoVM devices: " + devices);
    }
}
