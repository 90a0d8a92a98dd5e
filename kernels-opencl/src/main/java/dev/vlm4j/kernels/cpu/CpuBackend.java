package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.GgmlMath;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.kernels.RopeStyle;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.UnsupportedTensorTypeException;
import dev.vlm4j.tensor.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The CPU backend: activations on the Java heap, weights read in place from the memory-mapped file, work split
 * over a {@link ThreadTeam}. Always available.
 */
public final class CpuBackend implements Backend {
    private final ThreadTeam team;
    /** Rounded activations of the current matmul, reused across calls (a backend serves one thread at a time). */
    private float[] activationScratch = new float[0];
    private short[] quantisedScratch = new short[0];
    private float[] blockScaleScratch = new float[0];
    private short[] pairQuantScratch = new short[0];
    private float[] pairScaleScratch = new float[0];
    /** One row on its way into {@link #alignedActivations} (F16's pair permutation). */
    private float[] layoutScratch = new float[0];
    /**
     * Activations of the current matmul laid out on cache lines, and one dequantised weight group per thread (see
     * {@link VectorMatmul#matmulTiles}); both grown on demand and kept, as a fresh native allocation per call would
     * fault its pages in every time.
     */
    private MemorySegment alignedActivations = MemorySegment.NULL;
    private MemorySegment weightGroups = MemorySegment.NULL;
    /** The angles of the last rope call, reused by the next one for the same positions (K after Q). */
    private RopeAngles lastRopeAngles;

    public CpuBackend(int threads) {
        this.team = new ThreadTeam(threads);
    }

    /** One thread per available core. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return team.size();
    }

    @Override
    public String name() {
        return "cpu (" + team.size() + (team.size() == 1 ? " thread)" : " threads)");
    }

    @Override
    public Weight weight(Tensor tensor) {
        return new CpuWeight(tensor);
    }

    @Override
    public Matrix matrix(int rows, int cols) {
        return new CpuMatrix(new float[Math.multiplyExact(rows, cols)], 0, rows, cols);
    }

    @Override
    public void write(Matrix dst, int row, float[] src, int srcOffset, int length) {
        CpuMatrix d = cpu(dst);
        KernelChecks.span(d, row, length);
        System.arraycopy(src, srcOffset, d.data, d.offset + row * d.cols, length);
    }

    @Override
    public void read(Matrix src, int row, float[] dst, int dstOffset, int length) {
        CpuMatrix s = cpu(src);
        KernelChecks.span(s, row, length);
        System.arraycopy(s.data, s.offset + row * s.cols, dst, dstOffset, length);
    }


    // ---- kernels ----

    @Override
    public void matmul(Weight w, Weight bias, Matrix x, Matrix out) {
        matmuls(new Weight[] {w}, new Weight[] {bias}, x, new Matrix[] {out});
    }

    /**
     * In decode (one or two rows) the activations are quantised or laid out once for all the weights, when they share
     * a type, and all their rows are one job for the team: Q, K and V (or gate and up) cost one preparation and one
     * hand-over instead of three (two). Each output row is computed as {@link #matmul} computes it alone.
     */
    @Override
    public void matmuls(Weight[] ws, Weight[] biases, Matrix x, Matrix[] outs) {
        KernelChecks.matmuls(ws, biases, outs);
        if (ws.length == 0) {
            return;
        }
        CpuMatrix in = cpu(x);
        CpuMatrix[] o = new CpuMatrix[ws.length];
        float[][] b = new float[ws.length][];
        int[] firstRow = new int[ws.length + 1];
        boolean oneType = true;
        for (int i = 0; i < ws.length; i++) {
            Tensor t = ws[i].tensor();
            int outDim = ws[i].rows();
            KernelChecks.matmul(ws[i], outDim, x, outs[i]);
            if (!VectorMatmul.supports(t.type())) {
                throw new UnsupportedTensorTypeException(t.type());
            }
            o[i] = cpu(outs[i]);
            b[i] = biases[i] == null ? null : vector(biases[i]);
            if (b[i] != null && b[i].length != outDim) {
                throw new IllegalArgumentException("matmul: bias has " + b[i].length + " values, expected " + outDim);
            }
            firstRow[i + 1] = Math.addExact(firstRow[i], outDim);
            oneType &= t.type() == ws[0].tensor().type();
        }
        DecodeRows decode = in.rows <= 2 && oneType ? prepareDecode(ws[0].tensor().type(), in) : null;
        if (decode == null) {
            for (int i = 0; i < ws.length; i++) {
                if (in.rows <= 2 && ws.length > 1) { // decode, weights of several types or of one without a decode path: one by one
                    matmuls(new Weight[] {ws[i]}, new Weight[] {biases[i]}, x, new Matrix[] {outs[i]});
                } else {
                    matmulTiles(ws[i].tensor(), b[i], in, o[i], ws[i].rows());
                }
            }
            return;
        }
        team.parallelFor(firstRow[ws.length], 32, (from, to) -> {
            for (int i = 0; i < ws.length; i++) {
                int lo = Math.max(from, firstRow[i]);
                int hi = Math.min(to, firstRow[i + 1]);
                if (lo < hi) {
                    decode.rows(ws[i].tensor(), b[i], o[i], lo - firstRow[i], hi - firstRow[i]);
                }
            }
        });
    }

