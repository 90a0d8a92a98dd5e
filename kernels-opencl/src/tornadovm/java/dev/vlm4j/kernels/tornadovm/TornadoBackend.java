package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendStatistics;
import dev.vlm4j.kernels.GgmlMath;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.kernels.RopeStyle;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.kernels.tornadovm.DevicePlan.DeviceArrays;
import dev.vlm4j.kernels.tornadovm.DevicePlan.Kernel;
import dev.vlm4j.kernels.tornadovm.DevicePlan.Launch;
import dev.vlm4j.kernels.tornadovm.DevicePlan.StageShape;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import dev.vlm4j.tensor.UnsupportedTensorTypeException;
import java.lang.System.Logger;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The TornadoVM backend: kernels written in Java ({@link TornadoKernels}), compiled by TornadoVM for an OpenCL,
 * PTX or SPIR-V device, run as task graphs of one {@link DevicePlan}.
 *
 * <p>Stages ({@link #stage}): the kernels a model issues inside a stage (a ViT block, the projector, a decoder
 * layer, the logits) are recorded instead of run, and run together when the stage ends: as one task graph when
 * the plan has a graph of that stage's shape (its kernels in order; every offset, size and position is a
 * parameter, so all decoder layers, prefill and decode, share one graph), else one by one. A shape that has run
 * kernel by kernel {@code stageAfter} times is added to the plan at the next host synchronisation
 * ({@link #read}, {@link #argmax}): the plan is rebuilt (weights uploaded again), and TornadoVM compiles the stage
 * graph on its first run (warm-up, reported apart in {@link #stats}). That costs seconds, so only shapes that keep
 * coming back get graphs: by default after {@value #DEFAULT_STAGE_AFTER} runs (a few tokens of a large model);
 * {@code -Dvlm4j.tornadovm.stageAfter=1} compiles every stage after its first run, 0 never. A kernel that needs a
 * staging array (uploads, getRows) or the host ends the recorded part.
 *
 * <p>Memory: every activation matrix (activations, KV caches, image embeddings) is a range of one device heap,
 * so the same compiled kernels serve every matrix, and weights live in two arenas (raw ggml blocks and floats).
 * All three stay on the device between kernels; only what {@link #read} or {@link #argmax} asks for comes back.
 * While no plan exists (before the first kernel, and after the heap grew or weights were added until the next
 * kernel) the host copies are authoritative; building a plan uploads them once. A new weight, or a heap too small
 * for a new matrix, makes the next kernel rebuild the plan: the heap is copied back, the arenas are rebuilt
 * (dropping weights no longer referenced), and TornadoVM recompiles the kernels as they are next used. Model code
 * binds all weights before running, so that happens rarely.
 *
 * <p>Numerics follow {@code CpuBackend} and ggml (see {@link TornadoKernels}). Used by one thread at a time.
 */
public final class TornadoBackend implements Backend {
    private static final Logger LOG = System.getLogger("dev.vlm4j.kernels.tornadovm");
    /** Initial heap: 4M floats (16 MiB); it doubles as needed. */
    static final int INITIAL_HEAP_FLOATS = 1 << 22;
    /** Floats one upload launch carries. */
    static final int STAGE_FLOATS = 1 << 16;
    /** Row ids one getRows launch carries. */
    static final int ID_CHUNK = 4096;
    /** Room left in a newly built arena for weights bound later (1M floats, 4 MiB of blocks). */
    static final long MIN_FLOAT_HEADROOM = 1 << 20;
    static final long MIN_BYTE_HEADROOM = 4 << 20;
    /** Most RoPE pairs per head (rotated dims / 2) supported. */
    static final int MAX_ROPE_PAIRS = 2048;
    /** Kernel-by-kernel runs of a stage shape after which it gets a graph, unless configured otherwise. */
    static final int DEFAULT_STAGE_AFTER = 256;
    /** Most stage graphs one plan holds; stages of other shapes run kernel by kernel. */
    static final int MAX_STAGE_GRAPHS = 16;
    /** TornadoVM arrays are int-indexed and carry a small header. */
    private static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 64;

    private static final float[] GELU_TABLE = new float[65536];
    private static final float[] GELU_QUICK_TABLE = new float[65536];

    static {
        for (int i = 0; i < 65536; i++) {
            float x = Float.float16ToFloat((short) i);
            GELU_TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(GgmlMath.geluF32(x)));
            GELU_QUICK_TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(GgmlMath.geluQuickF32(x)));
        }
    }

    private final TornadoDevice device;
    private final String name;
    private final String planName;
    private final Cleaner cleaner = Cleaner.create();
    private final DeviceHeap heap = new DeviceHeap(INITIAL_HEAP_FLOATS);
    private final List<WeakReference<TornadoWeight>> weights = new ArrayList<>();
    private final TornadoStats.Counter stats = new TornadoStats.Counter();
    private final IntArray p = new IntArray(TornadoKernels.PARAMS);
    /** A host copy of {@code p}'s slots, for recording. */
    private final int[] params = new int[TornadoKernels.PARAMS];
    private final FloatArray f = new FloatArray(4);
    private final FloatArray freq = new FloatArray(MAX_ROPE_PAIRS);
    private final FloatArray stage = new FloatArray(STAGE_FLOATS);
    private final IntArray ids = new IntArray(ID_CHUNK);
    private final IntArray result = new IntArray(1);
    private final ByteArray byteStage = new ByteArray(STAGE_FLOATS);
    private final IntArray stageParams = new IntArray(DevicePlan.MAX_STAGE_TASKS * TornadoKernels.PARAMS);
    private final FloatArray stageFloats = new FloatArray(DevicePlan.MAX_STAGE_TASKS);
    private final FloatArray stageFreq = new FloatArray(MAX_ROPE_PAIRS);
    private final int stageAfter;
    private final boolean groupMatmuls;
    /** Kernel-by-kernel runs per stage shape, until the shape is adopted. */
    private final Map<StageShape, Integer> stageRuns = new HashMap<>();
    /** The shapes adopted, in order; the next plan build compiles a graph for each. */
    private final Set<StageShape> stageShapes = new LinkedHashSet<>();
    /** The stage being recorded, or null outside {@link #stage}. */
    private Recording recording;
    /** A host synchronisation happened inside the stage being recorded: adopt new stage shapes when it ends. */
    private boolean adoptAfterStage;
    private final List<TornadoWeight> unplaced = new ArrayList<>();
    private FloatArray act = new FloatArray(INITIAL_HEAP_FLOATS);
    private FloatArray wf;
    private ByteArray wb;
    private long wfUsed;
    private long wbUsed;
    private DevicePlan plan;
    private int planBuilds;
    private boolean closed;

    /**
     * {@code stageAfter}: kernel-by-kernel runs of a stage shape before it gets a task graph (0: never);
     * {@code groupMatmuls}: a work group per matmul output (for GPUs) instead of a work item per output.
     */
    TornadoBackend(TornadoDevice device, String description, int stageAfter, boolean groupMatmuls) {
        this.device = device;
        this.stageAfter = stageAfter;
        this.groupMatmuls = groupMatmuls;
        this.name = "tornadovm (" + description + ")";
        this.planName = "vlm4j" + Integer.toHexString(System.identityHashCode(this));
    }

    @Override
    public String name() {
        return name;
    }

    /** Warm-up (plan builds, uploads, JIT) and steady-state launch times so far. */
    public TornadoStats stats() {
        return stats.snapshot();
    }

    @Override
    public Optional<BackendStatistics> statistics() {
        TornadoStats s = stats.snapshot();
        return Optional.of(new BackendStatistics(s.warmUpMillis(), s.steadyMillis(), s.executions(), s.toString()));
    }

    // ---- weights ----

    @Override
    public Weight weight(Tensor tensor) {
        checkOpen();
        if (!tensor.type().computable() || tensor.type() != GgmlType.F32 && tensor.type() != GgmlType.F16
                && tensor.type() != GgmlType.BF16 && tensor.type() != GgmlType.Q8_0 && tensor.type() != GgmlType.Q4_0) {
            throw new UnsupportedTensorTypeException(tensor.type());
        }
        TornadoWeight w = new TornadoWeight(this, tensor);
        weights.add(new WeakReference<>(w));
        unplaced.add(w);
        return w;
    }

    private TornadoWeight own(Weight w) {
        if (w instanceof TornadoWeight t && t.owner == this) {
            return t;
        }
        throw new IllegalArgumentException("weight " + w + " was not made by this TornadoVM backend");
    }

    private static long floatsOf(TornadoWeight w) {
        return w.widens() ? w.tensor().shape().elements() : 0;
    }

    private static long bytesOf(TornadoWeight w) {
        return w.keepsRaw() ? (w.tensor().data().byteSize() + 3) & ~3L : 0;
    }

    /**
     * Places the weights bound since the last kernel. With a live plan and room left in the arenas they are appended
     * and uploaded through the staging kernels (the plan and its compiled kernels survive); otherwise the plan is
     * retired and the arenas rebuilt (dropping unreferenced weights, doubling a full arena).
     */
    private void placeNewWeights() {
        long floats = 0;
        long bytes = 0;
        for (TornadoWeight w : unplaced) {
            floats += floatsOf(w);
            bytes += bytesOf(w);
        }
        if (plan != null && wfUsed + floats <= wf.getSize() && wbUsed + bytes <= wb.getSize()) {
            for (TornadoWeight w : unplaced) {
                if (w.widens()) {
                    w.floatOffset = (int) wfUsed;
                    writeFloats(w.tensor(), wf, w.floatOffset);
                    uploadArenaRange(true, w.floatOffset, (int) floatsOf(w));
                    wfUsed += floatsOf(w);
                }
                if (w.keepsRaw()) {
                    w.rawOffset = (int) wbUsed;
                    MemorySegment.copy(w.tensor().data(), 0, wb.getSegment(), w.rawOffset, w.tensor().data().byteSize());
                    uploadArenaRange(false, w.rawOffset, (int) w.tensor().data().byteSize());
                    wbUsed += bytesOf(w);
                }
            }
        } else {
            retirePlan();
            rebuildArenas();
        }
        unplaced.clear();
    }

    /** Sends {@code count} floats (or bytes) of the host float (or byte) arena from {@code offset} to the device. */
    private void uploadArenaRange(boolean floats, int offset, int count) {
        for (int done = 0; done < count; done += STAGE_FLOATS) {
            int n = Math.min(STAGE_FLOATS, count - done);
            if (floats) {
                MemorySegment.copy(wf.getSegment(), 4L * (offset + done), stage.getSegment(), 0, 4L * n);
            } else {
                MemorySegment.copy(wb.getSegment(), offset + done, byteStage.getSegment(), 0, n);
            }
            params(n, offset + done);
            plan.launch(floats ? Kernel.UPLOAD_FLOATS : Kernel.UPLOAD_BYTES, n, TornadoKernels.LOCAL);
        }
    }

    /** Widens {@code t} to floats at {@code offset} of {@code arena}, row by row. */
    private static void writeFloats(Tensor t, FloatArray arena, int offset) {
        int cols = t.columns();
        float[] row = new float[cols];
        for (long r = 0; r < t.rows(); r++) {
            TensorCodecs.dequantize(t.type(), t.data(), r * t.rowBytes(), row, 0, cols);
            MemorySegment.copy(row, 0, arena.getSegment(), ValueLayout.JAVA_FLOAT, 4L * offset + 4L * r * cols, cols);
        }
    }

    /** Rebuilds both arenas from the live weights: already placed ones from the old arenas, new ones from their tensors. */
    private void rebuildArenas() {
        List<TornadoWeight> live = new ArrayList<>();
        weights.removeIf(ref -> ref.get() == null);
        long floats = TornadoKernels.TABLES_END;
        long bytes = 0;
        for (WeakReference<TornadoWeight> ref : weights) {
            TornadoWeight w = ref.get();
            if (w != null) {
                live.add(w);
                floats += floatsOf(w);
                bytes += bytesOf(w);
            }
        }
        long floatCapacity = arenaCapacity(floats, wf == null ? 0 : wf.getSize(), MIN_FLOAT_HEADROOM);
        long byteCapacity = arenaCapacity(bytes, wb == null ? 0 : wb.getSize(), MIN_BYTE_HEADROOM);
        if (floatCapacity > MAX_ARRAY_ELEMENTS || byteCapacity > MAX_ARRAY_ELEMENTS) {
            throw new Vlm4jException(String.format("the weights need %.2f GiB of F32 arena and %.2f GiB of quantised-block arena; "
                    + "the TornadoVM backend keeps each arena in one int-indexed array (at most 2^31 elements)",
                    floats * 4 / 1073741824.0, bytes / 1073741824.0));
        }
        FloatArray newWf = new FloatArray((int) floatCapacity);
        ByteArray newWb = new ByteArray((int) byteCapacity);
        TornadoKernels.writeTables(newWf, GELU_TABLE, GELU_QUICK_TABLE);
        long fAt = TornadoKernels.TABLES_END;
        long bAt = 0;
        for (TornadoWeight w : live) {
            Tensor t = w.tensor();
            if (w.widens()) {
                if (w.floatOffset >= 0) {
                    MemorySegment.copy(wf.getSegment(), 4L * w.floatOffset, newWf.getSegment(), 4L * fAt, 4 * floatsOf(w));
                } else {
                    writeFloats(t, newWf, (int) fAt);
                }
                w.floatOffset = (int) fAt;
                fAt += floatsOf(w);
            }
            if (w.keepsRaw()) {
                long size = t.data().byteSize();
                MemorySegment src = w.rawOffset >= 0 ? wb.getSegment().asSlice(w.rawOffset, size) : t.data();
                MemorySegment.copy(src, 0, newWb.getSegment(), bAt, size);
                w.rawOffset = (int) bAt;
                bAt += bytesOf(w);
            }
        }
        wf = newWf;
        wb = newWb;
        wfUsed = fAt;
        wbUsed = bAt;
        LOG.log(Logger.Level.DEBUG, () -> String.format("TornadoVM arenas rebuilt: %d weights, %.1f MiB F32, %.1f MiB raw blocks",
                live.size(), newWf.getSize() * 4 / 1048576.0, newWb.getSize() / 1048576.0));
    }

    /** The size of a rebuilt arena: what it needs plus headroom, at least doubling one that overflowed. */
    private static long arenaCapacity(long needed, long current, long minHeadroom) {
        long capacity = needed + minHeadroom;
        if (needed > current && current > 0) {
            capacity = Math.max(capacity, 2 * current);
        }
        return Math.min(Math.max(capacity, current), MAX_ARRAY_ELEMENTS + 1);
    }

    // ---- the device plan ----

    /** The current plan, built (uploading the heap and the arenas) if there is none; places new weights first. */
    private DevicePlan plan() {
        checkOpen();
        if (!unplaced.isEmpty()) {
            placeNewWeights();
        }
        if (plan == null) {
            if (wf == null) {
                rebuildArenas();
            }
            planBuilds++;
            plan = new DevicePlan(planName + "_" + planBuilds,
                    new DeviceArrays(act, wf, wb, p, f, freq, stage, byteStage, ids, result, stageParams, stageFloats, stageFreq),
                    List.copyOf(stageShapes), device, stats);
        }
        return plan;
    }

    /** Brings the device heap back to the host and drops the plan: the host copies are authoritative again. */
    private void retirePlan() {
        if (plan != null) {
            flushStage();
            plan.readAllToHost();
            plan.close();
            plan = null;
        }
    }

    /** Runs {@code kernel} with the parameters now in {@code p}/{@code f}/{@code freq}, or records it inside a stage. */
    private void launch(Kernel kernel, int items, int local) {
        DevicePlan current;
        if (unplaced.isEmpty()) {
            current = plan();
        } else { // placing weights launches upload kernels through the same parameter arrays
            int[] saved = params.clone();
            float savedFloat = f.get(0);
            current = plan();
            setParams(saved, savedFloat);
        }
        if (items <= 0) {
            return;
        }
        if (recording != null && kernel.staged) {
            recording.add(kernel, items, local);
            return;
        }
        flushStage();
        current.launch(kernel, items, local);
    }

    // ---- stages ----

    @Override
    public <T> T stage(String stageName, Supplier<T> body) {
        checkOpen();
        if (recording != null) {
            return body.get(); // stages do not nest: part of the outer one
        }
        recording = new Recording(stageName);
        T value;
        try {
            value = body.get();
        } catch (RuntimeException | Error e) {
            try {
                flushStage(); // what was issued before the failure still runs, as it would outside a stage
            } catch (RuntimeException flushFailure) {
                e.addSuppressed(flushFailure);
            }
            recording = null;
            throw e;
        }
        try {
            flushStage();
        } finally {
            recording = null;
        }
        if (adoptAfterStage) {
            adoptNewStages();
        }
        return value;
    }

    /** The launches of the stage being recorded since its last flush. */
    private final class Recording {
        final String name;
        final List<Launch> launches = new ArrayList<>();
        /** The RoPE frequency factors of the recorded RoPE launches (one set per flush), or null. */
        float[] freqs;

        Recording(String name) {
            this.name = name;
        }

        void add(Kernel kernel, int items, int local) {
            if (kernel == Kernel.ROPE) {
                float[] these = new float[params[4] / 2];
                for (int i = 0; i < these.length; i++) {
                    these[i] = freq.get(i);
                }
                if (freqs != null && !Arrays.equals(freqs, these)) {
                    flushStage(); // one set of factors per stage graph execution
                }
                freqs = these;
            }
            launches.add(new Launch(kernel, items, local, params.clone(), f.get(0)));
            if (launches.size() == DevicePlan.MAX_STAGE_TASKS) {
                flushStage();
            }
        }
    }

    /**
     * Runs the recorded launches: as their stage graph when the plan has one, else kernel by kernel (and the shape
     * is remembered for the next plan build).
     */
    private void flushStage() {
        if (recording == null || recording.launches.isEmpty()) {
            return;
        }
        List<Launch> launches = List.copyOf(recording.launches);
        float[] freqs = recording.freqs;
        recording.launches.clear();
        recording.freqs = null;
        StageShape shape = new StageShape(recording.name, launches.stream().map(Launch::kernel).toList());
        int index = plan.stageIndex(shape);
        if (index >= 0) {
            plan.runStage(index, launches, freqs);
            return;
        }
        if (stageAfter > 0 && stageShapes.size() < MAX_STAGE_GRAPHS && !stageShapes.contains(shape)
                && stageRuns.merge(shape, 1, Integer::sum) >= stageAfter) {
            stageShapes.add(shape);
            stageRuns.remove(shape);
            LOG.log(Logger.Level.DEBUG, () -> "TornadoVM stage '" + shape.name() + "' of " + shape.kernels().size()
                    + " kernels ran " + stageAfter + " times; the next plan build compiles it as one graph: " + shape.kernels());
        }
        int[] saved = params.clone();
        float savedFloat = f.get(0);
        for (Launch l : launches) {
            setParams(l.params(), l.param());
            if (l.kernel() == Kernel.ROPE) {
                for (int i = 0; i < freqs.length; i++) {
                    freq.set(i, freqs[i]);
                }
            }
            plan.launch(l.kernel(), l.items(), l.local());
        }
        setParams(saved, savedFloat); // the caller's kernel may have its parameters in place already
    }

    /**
     * After a host synchronisation: rebuilds the plan when stages of new shapes were seen, so they get graphs (inside
     * a stage, once it has ended).
     */
    private void adoptNewStages() {
        if (recording != null) {
            adoptAfterStage = true;
        } else {
            adoptAfterStage = false;
            if (plan != null && plan.stageCount() < stageShapes.size()) {
                retirePlan();
            }
        }
    }

    // ---- matrices ----

    @Override
    public Matrix matrix(int rows, int cols) {
        checkOpen();
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("matrix shape " + rows + "x" + cols);
        }
        int floats = Math.multiplyExact(rows, cols);
        int offset = allocate(floats);
        TornadoMatrix.Block block = new TornadoMatrix.Block(this);
        DeviceHeap h = heap;
        block.cleanable = cleaner.register(block, () -> h.release(offset, floats));
        zero(offset, floats);
        return new TornadoMatrix(block, offset, rows, cols);
    }

    /** A heap range of {@code floats}, growing the heap (and so retiring the plan) when none is free. */
    private int allocate(int floats) {
        int offset = heap.allocate(floats);
        if (offset >= 0) {
            return offset;
        }
        long needed = (long) heap.capacity() + DeviceHeap.aligned(floats);
        long capacity = Math.min(Math.max(2L * heap.capacity(), needed), MAX_ARRAY_ELEMENTS / DeviceHeap.ALIGN * DeviceHeap.ALIGN);
        if (capacity < needed) {
            throw new Vlm4jException("the TornadoVM device heap cannot hold another " + floats + " floats: it is limited to "
                    + MAX_ARRAY_ELEMENTS + " floats (one int-indexed array)");
        }
        retirePlan();
        FloatArray bigger = new FloatArray((int) capacity);
        MemorySegment.copy(act.getSegment(), 0, bigger.getSegment(), 0, act.getSegment().byteSize());
        act = bigger;
        heap.grow((int) capacity);
        LOG.log(Logger.Level.DEBUG, () -> "TornadoVM device heap grown to " + capacity * 4 / 1048576 + " MiB");
        return heap.allocate(floats);
    }

    private void zero(int offset, int floats) {
        if (plan == null) {
            act.getSegment().asSlice(4L * offset, 4L * floats).fill((byte) 0);
        } else {
            params(floats, offset);
            launch(Kernel.FILL, floats, TornadoKernels.LOCAL);
        }
    }

    /** A scratch range for one operation, released by the caller (kernels run in order, so reuse is safe). */
    private int scratch(int floats) {
        return allocate(floats);
    }

    private void release(int offset, int floats) {
        heap.release(offset, floats);
    }

    @Override
    public void release(Matrix m) {
        own(m).block.cleanable.clean(); // kernels run in order: a later owner of the range writes after these read
    }

    /** Floats of the device heap in use (for tests). */
    long heapFloatsInUse() {
        return heap.used();
    }

    @Override
    public void write(Matrix dst, int row, float[] src, int srcOffset, int length) {
        TornadoMatrix d = own(dst);
        KernelChecks.span(d, row, length);
        java.util.Objects.checkFromIndexSize(srcOffset, length, src.length);
        int at = d.offset + row * d.cols;
        if (plan == null) {
            MemorySegment.copy(src, srcOffset, act.getSegment(), ValueLayout.JAVA_FLOAT, 4L * at, length);
            return;
        }
        for (int done = 0; done < length; done += STAGE_FLOATS) {
            int n = Math.min(STAGE_FLOATS, length - done);
            MemorySegment.copy(src, srcOffset + done, stage.getSegment(), ValueLayout.JAVA_FLOAT, 0, n);
            params(n, at + done);
            launch(Kernel.UPLOAD, n, TornadoKernels.LOCAL);
        }
    }

    @Override
    public void read(Matrix src, int row, float[] dst, int dstOffset, int length) {
        TornadoMatrix s = own(src);
        KernelChecks.span(s, row, length);
        java.util.Objects.checkFromIndexSize(dstOffset, length, dst.length);
        int at = s.offset + row * s.cols;
        if (plan != null) {
            flushStage();
            plan.readToHost(at, length);
        }
        MemorySegment.copy(act.getSegment(), ValueLayout.JAVA_FLOAT, 4L * at, dst, dstOffset, length);
        adoptNewStages();
    }


    // ---- kernels ----

    @Override
    public void matmul(Weight w, Weight bias, Matrix x, Matrix out) {
        TornadoWeight tw = own(w);
        TornadoMatrix in = own(x);
        TornadoMatrix o = own(out);
        Tensor t = tw.tensor();
        int inDim = t.columns();
        int outDim = tw.rows();
        KernelChecks.matmul(w, outDim, x, out);
        TornadoWeight tb = bias == null ? null : own(bias);
        long biasLength = tb == null ? 0 : tb.tensor().shape().elements();
        require(tb == null || biasLength == outDim, "matmul: bias has " + biasLength + " values, expected " + outDim);
        if (t.type() == GgmlType.BF16) {
            throw new UnsupportedOperationException("the TornadoVM backend has no BF16 matmul yet (weight '" + t.name()
                    + "'): ggml rounds the activations to bf16, which needs bit operations TornadoVM's OpenCL backend lacks");
        }
        plan(); // places the weights
        int n = in.rows;
        // GPUs: a work group per output (coalesced loads). Otherwise an item per output, and for F32/F16 four
        // activation rows per item once there are four (each weight decoded once for them).
        boolean tiled = !groupMatmuls && n >= 4 && (t.type() == GgmlType.F16 || t.type() == GgmlType.F32);
        int items = tiled ? (n + 3) / 4 * outDim : n * outDim;
        int global = groupMatmuls ? items * TornadoKernels.MM_LANES : items;
        int local = groupMatmuls ? TornadoKernels.MM_LANES : TornadoKernels.LOCAL;
        Kernel kernel = switch (t.type()) {
            case F16 -> groupMatmuls ? Kernel.MATMUL_F16_GROUP : tiled ? Kernel.MATMUL_F16_X4 : Kernel.MATMUL_F16;
            case Q8_0 -> groupMatmuls ? Kernel.MATMUL_Q8_GROUP : Kernel.MATMUL_Q8;
            case Q4_0 -> groupMatmuls ? Kernel.MATMUL_Q4_GROUP : Kernel.MATMUL_Q4;
            default -> groupMatmuls ? Kernel.MATMUL_F32_GROUP : tiled ? Kernel.MATMUL_F32_X4 : Kernel.MATMUL_F32;
        };
        int biasAt = tb == null ? -1 : tb.floatOffset;
        switch (t.type()) {
            case F16 -> {
                int rounded = scratch(n * inDim);
                params(n * inDim, in.offset, 0, rounded);
                launch(Kernel.ROUND_HALF, n * inDim, TornadoKernels.LOCAL);
                params(items, rounded, o.offset, outDim, inDim, tw.rawOffset, biasAt, 0, n);
                launch(kernel, global, local);
                release(rounded, n * inDim);
            }
            case Q8_0, Q4_0 -> {
                int blocks = n * inDim / 32;
                int q = scratch(n * inDim);
                int scales = scratch(blocks);
                params(blocks, in.offset, q, scales);
                launch(Kernel.QUANTIZE_Q8, blocks, TornadoKernels.LOCAL);
                params(items, q, o.offset, outDim, inDim, tw.rawOffset, biasAt, scales);
                launch(kernel, global, local);
                release(q, n * inDim);
                release(scales, blocks);
            }
            default -> {
                int src = in.offset;
                int copy = -1;
                if (in.overlaps(o)) {
                    copy = scratch(n * inDim);
                    params(n * inDim, in.offset, 0, copy);
                    launch(Kernel.COPY, n * inDim, TornadoKernels.LOCAL);
                    src = copy;
                }
                params(items, src, o.offset, outDim, inDim, tw.floatOffset, biasAt, 0, n);
                launch(kernel, global, local);
                if (copy >= 0) {
                    release(copy, n * inDim);
                }
            }
        }
    }

    @Override
    public void getRows(Weight table, int[] rowIds, Matrix out) {
        TornadoWeight tw = own(table);
        TornadoMatrix o = own(out);
        Tensor t = tw.tensor();
        require(o.cols == t.columns() && o.rows == rowIds.length, "getRows: output shape does not match");
        for (int id : rowIds) {
            if (id < 0 || id >= t.rows()) {
                throw new IndexOutOfBoundsException("row id " + id + " outside 0.." + (t.rows() - 1) + " of '" + t.name() + "'");
            }
        }
        plan();
        int type;
        int base;
        if (tw.keepsRaw()) {
            type = switch (t.type()) {
                case F16 -> TornadoKernels.TYPE_F16;
                case Q8_0 -> TornadoKernels.TYPE_Q8_0;
                default -> TornadoKernels.TYPE_Q4_0;
            };
            base = tw.rawOffset;
        } else {
            type = TornadoKernels.TYPE_F32;
            base = tw.floatOffset;
        }
        int cols = o.cols;
        for (int from = 0; from < rowIds.length; from += ID_CHUNK) {
            int count = Math.min(ID_CHUNK, rowIds.length - from);
            for (int i = 0; i < count; i++) {
                ids.set(i, rowIds[from + i]);
            }
            params(count * cols, o.offset + from * cols, cols, type, base, (int) t.rowBytes());
            launch(Kernel.GET_ROWS, count * cols, TornadoKernels.LOCAL);
        }
    }

    @Override
    public void rmsNorm(Matrix x, Weight weight, float eps, Matrix out) {
        TornadoMatrix in = own(x);
        TornadoMatrix o = own(out);
        sameShape(in, o, "rmsNorm");
        TornadoWeight w = floatWeight(weight, in.cols, "rmsNorm");
        plan();
        params(in.rows, in.offset, o.offset, in.cols, w.floatOffset);
        f.set(0, eps);
        launch(Kernel.RMS_NORM, in.rows * TornadoKernels.GROUP, TornadoKernels.GROUP);
    }

    @Override
    public void layerNorm(Matrix x, Weight weight, Weight bias, float eps, Matrix out) {
        TornadoMatrix in = own(x);
        TornadoMatrix o = own(out);
        sameShape(in, o, "layerNorm");
        TornadoWeight w = weight == null ? null : floatWeight(weight, in.cols, "layerNorm");
        TornadoWeight b = bias == null ? null : floatWeight(bias, in.cols, "layerNorm");
        plan();
        params(in.rows, in.offset, o.offset, in.cols, w == null ? -1 : w.floatOffset, b == null ? -1 : b.floatOffset);
        f.set(0, eps);
        launch(Kernel.LAYER_NORM, in.rows * TornadoKernels.GROUP, TornadoKernels.GROUP);
    }

    /** A norm weight or bias: must be read as {@code length} floats. */
    private TornadoWeight floatWeight(Weight weight, int length, String op) {
        TornadoWeight w = own(weight);
        require(w.tensor().shape().elements() == length && w.widens(),
                op + ": weight '" + w.tensor().name() + "' has shape " + w.tensor().shape() + ", expected " + length + " values");
        return w;
    }

    @Override
    public void rope(Matrix x, int headDim, Rope rope, int firstPosition) {
        TornadoMatrix m = own(x);
        require(m.cols % headDim == 0, "rope: " + m.cols + " columns is not a whole number of heads of " + headDim);
        require(rope.dims() <= headDim, "rope: rotates " + rope.dims() + " dims of a " + headDim + "-dim head");
        int pairs = rope.dims() / 2;
        require(pairs <= MAX_ROPE_PAIRS, "rope: " + rope.dims() + " rotated dims exceed the TornadoVM backend's " + 2 * MAX_ROPE_PAIRS);
        int heads = m.cols / headDim;
        f.set(0, (float) Math.pow(rope.theta(), -2.0f / rope.dims()));
        for (int i = 0; i < pairs; i++) {
            freq.set(i, rope.freqFactor(i));
        }
        int items = m.rows * heads * pairs;
        params(items, m.offset, m.cols, headDim, rope.dims(), firstPosition, rope.style() == RopeStyle.NORMAL ? 0 : 1, heads);
        launch(Kernel.ROPE, items, TornadoKernels.LOCAL);
    }

    @Override
    public void attention(Matrix q, Matrix k, Matrix v, Matrix out, AttentionShape shape, int kvLength,
                          boolean causal, int firstQueryPosition) {
        TornadoMatrix qm = own(q);
        TornadoMatrix km = own(k);
        TornadoMatrix vm = own(v);
        TornadoMatrix om = own(out);
        require(qm.cols == shape.queryWidth() && om.cols == shape.queryWidth() && om.rows == qm.rows, "attention: q/out shape");
        require(km.cols == shape.kvWidth() && vm.cols == shape.kvWidth(), "attention: k/v width");
        require(kvLength <= km.rows && kvLength <= vm.rows, "attention: kvLength " + kvLength + " exceeds the cache");
        require(kvLength > 0, "attention: kvLength must be positive");
        int groups = qm.rows * shape.heads();
        // p[11] is unused: the kernel recomputes scores instead of keeping them in scratch memory.
        params(groups, qm.offset, km.offset, vm.offset, om.offset, shape.heads(), shape.kvHeads(), shape.headDim(),
                kvLength, causal ? 1 : 0, firstQueryPosition, 0, qm.cols, km.cols);
        f.set(0, shape.scale());
        launch(Kernel.ATTENTION, groups * TornadoKernels.GROUP, TornadoKernels.GROUP);
    }

    @Override
    public void activation(Activation fn, Matrix x, Matrix out) {
        TornadoMatrix in = own(x);
        TornadoMatrix o = own(out);
        sameShape(in, o, "activation");
        int kind = switch (fn) {
            case SILU -> TornadoKernels.SILU;
            case GELU -> TornadoKernels.GELU;
            case GELU_ERF -> TornadoKernels.GELU_ERF;
            case GELU_QUICK -> TornadoKernels.GELU_QUICK;
        };
        params(in.size(), in.offset, kind, o.offset);
        launch(Kernel.ACTIVATION, in.size(), TornadoKernels.LOCAL);
    }

    @Override
    public void swiglu(Matrix gate, Matrix up, Matrix out) {
        elementwise(Kernel.SWIGLU, gate, up, out, "swiglu");
    }

    @Override
    public void add(Matrix a, Matrix b, Matrix out) {
        elementwise(Kernel.ADD, a, b, out, "add");
    }

    @Override
    public void mul(Matrix a, Matrix b, Matrix out) {
        elementwise(Kernel.MUL, a, b, out, "mul");
    }

    private void elementwise(Kernel kernel, Matrix a, Matrix b, Matrix out, String op) {
        TornadoMatrix x = own(a);
        TornadoMatrix y = own(b);
        TornadoMatrix o = own(out);
        sameShape(x, y, op);
        sameShape(x, o, op);
        params(x.size(), x.offset, y.offset, o.offset);
        launch(kernel, x.size(), TornadoKernels.LOCAL);
    }

    @Override
    public void copy(Matrix src, Matrix dst) {
        TornadoMatrix s = own(src);
        TornadoMatrix d = own(dst);
        sameShape(s, d, "copy");
        if (s.offset == d.offset) {
            return;
        }
        int n = s.size();
        if (s.overlaps(d)) { // element-parallel copy of overlapping ranges would race: go through scratch
            int tmp = scratch(n);
            params(n, s.offset, 0, tmp);
            launch(Kernel.COPY, n, TornadoKernels.LOCAL);
            params(n, tmp, 0, d.offset);
            launch(Kernel.COPY, n, TornadoKernels.LOCAL);
            release(tmp, n);
            return;
        }
        params(n, s.offset, 0, d.offset);
        launch(Kernel.COPY, n, TornadoKernels.LOCAL);
    }

    @Override
    public void softmax(Matrix x, Matrix out) {
        TornadoMatrix in = own(x);
        TornadoMatrix o = own(out);
        sameShape(in, o, "softmax");
        params(in.rows, in.offset, o.offset, in.cols);
        launch(Kernel.SOFTMAX, in.rows * TornadoKernels.GROUP, TornadoKernels.GROUP);
    }

    @Override
    public int argmax(Matrix x, int row) {
        TornadoMatrix m = own(x);
        java.util.Objects.checkIndex(row, m.rows);
        require(m.cols > 0, "argmax of an empty row");
        params(m.cols, m.offset + row * m.cols);
        launch(Kernel.ARGMAX, TornadoKernels.GROUP, TornadoKernels.GROUP);
        flushStage(); // inside a stage, its graph ends with the argmax and brings the result back
        int id = result.get(0);
        adoptNewStages();
        return id;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (plan != null) {
            plan.close();
            plan = null;
        }
        LOG.log(Logger.Level.DEBUG, () -> name + ": " + stats.snapshot());
    }

    // ---- helpers ----

    /** All parameter slots and the float parameter, as saved from (or recorded with) a launch. */
    private void setParams(int[] ints, float value) {
        params(ints);
        f.set(0, value);
    }

    /** Sets the first parameter slots (the rest keep their values, as kernels ignore them). */
    private void params(int... values) {
        for (int i = 0; i < values.length; i++) {
            p.set(i, values[i]);
            params[i] = values[i];
        }
    }

    private TornadoMatrix own(Matrix m) {
        if (m instanceof TornadoMatrix t && t.block.owner() == this) {
            return t;
        }
        throw new IllegalArgumentException("matrix " + m + " does not belong to this TornadoVM backend");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }

    private static void sameShape(TornadoMatrix a, TornadoMatrix b, String op) {
        require(a.rows == b.rows && a.cols == b.cols, op + ": shapes " + a.rows + "x" + a.cols + " and " + b.rows + "x" + b.cols + " differ");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
