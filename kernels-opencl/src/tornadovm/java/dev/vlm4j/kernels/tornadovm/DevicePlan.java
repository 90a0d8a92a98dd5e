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
import java.util.List;

/**
 * One {@link TornadoExecutionPlan} over a fixed set of host arrays: a task graph per kernel, and a task graph per
 * stage shape (a ViT block, the projector, a decoder layer, the logits: see {@link StageShape}), all sharing the
 * device heap and the weight arenas. The first graph uploads the heap and the arenas (the weights' only transfer:
 * {@link DataTransferMode#FIRST_EXECUTION}) and persists them on the device; every other graph consumes them from
 * the device ({@code consumeFromDevice}) and persists them again ({@code persistOnDevice}), so image embeddings,
 * activations and the KV cache never travel back unless asked for ({@link #readToHost}). Only the small parameter
 * arrays (and the staging, id and result arrays of the kernels that use them) are copied per execution.
 *
 * <p>TornadoVM compiles a graph when it first runs; that first run is timed apart as JIT time.
 */
final class DevicePlan implements AutoCloseable {
    /** The kernels, one task graph each, in graph-index order; {@code staged} ones may also be tasks of a stage graph. */
    enum Kernel {
        INIT(false), FILL(true), UPLOAD(false), UPLOAD_FLOATS(false), UPLOAD_BYTES(false), COPY(true), ADD(true), MUL(true),
        SWIGLU(true), ACTIVATION(true), ROUND_HALF(true), QUANTIZE_Q8(true), MATMUL_F32(true), MATMUL_F16(true),
        MATMUL_Q8(true), MATMUL_Q4(true), MATMUL_F32_X4(true), MATMUL_F16_X4(true),
        MATMUL_F32_GROUP(true), MATMUL_F16_GROUP(true), MATMUL_Q8_GROUP(true), MATMUL_Q4_GROUP(true),
        GET_ROWS(false), RMS_NORM(true), LAYER_NORM(true), SOFTMAX(true), ROPE(true),
        ATTENTION(true), ARGMAX(true);

        /** Whether the kernel reads only the heap, the arenas and its parameters (not a per-call staging array). */
        final boolean staged;

        Kernel(boolean staged) {
            this.staged = staged;
        }

        /** Whether the kernel reads a float parameter ({@code f}: epsilon, theta scale, attention scale). */
        boolean readsFloatParameter() {
            return this == RMS_NORM || this == LAYER_NORM || this == ROPE || this == ATTENTION;
        }
    }

    /** Most tasks in one stage graph. */
    static final int MAX_STAGE_TASKS = 64;

    /**
     * The kernels of a stage in order: what a stage graph is compiled from. Offsets, sizes and positions are
     * parameters, so every decoder layer (prefill or decode) replays one graph, as does every ViT block.
     */
    record StageShape(String name, List<Kernel> kernels) {
        StageShape {
            kernels = List.copyOf(kernels);
        }
    }

    /** One recorded launch of a stage: its kernel, geometry, and parameter values. */
    record Launch(Kernel kernel, int items, int local, int[] params, float param) {}

    private final DeviceArrays a;
    private final TornadoExecutionPlan plan;
    private final WorkerGrid1D[] grids = new WorkerGrid1D[Kernel.values().length];
    private final boolean[] compiled;
    private final List<StageShape> stages;
    private final WorkerGrid1D[][] stageGrids;
    private final TornadoStats.Counter stats;
    private TornadoExecutionResult lastResult;

    /**
     * The host side of everything the kernels touch; the plan is bound to these objects. {@code p}, {@code f} and
     * {@code freq} carry one kernel's parameters; {@code sp}, {@code sf} and {@code sfreq} those of a stage's tasks.
     */
    record DeviceArrays(FloatArray act, FloatArray wf, ByteArray wb, IntArray p, FloatArray f, FloatArray freq,
                        FloatArray stage, ByteArray byteStage, IntArray ids, IntArray result,
                        IntArray sp, FloatArray sf, FloatArray sfreq) {}

