package dev.vlm4j.kernels.tornadovm;

/**
 * Where a TornadoVM backend's time went. Warm-up: device plan builds with their weight and heap upload, and the
 * first run of each task graph (TornadoVM's JIT: Java bytecode to OpenCL C / PTX / SPIR-V, then the driver's
 * compiler). Steady state: every later graph execution, one-kernel graphs and stage graphs (a whole ViT block,
 * decoder layer, projector or logits pass in one execution) counted together and apart.
 */
public record TornadoStats(int planBuilds, long uploadNanos, int graphsCompiled, int stageGraphsCompiled, long compileNanos,
                           long executions, long stageExecutions, long kernelsRun, long executionNanos) {
    /** Milliseconds of warm-up (plan builds, uploads and JIT), which steady-state timings exclude. */
    public double warmUpMillis() {
        return (uploadNanos + compileNanos) / 1e6;
    }

    /** Milliseconds of steady-state graph executions (host overhead and kernels together). */
    public double steadyMillis() {
        return executionNanos / 1e6;
    }

    /** Mean microseconds per steady-state graph execution. */
    public double microsPerExecution() {
        return executions == 0 ? 0 : executionNanos / 1e3 / executions;
    }

    @Override
    public String toString() {
        return String.format("warm-up %.1f ms (%d plan build(s) with upload %.1f ms; JIT of %d graph(s), %d of them stages, %.1f ms); "
                        + "steady state %.1f ms: %d executions (%d stage graphs) ran %d kernels, %.0f us per execution",
                warmUpMillis(), planBuilds, uploadNanos / 1e6, graphsCompiled, stageGraphsCompiled, compileNanos / 1e6,
                steadyMillis(), executions, stageExecutions, kernelsRun, microsPerExecution());
    }

    /** The running totals of one backend (used by one thread at a time, as the backend is). */
    static final class Counter {
        private int planBuilds;
        private long uploadNanos;
        private int graphsCompiled;
        private int stageGraphsCompiled;
        private long compileNanos;
        private long executions;
        private long stageExecutions;
        private long kernelsRun;
        private long executionNanos;

        void upload(long nanos) {
            planBuilds++;
            uploadNanos += nanos;
        }

        void compile(long nanos, boolean stage) {
            graphsCompiled++;
            if (stage) {
                stageGraphsCompiled++;
            }
            compileNanos += nanos;
        }

        void execution(long nanos, int kernels, boolean stage) {
            executions++;
            if (stage) {
                stageExecutions++;
            }
            kernelsRun += kernels;
            executionNanos += nanos;
        }

        TornadoStats snapshot() {
            return new TornadoStats(planBuilds, uploadNanos, graphsCompiled, stageGraphsCompiled, compileNanos, executions,
                    stageExecutions, kernelsRun, executionNanos);
        }
    }
}
