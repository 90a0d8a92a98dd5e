package dev.vlm4j.kernels.tornadovm;

/**
 * Where a TornadoVM backend's time went: device plan builds with their weight and heap upload, the first run of
 * each kernel (TornadoVM's JIT: Java bytecode to OpenCL C / PTX / SPIR-V, then the driver's compiler), and the
 * steady-state launches after that.
 */
public record TornadoStats(int planBuilds, long uploadNanos, int kernelsCompiled, long compileNanos, long launches,
                           long launchNanos) {
    /** Milliseconds of warm-up (plan builds, uploads and JIT), which steady-state timings exclude. */
    public double warmUpMillis() {
        return (uploadNanos + compileNanos) / 1e6;
    }

    /** Mean microseconds per steady-state kernel launch (host overhead and kernel together). */
    public double microsPerLaunch() {
        return launches == 0 ? 0 : launchNanos / 1e3 / launches;
    }

    @Override
    public String toString() {
        return String.format("%d plan build(s) with upload %.1f ms; JIT of %d kernel(s) %.1f ms; %d launches %.1f ms (%.0f us each)",
                planBuilds, uploadNanos / 1e6, kernelsCompiled, compileNanos / 1e6, launches, launchNanos / 1e6, microsPerLaunch());
    }

    /** The running totals of one backend (used by one thread at a time, as the backend is). */
    static final class Counter {
        private int planBuilds;
        private long uploadNanos;
        private int kernelsCompiled;
        private long compileNanos;
        private long launches;
        private long launchNanos;

        void upload(long nanos) {
            planBuilds++;
            uploadNanos += nanos;
        }

        void compile(long nanos) {
            kernelsCompiled++;
            compileNanos += nanos;
        }

        void launch(long nanos) {
            launches++;
            launchNanos += nanos;
        }

        TornadoStats snapshot() {
            return new TornadoStats(planBuilds, uploadNanos, kernelsCompiled, compileNanos, launches, launchNanos);
        }
    }
}
