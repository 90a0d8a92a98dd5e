package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.Vlm4jException;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One {@link TornadoExecutionPlan} over a fixed set of host arrays: a task graph per kernel, all sharing the device
 * heap and the weight arenas. The first graph uploads the heap and the arenas (the weights' only transfer:
 * {@link DataTransferMode#FIRST_EXECUTION}) and persists them on the device; every other graph consumes them from
 * the device ({@code consumeFromDevice}) and persists them again ({@code persistOnDevice}), so they never travel
 * back unless asked for ({@link #readToHost}). Only the small parameter arrays (and the staging, id and result
 * arrays of the kernels that use them) are copied per launch.
 *
 * <p>TornadoVM compiles a graph when it first runs; that first run is timed apart as JIT time.
 */
final class DevicePlan implements AutoCloseable {
    /** The kernels, one task graph each, in graph-index order. */
    enum Kernel {
        INIT, FILL, UPLOAD, UPLOAD_FLOATS, UPLOAD_BYTES, COPY, ADD, MUL, SWIGLU, ACTIVATION, ROUND_HALF, QUANTIZE_Q8, MATMUL_F32, MATMUL_F16,
        MATMUL_Q8, MATMUL_Q4, GET_ROWS, RMS_NORM, LAYER_NORM, SOFTMAX, ROPE, ATTENTION, ARGMAX
    }

    private final DeviceArrays a;
    private final TornadoExecutionPlan plan;
    private final WorkerGrid1D[] grids = new WorkerGrid1D[Kernel.values().length];
    private final boolean[] compiled = new boolean[Kernel.values().length];
    private final TornadoStats.Counter stats;
    private TornadoExecutionResult lastResult;

    /** The host side of everything the kernels touch; the plan is bound to these objects. */
    record DeviceArrays(FloatArray act, FloatArray wf, ByteArray wb, IntArray p, FloatArray f, FloatArray freq,
                        FloatArray stage, ByteArray byteStage, IntArray ids, IntArray result) {}

    DevicePlan(String name, DeviceArrays arrays, TornadoDevice device, TornadoStats.Counter stats) {
        this.a = arrays;
        this.stats = stats;
        KernelContext ctx = new KernelContext();
        GridScheduler scheduler = new GridScheduler();
        var graphs = new uk.ac.manchester.tornado.api.ImmutableTaskGraph[Kernel.values().length];
        for (Kernel k : Kernel.values()) {
            String graphName = name + "_" + k.name().toLowerCase(java.util.Locale.ROOT);
            TaskGraph g = new TaskGraph(graphName);
            if (k == Kernel.INIT) {
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, a.act, a.wf, a.wb);
            } else {
                g.consumeFromDevice(a.act, a.wf, a.wb);
            }
            switch (k) {
                case INIT -> g.task("t", TornadoKernels::touch, a.act, a.wf, a.wb);
                case FILL -> params(g).task("t", TornadoKernels::fill, ctx, a.act, a.p);
                case UPLOAD -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.stage);
                    params(g).task("t", TornadoKernels::upload, ctx, a.act, a.stage, a.p);
                }
                case UPLOAD_FLOATS -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.stage);
                    params(g).task("t", TornadoKernels::uploadFloats, ctx, a.wf, a.stage, a.p);
                }
                case UPLOAD_BYTES -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.byteStage);
                    params(g).task("t", TornadoKernels::uploadBytes, ctx, a.wb, a.byteStage, a.p);
                }
                case COPY -> params(g).task("t", TornadoKernels::copy, ctx, a.act, a.p);
                case ADD -> params(g).task("t", TornadoKernels::add, ctx, a.act, a.p);
                case MUL -> params(g).task("t", TornadoKernels::mul, ctx, a.act, a.p);
                case SWIGLU -> params(g).task("t", TornadoKernels::swiglu, ctx, a.act, a.p);
                case ACTIVATION -> params(g).task("t", TornadoKernels::activation, ctx, a.act, a.wf, a.p);
                case ROUND_HALF -> params(g).task("t", TornadoKernels::roundHalf, ctx, a.act, a.wf, a.p);
                case QUANTIZE_Q8 -> params(g).task("t", TornadoKernels::quantizeQ8, ctx, a.act, a.wf, a.p);
                case MATMUL_F32 -> params(g).task("t", TornadoKernels::matmulF32, ctx, a.act, a.wf, a.p);
                case MATMUL_F16 -> params(g).task("t", TornadoKernels::matmulF16, ctx, a.act, a.wf, a.wb, a.p);
                case MATMUL_Q8 -> params(g).task("t", TornadoKernels::matmulQ8, ctx, a.act, a.wf, a.wb, a.p);
                case MATMUL_Q4 -> params(g).task("t", TornadoKernels::matmulQ4, ctx, a.act, a.wf, a.wb, a.p);
                case GET_ROWS -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.ids);
                    params(g).task("t", TornadoKernels::getRows, ctx, a.act, a.wf, a.wb, a.p, a.ids);
                }
                case RMS_NORM -> floats(params(g)).task("t", TornadoKernels::rmsNorm, ctx, a.act, a.wf, a.p, a.f);
                case LAYER_NORM -> floats(params(g)).task("t", TornadoKernels::layerNorm, ctx, a.act, a.wf, a.p, a.f);
                case SOFTMAX -> params(g).task("t", TornadoKernels::softmax, ctx, a.act, a.p);
                case ROPE -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.freq);
                    floats(params(g)).task("t", TornadoKernels::rope, ctx, a.act, a.p, a.f, a.freq);
                }
                case ATTENTION -> floats(params(g)).task("t", TornadoKernels::attention, ctx, a.act, a.p, a.f);
                case ARGMAX -> {
                    params(g).task("t", TornadoKernels::argmax, ctx, a.act, a.p, a.result);
                    g.transferToHost(DataTransferMode.EVERY_EXECUTION, a.result);
                }
            }
            g.persistOnDevice(a.act, a.wf, a.wb);
            graphs[k.ordinal()] = g.snapshot();
            grids[k.ordinal()] = new WorkerGrid1D(1);
            scheduler.addWorkerGrid(graphName + ".t", grids[k.ordinal()]);
        }
        try {
            plan = new TornadoExecutionPlan(graphs);
            plan.withGridScheduler(scheduler).withDevice(device);
            // IEEE float semantics: the fp16 emulation and the bit-faithful sums need them (no fast-relaxed-math).
            plan.withCompilerFlags(TornadoVMBackendType.OPENCL, "-w");
            long t0 = System.nanoTime();
            lastResult = plan.withGraph(Kernel.INIT.ordinal()).execute();
            stats.upload(System.nanoTime() - t0);
            compiled[Kernel.INIT.ordinal()] = true;
        } catch (RuntimeException e) {
            throw new Vlm4jException("TornadoVM could not set up the device plan on " + device.getDeviceName() + ": " + e.getMessage(), e);
        }
    }

    private TaskGraph params(TaskGraph g) {
        return g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.p);
    }

    private TaskGraph floats(TaskGraph g) {
        return g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.f);
    }

    DeviceArrays arrays() {
        return a;
    }

    /**
     * Runs {@code kernel} over {@code items} work items in groups of {@code local} (the global size is rounded up to
     * a whole number of groups; kernels ignore the excess). Parameters must already be in the parameter arrays.
     */
    void launch(Kernel kernel, int items, int local) {
        if (items <= 0) {
            return;
        }
        WorkerGrid1D grid = grids[kernel.ordinal()];
        long global = ((long) items + local - 1) / local * local;
        grid.setGlobalWork(global, 1, 1);
        grid.setLocalWork(local, 1, 1);
        long t0 = System.nanoTime();
        try {
            lastResult = plan.withGraph(kernel.ordinal()).execute();
        } catch (RuntimeException e) {
            throw new Vlm4jException("TornadoVM kernel " + kernel + " failed: " + e.getMessage(), e);
        }
        long nanos = System.nanoTime() - t0;
        if (compiled[kernel.ordinal()]) {
            stats.launch(nanos);
        } else {
            compiled[kernel.ordinal()] = true;
            stats.compile(nanos);
        }
    }

    /** Copies {@code length} floats of the device heap from {@code offset} into the host heap (same offsets). */
    void readToHost(int offset, int length) {
        if (length > 0) {
            lastResult.transferToHost(new DataRange(a.act).withOffset(offset).withSize(length));
        }
    }

    /** Copies the whole device heap into the host heap (before the plan is replaced). */
    void readAllToHost() {
        lastResult.transferToHost(a.act);
    }

    @Override
    public void close() {
        try {
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new Vlm4jException("TornadoVM could not release the device plan: " + e.getMessage(), e);
        }
    }
}