    DevicePlan(String name, DeviceArrays arrays, List<StageShape> stageShapes, TornadoDevice device, TornadoStats.Counter stats) {
        this.a = arrays;
        this.stats = stats;
        this.stages = List.copyOf(stageShapes);
        int kernels = Kernel.values().length;
        this.compiled = new boolean[kernels + stages.size()];
        this.stageGrids = new WorkerGrid1D[stages.size()][];
        KernelContext ctx = new KernelContext();
        GridScheduler scheduler = new GridScheduler();
        var graphs = new uk.ac.manchester.tornado.api.ImmutableTaskGraph[kernels + stages.size()];
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
                case UPLOAD -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.stage);
                    params(g).task("t", TornadoKernels::upload, ctx, a.act, a.stage, a.p, 0);
                }
                case UPLOAD_FLOATS -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.stage);
                    params(g).task("t", TornadoKernels::uploadFloats, ctx, a.wf, a.stage, a.p, 0);
                }
                case UPLOAD_BYTES -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.byteStage);
                    params(g).task("t", TornadoKernels::uploadBytes, ctx, a.wb, a.byteStage, a.p, 0);
                }
                case GET_ROWS -> {
                    g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.ids);
                    params(g).task("t", TornadoKernels::getRows, ctx, a.act, a.wf, a.wb, a.p, a.ids, 0);
                }
                default -> {
                    params(g);
                    if (k.readsFloatParameter()) {
                        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.f);
                    }
                    if (k == Kernel.ROPE) {
                        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.freq);
                    }
                    addTask(g, "t", k, ctx, a.p, a.f, a.freq, 0);
                    if (k == Kernel.ARGMAX) {
                        g.transferToHost(DataTransferMode.EVERY_EXECUTION, a.result);
                    }
                }
            }
            g.persistOnDevice(a.act, a.wf, a.wb);
            graphs[k.ordinal()] = g.snapshot();
            grids[k.ordinal()] = new WorkerGrid1D(1);
            scheduler.addWorkerGrid(graphName + ".t", grids[k.ordinal()]);
        }
        for (int s = 0; s < stages.size(); s++) {
            StageShape shape = stages.get(s);
            String graphName = name + "_stage" + s;
            TaskGraph g = new TaskGraph(graphName);
            g.consumeFromDevice(a.act, a.wf, a.wb);
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.sp, a.sf);
            if (shape.kernels().contains(Kernel.ROPE)) {
                g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.sfreq);
            }
            stageGrids[s] = new WorkerGrid1D[shape.kernels().size()];
            for (int t = 0; t < shape.kernels().size(); t++) {
                addTask(g, "t" + t, shape.kernels().get(t), ctx, a.sp, a.sf, a.sfreq, t * TornadoKernels.PARAMS);
                stageGrids[s][t] = new WorkerGrid1D(1);
                scheduler.addWorkerGrid(graphName + ".t" + t, stageGrids[s][t]);
            }
            if (shape.kernels().contains(Kernel.ARGMAX)) {
                g.transferToHost(DataTransferMode.EVERY_EXECUTION, a.result);
            }
            g.persistOnDevice(a.act, a.wf, a.wb);
            graphs[kernels + s] = g.snapshot();
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

    /** Adds kernel {@code k} as task {@code task} of {@code g}, reading its parameters from slot {@code pb} of {@code p}/{@code f}. */
    private void addTask(TaskGraph g, String task, Kernel k, KernelContext ctx, IntArray p, FloatArray f, FloatArray freq, int pb) {
        switch (k) {
            case FILL -> g.task(task, TornadoKernels::fill, ctx, a.act, p, pb);
            case COPY -> g.task(task, TornadoKernels::copy, ctx, a.act, p, pb);
            case ADD -> g.task(task, TornadoKernels::add, ctx, a.act, p, pb);
            case MUL -> g.task(task, TornadoKernels::mul, ctx, a.act, p, pb);
            case SWIGLU -> g.task(task, TornadoKernels::swiglu, ctx, a.act, p, pb);
            case ACTIVATION -> g.task(task, TornadoKernels::activation, ctx, a.act, a.wf, p, pb);
            case ROUND_HALF -> g.task(task, TornadoKernels::roundHalf, ctx, a.act, a.wf, p, pb);
            case QUANTIZE_Q8 -> g.task(task, TornadoKernels::quantizeQ8, ctx, a.act, a.wf, p, pb);
            case MATMUL_F32 -> g.task(task, TornadoKernels::matmulF32, ctx, a.act, a.wf, p, pb);
            case MATMUL_F16 -> g.task(task, TornadoKernels::matmulF16, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_Q8 -> g.task(task, TornadoKernels::matmulQ8, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_Q4 -> g.task(task, TornadoKernels::matmulQ4, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_F32_X4 -> g.task(task, TornadoKernels::matmulF32x4, ctx, a.act, a.wf, p, pb);
            case MATMUL_F16_X4 -> g.task(task, TornadoKernels::matmulF16x4, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_F32_GROUP -> g.task(task, TornadoKernels::matmulF32Group, ctx, a.act, a.wf, p, pb);
            case MATMUL_F16_GROUP -> g.task(task, TornadoKernels::matmulF16Group, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_Q8_GROUP -> g.task(task, TornadoKernels::matmulQ8Group, ctx, a.act, a.wf, a.wb, p, pb);
            case MATMUL_Q4_GROUP -> g.task(task, TornadoKernels::matmulQ4Group, ctx, a.act, a.wf, a.wb, p, pb);
            case RMS_NORM -> g.task(task, TornadoKernels::rmsNorm, ctx, a.act, a.wf, p, f, pb);
            case LAYER_NORM -> g.task(task, TornadoKernels::layerNorm, ctx, a.act, a.wf, p, f, pb);
            case SOFTMAX -> g.task(task, TornadoKernels::softmax, ctx, a.act, p, pb);
            case ROPE -> g.task(task, TornadoKernels::rope, ctx, a.act, p, f, freq, pb);
            case ATTENTION -> g.task(task, TornadoKernels::attention, ctx, a.act, p, f, pb);
            case ARGMAX -> g.task(task, TornadoKernels::argmax, ctx, a.act, p, a.result, pb);
            case INIT, UPLOAD, UPLOAD_FLOATS, UPLOAD_BYTES, GET_ROWS ->
                    throw new IllegalArgumentException(k + " reads a staging array and cannot be a stage task");
        }
    }

    private TaskGraph params(TaskGraph g) {
        return g.transferToDevice(DataTransferMode.EVERY_EXECUTION, a.p);
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
        timed(kernel.ordinal(), System.nanoTime() - t0, 1, false);
    }

    /** How many stage graphs this plan has. */
    int stageCount() {
        return stages.size();
    }

    /** The index of {@code shape}'s graph among this plan's stage graphs, or -1 when the plan has none for it. */
    int stageIndex(StageShape shape) {
        return stages.indexOf(shape);
    }

    /**
     * Runs stage graph {@code stage} (from {@link #stageIndex}) with the parameters and geometry of
     * {@code launches}, whose kernels are that stage's, in order; {@code freqs} are the RoPE tasks' frequency
     * factors (null when the stage has none).
     */
    void runStage(int stage, List<Launch> launches, float[] freqs) {
        WorkerGrid1D[] taskGrids = stageGrids[stage];
        for (int t = 0; t < launches.size(); t++) {
            Launch l = launches.get(t);
            int[] values = l.params();
            for (int i = 0; i < TornadoKernels.PARAMS; i++) {
                a.sp.set(t * TornadoKernels.PARAMS + i, values[i]);
            }
            a.sf.set(t, l.param());
            long global = ((long) l.items() + l.local() - 1) / l.local() * l.local();
            taskGrids[t].setGlobalWork(global, 1, 1);
            taskGrids[t].setLocalWork(l.local(), 1, 1);
        }
        if (freqs != null) {
            for (int i = 0; i < freqs.length; i++) {
                a.sfreq.set(i, freqs[i]);
            }
        }
        int graph = Kernel.values().length + stage;
        long t0 = System.nanoTime();
        try {
            lastResult = plan.withGraph(graph).execute();
        } catch (RuntimeException e) {
            throw new Vlm4jException("TornadoVM stage graph '" + stages.get(stage).name() + "' (" + launches.size()
                    + " kernels) failed: " + e.getMessage(), e);
        }
        timed(graph, System.nanoTime() - t0, launches.size(), true);
    }

    private void timed(int graph, long nanos, int kernels, boolean stage) {
        if (compiled[graph]) {
            stats.execution(nanos, kernels, stage);
        } else {
            compiled[graph] = true;
            stats.compile(nanos, stage);
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
        // As one explicit range: a whole-object transferToHost after a partial one (readToHost) was seen to leave
        // the rest of the host array stale.
        readToHost(0, (int) a.act.getSize());
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
