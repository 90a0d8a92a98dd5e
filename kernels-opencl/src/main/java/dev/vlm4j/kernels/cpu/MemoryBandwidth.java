package dev.vlm4j.kernels.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's memory read bandwidth the way a decode step uses memory: every thread streams its share
 * of a buffer far larger than the caches and sums it with the Vector API. This is the roofline for matrix×vector,
 * so decode speed can be reported as a fraction of it.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.nativeOrder());

    /** Read bandwidth result: bytes/s, best of the repetitions. */
    public record Result(double bytesPerSecond, long bufferBytes, int threads, int repetitions) {
        public double gigabytesPerSecond() {
            return bytesPerSecond / 1e9;
        }
    }

    private MemoryBandwidth() {}

    /** Streams a {@code bufferBytes} off-heap buffer {@code repetitions} times with {@code threads} threads. */
    public static Result measureRead(long bufferBytes, int threads, int repetitions) {
        long floats = bufferBytes / 4 / F.length() / threads * F.length() * threads;
        try (Arena arena = Arena.ofShared(); ThreadTeam team = new ThreadTeam(threads)) {
            MemorySegment buffer = arena.allocate(floats * 4, 64);
            for (long i = 0; i < floats; i += 1024) {
                buffer.set(FLOAT, i * 4, 1f); // touch every page so the first pass does not time page faults
            }
            double[] sinks = new double[threads];
            long perThread = floats / threads;
            double best = 0;
            for (int rep = 0; rep < repetitions + 1; rep++) {
                long start = System.nanoTime();
                team.parallelFor(threads, (from, to) -> {
                    for (int t = from; t < to; t++) {
                        sinks[t] += sum(buffer, t * perThread, perThread);
                    }
                });
                double seconds = (System.nanoTime() - start) / 1e9;
                if (rep > 0) { // the first pass warms up the JIT
                    best = Math.max(best, floats * 4 / seconds);
                }
            }
            if (Double.isNaN(sinks[0])) {
                throw new AssertionError(); // keeps the sums alive
            }
            return new Result(best, floats * 4, threads, repetitions);
        }
    }

    /**
     * One vector load and one add per step: this plain loop read 1 GiB at ~55 GB/s here where four accumulators
     * with four loads a step read ~44 (C2 unrolls it itself). A probe that reads slower than the machine can would
     * overstate the kernels' share of bandwidth.
     */
    private static double sum(MemorySegment s, long fromFloat, long count) {
        FloatVector acc = FloatVector.zero(F);
        long end = fromFloat + count / F.length() * F.length();
        ByteOrder order = ByteOrder.nativeOrder();
        for (long i = fromFloat; i < end; i += F.length()) {
            acc = acc.add(FloatVector.fromMemorySegment(F, s, i * 4, order));
        }
        return acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