    /** Output rows {@code [from, to)} of one weight in decode, against activations already prepared for its type. */
    @FunctionalInterface
    private interface DecodeRows {
        void rows(Tensor w, float[] bias, CpuMatrix out, int from, int to);
    }

    /**
     * Prepares the one or two activation rows of {@code in} for decode with {@code type} weights, or returns null
     * where that type's decode goes through the tiles (BF16, K-quants):
     * <ul>
     *   <li>Q4_0 with 512-bit vectors: integer block dots as ggml's vec_dot_q4_0_q8_0, activations quantised into
     *       pairs of blocks ({@link VectorMatmul#matmulQ4_0Pairs}); with 256-bit vectors float lanes, one block at a
     *       time ({@link VectorMatmul#matmulQ4_0Rows});</li>
     *   <li>Q8_0: integer block dots as ggml's vec_dot_q8_0_q8_0 (prefill amortises float tiles better);</li>
     *   <li>F32 and F16: each weight row dotted straight from the mapped file against activations laid out once in
     *       cache-line-aligned native memory ({@link VectorMatmul#matmulDecodeRows}).</li>
     * </ul>
     */
    private DecodeRows prepareDecode(GgmlType type, CpuMatrix in) {
        int inDim = in.cols;
        int rows = in.rows;
        int n = Math.multiplyExact(rows, inDim);
        if (type == GgmlType.Q4_0 && VectorMatmul.Q4_0_PAIRS) {
            int pairs = VectorMatmul.q4_0Pairs(inDim);
            if (pairQuantScratch.length < rows * pairs * VectorMatmul.PAIR_QUANT_SHORTS) {
                pairQuantScratch = new short[rows * pairs * VectorMatmul.PAIR_QUANT_SHORTS];
                pairScaleScratch = new float[rows * pairs * VectorMatmul.PAIR_SCALE_FLOATS];
            }
            short[] xp = pairQuantScratch;
            float[] xs = pairScaleScratch;
            for (int r = 0; r < rows; r++) {
                VectorMatmul.quantizeQ4_0Pairs(in.data, in.offset + r * inDim, inDim,
                        xp, r * pairs * VectorMatmul.PAIR_QUANT_SHORTS, xs, r * pairs * VectorMatmul.PAIR_SCALE_FLOATS);
            }
            return (w, b, o, from, to) -> VectorMatmul.matmulQ4_0Pairs(w, b, xp, xs, rows, o.data, o.offset, o.cols, from, to);
        }
        if (type == GgmlType.Q8_0) {
            if (quantisedScratch.length < n) {
                quantisedScratch = new short[n];
                blockScaleScratch = new float[n / 32];
            }
            short[] xq = quantisedScratch;
            float[] xd = blockScaleScratch;
            for (int r = 0; r < rows; r++) {
                VectorMatmul.quantizeQ8_0(in.data, in.offset + r * inDim, inDim, xq, r * inDim, xd, r * inDim / 32);
            }
            return (w, b, o, from, to) -> VectorMatmul.matmulQ8_0Rows(w, b, xq, xd, rows, o.data, o.offset, o.cols, from, to);
        }
        if (VectorMatmul.readsAlignedActivations(type)) {
            long rowBytes = VectorMatmul.decodeRowBytes(inDim);
            MemorySegment xa = alignedActivations(rowBytes * rows);
            float[] xs = activationScratch(n);
            VectorMatmul.prepareActivations(type, in.data, in.offset, inDim, 0, rows, xs);
            if (layoutScratch.length < inDim) layoutScratch = new float[inDim];
            for (int r = 0; r < rows; r++) {
                VectorMatmul.layOutDecodeRow(type, xs, r * inDim, inDim, layoutScratch, xa, r * rowBytes);
            }
            return (w, b, o, from, to) -> VectorMatmul.matmulDecodeRows(w, b, xa, rowBytes, rows, o.data, o.offset, o.cols, from, to);
        }
        if (type == GgmlType.Q4_0) {
            float[] xs = activationScratch(n);
            VectorMatmul.prepareActivations(type, in.data, in.offset, inDim, 0, rows, xs);
            return (w, b, o, from, to) -> VectorMatmul.matmulQ4_0Rows(w, b, xs, rows, o.data, o.offset, o.cols, from, to);
        }
        return null;
    }

