package dev.vlm4j.cli;

import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendStatistics;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.DoubleSupplier;

/**
 * The untimed runs before a benchmark's timed ones, and what they cost. After the first prefill run C2 is still
 * compiling the matmul tiles on its background threads, and the next two runs came out up to 40 % slow; so with
 * at least one run asked for, warm-up goes on until {@link #QUIET_RUNS} runs in a row compile (almost) nothing
 * new, in the JIT or in the backend (TornadoVM's graphs), at most {@link #MAX_RUNS} runs in all.
 *
 * <p>Why three runs and 2 %: C2 compiles in bursts. The 125M model's decode ran at 230–250 tokens/s for ten runs of
 * 64 tokens, then at 270–290 once C2 compiled the decoder layer as a whole (about 200 ms of compile time, after the
 * 5000 calls that take); in between, runs with a few ms of compile time (under the old 5 %) alternated with
 * bursts of 30–100 ms, so two quiet runs in a row at 5 % ended warm-up before that burst in most JVMs.
 *
 * <p>Prefill settles later still, with no burst to see: 60 pp128 runs of the F16 model read 800–1100 tokens/s for
 * the first 25 (about 3.5 s) and 1250–1390 after, while quiet runs had ended warm-up after 8–18. So warm-up also
 * lasts at least {@link #MIN_MILLIS}, within the cap on runs.
 */
record WarmUp(int runs, double millis) {
    /** A cap, so that a JVM that never settles cannot loop forever. */
    static final int MAX_RUNS = 30;
    /** Quiet runs in a row that end warm-up. */
    static final int QUIET_RUNS = 3;
    /** A run counts as quiet when compilation took less than this share of its wall time. */
    static final double SETTLED_SHARE = 0.02;
    /** The shortest warm-up, quiet runs or not (see above: prefill). */
    static final double MIN_MILLIS = 5000;

    static WarmUp run(int minimum, Backend backend, Runnable body) {
        return run(minimum, MIN_MILLIS, () -> jitMillis() + backendWarmUpMillis(backend), body);
    }

    /**
     * As {@link #run(int, Backend, Runnable)}, with {@code compiledMillis} the compile time spent so far and
     * {@code minMillis} the shortest warm-up (when {@code minimum > 0}).
     */
    static WarmUp run(int minimum, double minMillis, DoubleSupplier compiledMillis, Runnable body) {
        long start = System.nanoTime();
        int runs = 0;
        int quietRuns = 0;
        while (runs < minimum || (minimum > 0 && runs < MAX_RUNS
                && (quietRuns < QUIET_RUNS || (System.nanoTime() - start) / 1e6 < minMillis))) {
            double compiledBefore = compiledMillis.getAsDouble();
            long runStart = System.nanoTime();
            body.run(); // JIT, a device backend's kernel compilation, first touch of the mapped weights
            double runMillis = (System.nanoTime() - runStart) / 1e6;
            boolean quiet = compiledMillis.getAsDouble() - compiledBefore <= SETTLED_SHARE * runMillis;
            quietRuns = quiet ? quietRuns + 1 : 0;
            runs++;
        }
        return new WarmUp(runs, (System.nanoTime() - start) / 1e6);
    }

    static double backendWarmUpMillis(Backend backend) {
        return backend.statistics().map(BackendStatistics::warmUpMillis).orElse(0.0);
    }

    /** Milliseconds the JVM's JIT compilers have worked so far (0 where the JVM does not count them). */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d run%s, %.0f ms", runs, runs == 1 ? "" : "s", millis);
    }
}
