package dev.vlm4j.bench;

import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.kernels.cpu.ThreadTeam;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the CPU kernels and of the machine's memory, so kernel figures read as a fraction of the limit:
 * matrix x vector (decode) and matrix x matrix (prefill, 128 rows) through {@link CpuBackend#matmul} for F32, F16,
 * Q8_0 and Q4_0 weights on enough distinct matrices (2048 x 2048 unless {@code -p matrix=} names another) that the
 * working set exceeds the caches, STREAM-style copy, triad and read over arrays far larger than L3, and one decode
 * step's attention over a filled KV cache. {@link #main} runs them and prints GB/s and GFLOP/s next to JMH's times.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class KernelBenchmarks {
    /** Weights are N(0, 0.02), the spread of a trained LLM's matrices (and of the synthetic benchmark models). */
    static final double WEIGHT_STD = 0.02;
    /**
     * 1 GiB per array. This CPU caches far more than its L3 suggests: a read of 64 MiB ran at ~110 GB/s, 128 MiB at
     * ~88, 256 MiB at 53–75, and 512 MiB and more at 47–50 (DRAM). 128 MiB arrays measured the cache.
     */
    static final int STREAM_FLOATS = 256 << 20;

    @State(Scope.Benchmark)
    public static class MatmulState {
        @Param({"F32", "F16", "Q8_0", "Q4_0"})
        public String type;
        @Param({"1", "128"})
        public int rows;
        @Param({"2", "1"})
        public int threads;
        /**
         * MiB of weights cycled in decode: 1024 streams from DRAM (see {@link #STREAM_FLOATS}: 96 MiB stayed in this
         * CPU's cache); 1 keeps one matrix in cache, the kernel's own ceiling.
         */
        @Param({"1024"})
        public int workingSetMiB;
        /**
         * Weight rows x columns. 4096x14336 is the matrix x vector case of llama.cpp's {@code test-backend-ops perf -o
         * MUL_MAT} (m=4096, k=14336: the FFN down projection of Mistral 7B or Llama 3 8B), so its figures compare
         * with ours directly.
         */
        @Param({"2048x2048"})
        public String matrix;

        CpuBackend backend;
        List<Weight> weights;
        Matrix x;
        Matrix out;
        int next;
        long weightBytes;

        @Setup(Level.Trial)
        public void setup() {
            GgmlType t = GgmlType.valueOf(type);
            int outDim = outputs(matrix), inDim = inputs(matrix);
            backend = new CpuBackend(threads);
            SplittableRandom rnd = new SplittableRandom(1);
            float[] values = new float[outDim * inDim];
            // The spread of real LLM weights: at std 1 no fp16 weight is subnormal, and the F16 kernels would be
            // timed on easier numbers than any model holds.
            for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextGaussian() * WEIGHT_STD);
            MemorySegment one = TensorCodecs.quantize(t, values, 0, values.length);
            weightBytes = one.byteSize();
            int count = (int) Math.max(1, (rows == 1 ? ((long) workingSetMiB << 20) : weightBytes) / weightBytes);
            weights = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                MemorySegment copy = Arena.global().allocate(one.byteSize(), 64);
                copy.copyFrom(one);
                weights.add(backend.weight(new Tensor("w" + i, t, Shape.of(inDim, outDim), copy)));
            }
            x = backend.matrix(rows, inDim);
            float[] xs = new float[rows * inDim];
            for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
            backend.write(x, xs);
            out = backend.matrix(rows, outDim);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.close();
        }
    }

    @Benchmark
    @Warmup(iterations = 3, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
    public float matmul(MatmulState s) {
        Weight w = s.weights.get(s.next);
        s.next = (s.next + 1) % s.weights.size();
        s.backend.matmul(w, s.x, s.out);
        return s.backend.argmax(s.out, 0);
    }

    /** One decode step's attention (one query row) over a filled KV cache, as a text model's layer runs it. */
    @State(Scope.Benchmark)
    public static class AttentionState {
        /** heads/kvHeads/headDim: the 125M benchmark model's, and a 7B LLaVA's (Vicuna/Llama 2). */
        @Param({"12/4/64", "32/32/128"})
        public String shape;
        /** Keys in the cache: a short chat, and one after a 576-token LLaVA-1.5 image. */
        @Param({"64", "640"})
        public int kvLength;
        @Param({"2"})
        public int threads;

        CpuBackend backend;
        AttentionShape attention;
        Matrix q;
        Matrix k;
        Matrix v;
        Matrix out;

        @Setup(Level.Trial)
        public void setup() {
            String[] dims = shape.split("/");
            attention = new AttentionShape(Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2]));
            backend = new CpuBackend(threads);
            SplittableRandom rnd = new SplittableRandom(2);
            q = filled(1, attention.queryWidth(), rnd);
            k = filled(kvLength, attention.kvWidth(), rnd);
            v = filled(kvLength, attention.kvWidth(), rnd);
            out = backend.matrix(1, attention.queryWidth());
        }

        private Matrix filled(int rows, int cols, SplittableRandom rnd) {
            Matrix m = backend.matrix(rows, cols);
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
            backend.write(m, values);
            return m;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.close();
        }
    }

    @Benchmark
    @Warmup(iterations = 3, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public Matrix decodeAttention(AttentionState s) {
        s.backend.attention(s.q, s.k, s.v, s.out, s.attention, s.kvLength, true, s.kvLength - 1);
        return s.out;
    }

    @State(Scope.Benchmark)
    public static class StreamState {
        @Param({"2", "1"})
        public int threads;
        ThreadTeam team;
        float[] a;
        float[] b;
        float[] c;
        MemorySegment mapped;

        @Setup(Level.Trial)
        public void setup() {
            team = new ThreadTeam(threads);
            a = new float[STREAM_FLOATS];
            b = new float[STREAM_FLOATS];
            c = new float[STREAM_FLOATS];
            java.util.Arrays.fill(b, 1f);
            java.util.Arrays.fill(c, 2f);
            mapped = Arena.global().allocate(4L * STREAM_FLOATS, 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            team.close();
        }
    }

    /** STREAM copy: a = b (8 bytes moved per element). */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
    public void streamCopy(StreamState s) {
        s.team.parallelFor(STREAM_FLOATS, 4096, (from, to) -> System.arraycopy(s.b, from, s.a, from, to - from));
    }

    /** STREAM triad: a = b + 3c (12 bytes moved per element). */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
    public void streamTriad(StreamState s) {
        s.team.parallelFor(STREAM_FLOATS, 4096, (from, to) -> {
            float[] a = s.a, b = s.b, c = s.c;
            for (int i = from; i < to; i++) a[i] = b[i] + 3f * c[i];
        });
    }

    /** Read-only sum over native memory, as decode reads memory-mapped weights (4 bytes per element). */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
    public float streamRead(StreamState s) {
        float[] partial = new float[s.threads * 16];
        s.team.parallelFor(STREAM_FLOATS, 4096, (from, to) -> {
            var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
            var acc = jdk.incubator.vector.FloatVector.zero(species);
            for (long i = from; i < to; i += species.length()) {
                acc = acc.add(jdk.incubator.vector.FloatVector.fromMemorySegment(species, s.mapped, 4 * i, java.nio.ByteOrder.LITTLE_ENDIAN));
            }
            partial[(int) ((long) from * s.threads / STREAM_FLOATS) * 16] += acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        });
        return partial[0];
    }

    /** Weight rows (outputs) of a {@code ROWSxCOLS} matrix parameter. */
    static int outputs(String matrix) {
        return Integer.parseInt(matrix.substring(0, matrix.indexOf('x')));
    }

    /** Weight columns (inputs) of a {@code ROWSxCOLS} matrix parameter. */
    static int inputs(String matrix) {
        return Integer.parseInt(matrix.substring(matrix.indexOf('x') + 1));
    }

    /** Bytes of weights one matmul call streams. */
    static long weightBytes(String type, String matrix) {
        return GgmlType.valueOf(type).bytesFor((long) outputs(matrix) * inputs(matrix));
    }

    public static void main(String[] args) throws RunnerException, org.openjdk.jmh.runner.options.CommandLineOptionException {
        CommandLineOptions commandLine = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(commandLine);
        // every benchmark here unless the command line names some (JMH would run the union of both)
        if (commandLine.getIncludes().isEmpty()) builder.include(KernelBenchmarks.class.getName() + ".*");
        Options options = builder.build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.println("benchmark            type  rows threads      us/op      GB/s   GFLOP/s");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            double us = r.getPrimaryResult().getScore();
            String threads = r.getParams().getParam("threads");
            if (name.equals("decodeAttention")) {
                String[] dims = r.getParams().getParam("shape").split("/");
                int kv = Integer.parseInt(r.getParams().getParam("kvLength"));
                // scores and weighted sum: two multiply-adds per head, key and head dimension
                double gflops = 4.0 * Integer.parseInt(dims[0]) * Integer.parseInt(dims[2]) * kv / (us * 1e3);
                System.out.printf(Locale.ROOT, "%-20s %-9s %5d %3s %10.1f %9s %9.1f%n", name, r.getParams().getParam("shape"), kv, threads, us, "-", gflops);
            } else if (name.equals("matmul")) {
                String type = r.getParams().getParam("type");
                int rows = Integer.parseInt(r.getParams().getParam("rows"));
                String matrix = r.getParams().getParam("matrix");
                double gbs = weightBytes(type, matrix) / (us * 1e3);
                double gflops = 2.0 * outputs(matrix) * inputs(matrix) * rows / (us * 1e3);
                System.out.printf(Locale.ROOT, "%-20s %-5s %4d %7s %10.1f %9.1f %9.1f  %s, %s MiB%n", name, type, rows, threads, us, gbs,
                        gflops, matrix, r.getParams().getParam("workingSetMiB"));
            } else {
                double bytes = switch (name) {
                    case "streamCopy" -> 8.0 * STREAM_FLOATS;
                    case "streamTriad" -> 12.0 * STREAM_FLOATS;
                    default -> 4.0 * STREAM_FLOATS;
                };
                System.out.printf(Locale.ROOT, "%-20s %-5s %4s %7s %10.1f %9.1f %9s%n", name, "-", "-", threads, us, bytes / (us * 1e3), "-");
            }
        }
    }
}