    /** Batches, and decode of the other types: tiles over aligned, interleaved rows (VectorMatmul.matmulTiles). */
    private void matmulTiles(Tensor t, float[] b, CpuMatrix in, CpuMatrix o, int outDim) {
        int inDim = t.columns();
        float[] xs = activationScratch(Math.multiplyExact(in.rows, inDim));
        MemorySegment xa = alignedActivations(VectorMatmul.interleavedBytes(in.rows, inDim));
        team.parallelFor(in.rows, 8, (from, to) -> {
            VectorMatmul.prepareActivations(t.type(), in.data, in.offset, inDim, from, to, xs);
            for (int r = from; r < to; r++) {
                VectorMatmul.interleaveRow(xs, r * inDim, inDim, xa, VectorMatmul.interleavedRow(r, inDim), ByteOrder.nativeOrder());
            }
        });
        long groupBytes = VectorMatmul.tileBufferBytes(inDim);
        MemorySegment groups = weightGroups = atLeast(weightGroups, groupBytes * team.size());
        team.parallelForWorkers(outDim, 32, (worker, from, to) ->
                VectorMatmul.matmulTiles(t, b, xa, in.rows, groups.asSlice(worker * groupBytes, groupBytes),
                        o.data, o.offset, outDim, from, to));
    }

    /** {@link #activationScratch}, grown to at least {@code n} floats. */
    private float[] activationScratch(int n) {
        if (activationScratch.length < n) activationScratch = new float[n];
        return activationScratch;
    }

    /** {@link #alignedActivations}, grown to at least {@code bytes}. */
    private MemorySegment alignedActivations(long bytes) {
        return alignedActivations = atLeast(alignedActivations, bytes);
    }

    /** {@code segment} if it holds {@code bytes}, else a new cache-line-aligned one that does (the old one is freed by GC). */
    private static MemorySegment atLeast(MemorySegment segment, long bytes) {
        return segment.byteSize() >= bytes ? segment : Arena.ofAuto().allocate(bytes, VectorMatmul.CACHE_LINE);
    }

