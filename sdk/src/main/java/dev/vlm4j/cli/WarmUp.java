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
 */
record WarmUp(int runs, double millis) {
    /** A cap, so that a JVM that never settles cannot loop forever. */
    static final int MAX_RUNS = 30;
    /** Quiet runs in a row that end warm-up. */
    static final int QUIET_RUNS = 3;
    /** A run counts as quiet when compilation took less than this share of its wall time. */
    static final double SETTLED_SHARE = 0.02;

    static WarmUp run(int minimum, Backend backend, Runnable body) {
        return run(minimum, () -> jitMillis() + backendWarmUpMillis(backend), body);
    }

    /** As {@link #run(int, Backend, Runnable)}, with {@code compiledMillis} the compile time spent so far. */
    static WarmUp run(int minimum, DoubleSupplier compiledMillis, Runnable body) {
        long start = System.nanoTime();
        int runs = 0;
        int quietRuns = 0;
        while (runs < minimum || (minimum > 0 && quietRuns < QUIET_RUNS && runs < MAX_RUNS)) {
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