    @Override
    public void getRows(Weight table, int[] ids, Matrix out) {
        CpuMatrix o = cpu(out);
        Tensor t = table.tensor();
        require(o.cols == t.columns() && o.rows == ids.length, "getRows: output shape does not match");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= t.rows()) {
                throw new IndexOutOfBoundsException("row id " + ids[i] + " outside 0.." + (t.rows() - 1) + " of '" + t.name() + "'");
            }
            TensorCodecs.dequantize(t.type(), t.data(), ids[i] * t.rowBytes(), o.data, o.offset + i * o.cols, o.cols);
        }
    }

    @Override
    public void rmsNorm(Matrix x, Weight weight, float eps, Matrix out) {
        CpuMatrix in = cpu(x);
        CpuMatrix o = cpu(out);
        sameShape(in, o, "rmsNorm");
        float[] w = vector(weight);
        // Rows are independent: split between threads, each row computed as it would be alone.
        team.parallelFor(in.rows, 8, (from, to) -> rmsNormRows(in, w, eps, o, from, to));
    }

    private static void rmsNormRows(CpuMatrix in, float[] w, float eps, CpuMatrix o, int from, int to) {
        int n = in.cols;
        int r = from;
        // Four rows at once: each row's sum of squares is a chain of dependent double adds (in ggml's order), so
        // one row at a time waits on add latency; four chains side by side keep the same order and bits per row.
        for (; r + 3 < to; r += 4) {
            int b0 = in.offset + r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < n; i++) {
                float v0 = in.data[b0 + i], v1 = in.data[b1 + i], v2 = in.data[b2 + i], v3 = in.data[b3 + i];
                s0 += v0 * v0;
                s1 += v1 * v1;
                s2 += v2 * v2;
                s3 += v3 * v3;
            }
            scaleRow(in, w, o, r, n, s0, eps);
            scaleRow(in, w, o, r + 1, n, s1, eps);
            scaleRow(in, w, o, r + 2, n, s2, eps);
            scaleRow(in, w, o, r + 3, n, s3, eps);
        }
        for (; r < to; r++) {
            int ib = in.offset + r * n;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float v = in.data[ib + i];
                sum += v * v;
            }
            scaleRow(in, w, o, r, n, sum, eps);
        }
    }

    /** Row {@code r} of rmsNorm's output, given the row's sum of squares. */
    private static void scaleRow(CpuMatrix in, float[] w, CpuMatrix o, int r, int n, double sumOfSquares, float eps) {
        int ib = in.offset + r * n;
        int ob = o.offset + r * n;
        float mean = (float) (sumOfSquares / n);
        float scale = 1.0f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) {
            o.data[ob + i] = (in.data[ib + i] * scale) * w[i];
        }
    }

    @Override
    public void layerNorm(Matrix x, Weight weight, Weight bias, float eps, Matrix out) {
        CpuMatrix in = cpu(x);
        CpuMatrix o = cpu(out);
        sameShape(in, o, "layerNorm");
        float[] w = weight == null ? null : vector(weight);
        float[] b = bias == null ? null : vector(bias);
        team.parallelFor(in.rows, 8, (from, to) -> layerNormRows(in, w, b, eps, o, from, to));
    }

    private static void layerNormRows(CpuMatrix in, float[] w, float[] b, float eps, CpuMatrix o, int from, int to) {
        int n = in.cols;
        for (int r = from; r < to; r++) {
            int ib = in.offset + r * n;
            int ob = o.offset + r * n;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += in.data[ib + i];
            }
            float mean = (float) (sum / n);
            double sum2 = 0;
            for (int i = 0; i < n; i++) {
                float v = in.data[ib + i] - mean;
                o.data[ob + i] = v;
                sum2 += v * v;
            }
            float variance = (float) (sum2 / n);
            float scale = 1.0f / (float) Math.sqrt(variance + eps);
            for (int i = 0; i < n; i++) {
                float v = o.data[ob + i] * scale;
                if (w != null) {
                    v *= w[i];
                }
                if (b != null) {
                    v += b[i];
                }
                o.data[ob + i] = v;
            }
        }
    }

    @Override
    public void rope(Matrix x, int headDim, Rope rope, int firstPosition) {
        CpuMatrix m = cpu(x);
        if (m.cols % headDim != 0) {
            throw new IllegalArgumentException("rope: " + m.cols + " columns is not a whole number of heads of " + headDim);
        }
        if (rope.dims() > headDim) {
            throw new IllegalArgumentException("rope: rotates " + rope.dims() + " dims of a " + headDim + "-dim head");
        }
        int heads = m.cols / headDim;
        RopeAngles angles = ropeAngles(rope, firstPosition, m.rows);
        int half = rope.dims() / 2;
        team.parallelFor(m.rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int h = 0; h < heads; h++) {
                    int base = m.offset + r * m.cols + h * headDim;
                    for (int i = 0; i < half; i++) {
                        int a = rope.style() == RopeStyle.NORMAL ? base + 2 * i : base + i;
                        int b = rope.style() == RopeStyle.NORMAL ? a + 1 : a + half;
                        float cos = angles.cos[r * half + i];
                        float sin = angles.sin[r * half + i];
                        float x0 = m.data[a];
                        float x1 = m.data[b];
                        m.data[a] = x0 * cos - x1 * sin;
                        m.data[b] = x0 * sin + x1 * cos;
                    }
                }
            }
        });
    }

    /** cos and sin of rope's angles for {@code rows} positions from {@code firstPosition}, row-major. */
    private record RopeAngles(Rope rope, int firstPosition, int rows, float[] cos, float[] sin) {
    }

    /**
     * The angles of {@code rows} positions from {@code firstPosition}: the last ones computed when Q and then K of
     * the same positions are rotated (the trigonometry is most of rope's time), else computed anew.
     */
    private RopeAngles ropeAngles(Rope rope, int firstPosition, int rows) {
        RopeAngles last = lastRopeAngles;
        if (last != null && last.rope == rope && last.firstPosition == firstPosition && last.rows == rows) {
            return last;
        }
        int half = rope.dims() / 2;
        float thetaScale = (float) Math.pow(rope.theta(), -2.0f / rope.dims());
        float[] cos = new float[rows * half];
        float[] sin = new float[rows * half];
        team.parallelFor(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                // ggml builds the angles by repeated float multiplication, not pow: keep that rounding.
                float theta = firstPosition + r;
                for (int i = 0; i < half; i++) {
                    float angle = theta / rope.freqFactor(i);
                    cos[r * half + i] = (float) Math.cos(angle);
                    sin[r * half + i] = (float) Math.sin(angle);
                    theta *= thetaScale;
                }
            }
        });
        lastRopeAngles = new RopeAngles(rope, firstPosition, rows, cos, sin);
        return lastRopeAngles;
    }

    @Override
    public void attention(Matrix q, Matrix k, Matrix v, Matrix out, AttentionShape shape, int kvLength,
                          boolean causal, int firstQueryPosition) {
        CpuMatrix qm = cpu(q);
        CpuMatrix km = cpu(k);
        CpuMatrix vm = cpu(v);
        CpuMatrix om = cpu(out);
        int hd = shape.headDim();
        require(qm.cols == shape.queryWidth() && om.cols == shape.queryWidth() && om.rows == qm.rows, "attention: q/out shape");
        require(km.cols == shape.kvWidth() && vm.cols == shape.kvWidth(), "attention: k/v width");
        if (kvLength > km.rows || kvLength > vm.rows) {
            throw new IllegalArgumentException("attention: kvLength " + kvLength + " exceeds the cache");
        }
        int group = shape.heads() / shape.kvHeads();
        if (qm.rows <= 2) {
            // Decode: each score is a dot product with a row of K, read where it is. Transposing the whole cache
            // (below) pays off only when many queries share it; per decode step it would copy the cache again.
            team.parallelFor(qm.rows * shape.heads(), (from, to) -> {
                float[] scores = new float[kvLength];
                float[] lanes = new float[VectorMatmul.SUMS + 16];
                for (int task = from; task < to; task++) {
                    int i = task / shape.heads();
                    int h = task % shape.heads();
                    int visible = causal ? Math.min(kvLength, firstQueryPosition + i + 1) : kvLength;
                    int qb = qm.offset + i * qm.cols + h * hd;
                    int kb = km.offset + (h / group) * hd;
                    for (int j = 0; j < visible; j++) {
                        scores[j] = VectorMatmul.dot(km.data, kb + j * km.cols, qm.data, qb, hd, lanes) * shape.scale();
                    }
                    softmaxWeightedSum(scores, visible, vm, (h / group) * hd, om, i, h, hd);
                }
            });
            return;
        }
        // K transposed per KV head ([kvh][d][j]) so a query's scores against all keys are plain vector FMAs over j,
        // with no horizontal sums: fast for short head dimensions and the same result however the work is split.
        float[] kt = new float[shape.kvHeads() * hd * kvLength];
        team.parallelFor(shape.kvHeads() * hd, 8, (from, to) -> {
            // key-major: each key's columns [from, to) are one run of K, written to to - from sequential streams
            for (int j = 0; j < kvLength; j++) {
                int src = km.offset + j * km.cols; // column c of K is (kvh, d)
                for (int c = from; c < to; c++) kt[c * kvLength + j] = km.data[src + c];
            }
        });
        // Tasks are (head, block of queries), head-major: a block's queries share every K and V load, and a
        // thread's consecutive tasks stay on one head's K and V. Each head has every block, so contiguous chunks
        // of tasks carry equal work under the causal mask.
        int qb = VectorMatmul.QUERY_BLOCK;
        int blocks = (qm.rows + qb - 1) / qb;
        team.parallelFor(shape.heads() * blocks, (from, to) -> {
            float[] scores = new float[qb * kvLength];
            float[] inv = new float[qb];
            int[] visible = new int[qb];
            double[] sums = new double[qb];
            for (int task = from; task < to; task++) {
                int h = task / blocks;
                int first = (task % blocks) * qb;
                int count = Math.min(qb, qm.rows - first);
                int kvh = h / group;
                int keys = causal ? Math.min(kvLength, firstQueryPosition + first + count) : kvLength;
                VectorMatmul.scoresBlock(qm.data, qm.offset + first * qm.cols + h * hd, qm.cols, count, kt,
                        kvh * hd * kvLength, kvLength, hd, keys, shape.scale(), scores, kvLength);
                for (int m = 0; m < count; m++) {
                    visible[m] = causal ? Math.min(kvLength, firstQueryPosition + first + m + 1) : kvLength;
                }
                softmaxBlock(scores, kvLength, count, visible, sums, inv);
                for (int m = 0; m < count; m++) {
                    java.util.Arrays.fill(scores, m * kvLength + visible[m], m * kvLength + keys, 0f);
                }
                VectorMatmul.weightedSumBlock(scores, kvLength, inv, count, keys, vm.data, vm.offset + kvh * hd, vm.cols,
                        om.data, om.offset + first * om.cols + h * hd, om.cols, hd);
            }
        });
    }

    /**
     * {@code scores[at + j] = exp(scores[at + j] - max)} for {@code j < visible}; returns 1 / their sum (the
     * softmax's normaliser, applied by the weighted sum).
     */
    private static float softmax(float[] scores, int at, int visible) {
        float max = VectorMatmul.max(scores, at, visible);
        VectorMatmul.expShifted(scores, at, visible, max);
        double sum = 0;
        for (int j = 0; j < visible; j++) sum += scores[at + j];
        return (float) (1.0 / sum);
    }

    /**
     * {@link #softmax} for rows {@code m < count} of {@code scores} ({@code stride} apart, row m over its first
     * {@code visible[m]} values), 1 / sum into {@code inv[m]}. Each row's sum is the same chain of double adds in
     * the same order; the rows' chains run side by side over the keys they share, as one chain waits on add latency.
     */
    private static void softmaxBlock(float[] scores, int stride, int count, int[] visible, double[] sums, float[] inv) {
        int shared = Integer.MAX_VALUE;
        for (int m = 0; m < count; m++) {
            float max = VectorMatmul.max(scores, m * stride, visible[m]);
            VectorMatmul.expShifted(scores, m * stride, visible[m], max);
            shared = Math.min(shared, visible[m]);
        }
        // Missing rows repeat the last one (summed, never used), so the loop has no branches.
        int r1 = Math.min(1, count - 1) * stride, r2 = Math.min(2, count - 1) * stride, r3 = Math.min(3, count - 1) * stride;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int j = 0; j < shared; j++) {
            s0 += scores[j];
            s1 += scores[r1 + j];
            s2 += scores[r2 + j];
            s3 += scores[r3 + j];
        }
        sums[0] = s0;
        if (count > 1) sums[1] = s1;
        if (count > 2) sums[2] = s2;
        if (count > 3) sums[3] = s3;
        for (int m = 0; m < count; m++) {
            double sum = sums[m];
            for (int j = shared; j < visible[m]; j++) sum += scores[m * stride + j];
            inv[m] = (float) (1.0 / sum);
        }
    }

    /** Softmax over {@code scores[0, visible)}, then out row {@code i}, head {@code h} = those weights times V. */
    private static void softmaxWeightedSum(float[] scores, int visible, CpuMatrix vm, int vColumn, CpuMatrix om,
                                           int i, int h, int hd) {
        float inv = softmax(scores, 0, visible);
        int ob = om.offset + i * om.cols + h * hd;
        VectorMatmul.weightedSum(scores, inv, visible, vm.data, vm.offset + vColumn, vm.cols, om.data, ob, hd);
    }

    @Override
    public void activation(Activation f, Matrix x, Matrix out) {
        CpuMatrix in = cpu(x);
        CpuMatrix o = cpu(out);
        sameShape(in, o, "activation");
        int n = (int) in.elements();
        team.parallelFor(n, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = in.data[in.offset + i];
                o.data[o.offset + i] = switch (f) {
                    case SILU -> GgmlMath.silu(v);
                    case GELU -> GgmlMath.gelu(v);
                    case GELU_ERF -> GgmlMath.geluErf(v);
                    case GELU_QUICK -> GgmlMath.geluQuick(v);
                };
            }
        });
    }

    @Override
    public void swiglu(Matrix gate, Matrix up, Matrix out) {
        CpuMatrix g = cpu(gate);
        CpuMatrix u = cpu(up);
        CpuMatrix o = cpu(out);
        sameShape(g, u, "swiglu");
        sameShape(g, o, "swiglu");
        int n = (int) g.elements();
        team.parallelFor(n, 4096, (from, to) ->
                VectorMatmul.swiglu(g.data, g.offset + from, u.data, u.offset + from, o.data, o.offset + from, to - from));
    }

    @Override
    public void add(Matrix a, Matrix b, Matrix out) {
        CpuMatrix x = cpu(a);
        CpuMatrix y = cpu(b);
        CpuMatrix o = cpu(out);
        sameShape(x, y, "add");
        sameShape(x, o, "add");
        int n = (int) x.elements();
        team.parallelFor(n, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                o.data[o.offset + i] = x.data[x.offset + i] + y.data[y.offset + i];
            }
        });
    }

    @Override
    public void mul(Matrix a, Matrix b, Matrix out) {
        CpuMatrix x = cpu(a);
        CpuMatrix y = cpu(b);
        CpuMatrix o = cpu(out);
        sameShape(x, y, "mul");
        sameShape(x, o, "mul");
        int n = (int) x.elements();
        for (int i = 0; i < n; i++) {
            o.data[o.offset + i] = x.data[x.offset + i] * y.data[y.offset + i];
        }
    }

    @Override
    public void copy(Matrix src, Matrix dst) {
        CpuMatrix s = cpu(src);
        CpuMatrix d = cpu(dst);
        sameShape(s, d, "copy");
        System.arraycopy(s.data, s.offset, d.data, d.offset, (int) s.elements());
    }

    @Override
    public void softmax(Matrix x, Matrix out) {
        CpuMatrix in = cpu(x);
        CpuMatrix o = cpu(out);
        sameShape(in, o, "softmax");
        int n = in.cols;
        for (int r = 0; r < in.rows; r++) {
            int ib = in.offset + r * n;
            int ob = o.offset + r * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, in.data[ib + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(in.data[ib + i] - max);
                o.data[ob + i] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < n; i++) {
                o.data[ob + i] *= inv;
            }
        }
    }

    @Override
    public int argmax(Matrix x, int row) {
        CpuMatrix m = cpu(x);
        int base = m.offset + row * m.cols;
        int best = 0;
        for (int i = 1; i < m.cols; i++) {
            if (m.data[base + i] > m.data[base + best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        team.close();
    }

    // ---- helpers ----

    private static CpuMatrix cpu(Matrix m) {
        if (m instanceof CpuMatrix c) {
            return c;
        }
        throw new IllegalArgumentException("matrix " + m + " does not belong to the CPU backend");
    }

    private static void sameShape(CpuMatrix a, CpuMatrix b, String op) {
        if (a.rows != b.rows || a.cols != b.cols) {
            throw new IllegalArgumentException(op + ": shapes " + a.rows + "x" + a.cols + " and " + b.rows + "x" + b.cols + " differ");
        }
    }

    /** The values of a one-row weight (kept decoded by {@link CpuWeight}). */
    private static float[] vector(Weight w) {
        return w instanceof CpuWeight c && c.vector() != null ? c.vector() : w.tensor().toFloats();
    }

    /** Checks with a fixed message; a message built from values is built only when the check fails (kernels run per token). */
    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
