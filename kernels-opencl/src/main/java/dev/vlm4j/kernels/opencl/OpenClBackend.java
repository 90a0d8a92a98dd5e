package dev.vlm4j.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.vlm4j.kernels.KernelChecks;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendUnavailableException;
import dev.vlm4j.kernels.GgmlMath;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.kernels.RopeStyle;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.UnsupportedTensorTypeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenCL backend: our own OpenCL C kernels (resources next to this class) on one device, driven through
 * {@link OpenClLibrary}. Weights are uploaded once, in their GGUF block layout; matrices are device buffers (a view is
 * the same buffer at a row offset); kernels are queued in call order on one in-order queue and only {@link #read} and
 * {@link #argmax} wait for them.
 *
 * <p>It computes what {@link dev.vlm4j.kernels.cpu.CpuBackend} computes: F16/BF16 weights meet activations rounded to
 * that type, Q8_0/Q4_0 weights meet activations quantised to Q8_0 blocks with integer dot products, GELUs go through
 * ggml's fp16 tables (uploaded). Sums run in a different order (in parallel), so results differ from the CPU's by
 * float32 rounding. Weight types: F32, F16, BF16, Q8_0, Q4_0; any other is refused when the weight is made
 * ({@link UnsupportedTensorTypeException}).
 *
 * <p>Device memory is released when the backend closes, or earlier when a matrix or weight becomes unreachable.
 */
public final class OpenClBackend implements Backend {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final List<String> SOURCES = List.of("common.cl", "matmul.cl", "norm.cl", "elementwise.cl", "rope.cl", "attention.cl");
    private static final List<String> KERNELS = List.of("quantize_q8_0", "round_f16", "round_bf16", "matmul_q8_0", "matmul_q4_0",
            "matmul_f32", "matmul_f16", "matmul_bf16", "rms_norm", "layer_norm", "softmax", "argmax", "activation", "swiglu", "add",
            "mul", "get_rows", "rope", "attention");
    /** Largest attention head the attention kernel handles (its per-item accumulators are sized by it). */
    static final int HEAD_DIM_MAX = 256;
    /** Staged host data (non-blocking writes) beyond which the backend waits for the queue and frees it. */
    private static final long STAGING_LIMIT = 256L << 20;

    private final OpenClLibrary cl;
    private final OpenClDevice device;
    private final Geometry geometry;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final MemorySegment program;
    private final Map<String, MemorySegment> kernels = new HashMap<>();
    /** Addresses of the cl_mem objects not yet released; whoever removes one releases it (close or the Cleaner). */
    private final Set<Long> live = ConcurrentHashMap.newKeySet();
    /** Argument values and NDRange sizes handed to OpenCL (copied by it before each call returns). */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment argSlot = arena.allocate(8, 8);
    private final MemorySegment globalSize = arena.allocate(JAVA_LONG, 3);
    private final MemorySegment localSize = arena.allocate(JAVA_LONG, 3);
    private final MemorySegment resultSlot = arena.allocate(JAVA_INT);
    /** Host memory of queued non-blocking writes: kept reachable until the queue has been waited for. */
    private final List<MemorySegment> staging = new ArrayList<>();
    private long stagedBytes;
    private final DeviceBuffer dummy;
    private final Scratch activations = new Scratch("matmul activations");
    private final Scratch scales = new Scratch("matmul activation scales");
    private final Scratch ids = new Scratch("row ids");
    private final Scratch overlapCopy = new Scratch("overlapping copy");
    private final DeviceBuffer argmaxResult;
    private final Map<Activation, DeviceBuffer> tables = new EnumMap<>(Activation.class);
    private final Map<Rope, DeviceBuffer> ropeFactors = new IdentityHashMap<>();
    private boolean closed;

    /**
     * How the kernels are laid out for this device: row-wise kernels use {@code wg} items per work-group; a matmul
     * output is shared by {@code tpr} items (1 on a CPU device, where one item walking a whole row is fastest; a warp
     * on a GPU, so that neighbouring items read neighbouring blocks), {@code rows} outputs per work-group, {@code rt}
     * activation rows per item.
     */
    record Geometry(int wg, int tpr, int rows, int rt) {
        static Geometry forDevice(OpenClDevice d) {
            int max = (int) Math.min(1024, Math.max(1, d.maxWorkGroupSize()));
            int wg = Math.min(64, Integer.highestOneBit(max));
            if (d.isCpu()) {
                return new Geometry(wg, 1, Math.min(16, wg), 8);
            }
            int tpr = Math.min(32, wg);
            return new Geometry(wg, tpr, Math.max(1, Math.min(4, max / tpr)), 8);
        }

        String defines() {
            return "-DWG=" + wg + " -DMM_TPR=" + tpr + " -DMM_ROWS=" + rows + " -DMM_RT=" + rt + " -DHEAD_DIM_MAX=" + HEAD_DIM_MAX;
        }
    }

    OpenClBackend(OpenClLibrary cl, OpenClDevice device) {
        this.cl = cl;
        this.device = device;
        this.geometry = Geometry.forDevice(device);
        if (HEAD_DIM_MAX % geometry.wg() != 0) {
            throw new BackendUnavailableException(device.name() + " runs work-groups of at most " + device.maxWorkGroupSize()
                    + " items; vlm4j's OpenCL kernels need a power of two that divides " + HEAD_DIM_MAX);
        }
        MemorySegment ctx = null;
        MemorySegment q = null;
        MemorySegment prog = null;
        try {
            ctx = cl.createContext(device.platform(), device.handle());
            q = cl.createCommandQueue(ctx, device.handle(), 0);
            String options = geometry.defines() + (device.correctlyRoundedDivideSqrt() ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
            prog = cl.buildProgram(ctx, device.handle(), source(), options);
            for (String name : KERNELS) {
                kernels.put(name, cl.createKernel(prog, name));
            }
        } catch (RuntimeException e) {
            kernels.values().forEach(cl::releaseKernel);
            cl.releaseProgram(prog);
            cl.releaseCommandQueue(q);
            cl.releaseContext(ctx);
            arena.close();
            throw e;
        }
        this.context = ctx;
        this.queue = q;
        this.program = prog;
        this.dummy = allocate(16, null, "placeholder argument");
        this.argmaxResult = allocate(4, null, "argmax result");
    }

    /** The OpenCL C program: the resources concatenated, common definitions first. */
    static String source() {
        StringBuilder sb = new StringBuilder();
        for (String name : SOURCES) {
            try (InputStream in = OpenClBackend.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("kernel source " + name + " is missing from the vlm4j jar");
                }
                sb.append("// ---- ").append(name).append(" ----\n").append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read kernel source " + name, e);
            }
        }
        return sb.toString();
    }

    @Override
    public String name() {
        return "opencl (" + device.name() + ", " + device.platformName() + ")";
    }

    /** The device this backend runs on, as {@code vlm4j devices} lists it. */
    public dev.vlm4j.kernels.DeviceInfo device() {
        return device.info();
    }

    // ---- memory ----

    /** One cl_mem, shared by a matrix and its views (or owned by a weight); released by close or the Cleaner. */
    static final class DeviceBuffer {
        final MemorySegment handle;
        final long bytes;
        /** Releases the cl_mem at most once: on {@link #release}, or by the Cleaner. */
        private Cleaner.Cleanable cleanable;

        private DeviceBuffer(MemorySegment handle, long bytes) {
            this.handle = handle;
            this.bytes = bytes;
        }
    }

    private record Release(OpenClLibrary cl, long address, Set<Long> live) implements Runnable {
        @Override
        public void run() {
            if (live.remove(address)) {
                cl.releaseMemObject(MemorySegment.ofAddress(address));
            }
        }
    }

    /** A device buffer of {@code bytes} bytes, filled from {@code initial} (native memory) when it is not null. */
    private DeviceBuffer allocate(long bytes, MemorySegment initial, String what) {
        checkOpen();
        if (bytes > device.maxAllocationBytes()) {
            throw new OpenClException("clCreateBuffer", -61, what + " needs " + bytes + " bytes in one buffer; " + device.name()
                    + " allows at most " + device.maxAllocationBytes());
        }
        MemorySegment handle = cl.createBuffer(context, OpenClLibrary.CL_MEM_READ_WRITE, Math.max(bytes, 4), initial);
        DeviceBuffer b = new DeviceBuffer(handle, bytes);
        live.add(handle.address());
        b.cleanable = CLEANER.register(b, new Release(cl, handle.address(), live));
        return b;
    }

    /** A device copy of {@code data} (a mapped file region or any other segment; heap data goes through native memory). */
    private DeviceBuffer upload(MemorySegment data, String what) {
        if (data.isNative()) {
            return allocate(data.byteSize(), data, what);
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment copy = tmp.allocate(Math.max(1, data.byteSize()), 16);
            copy.copyFrom(data);
            return allocate(data.byteSize(), copy, what);
        }
    }

    private DeviceBuffer upload(float[] values, String what) {
        return upload(MemorySegment.ofArray(values), what);
    }

    /** A device buffer that grows on demand; the old one is released (OpenCL keeps it until queued work is done). */
    private final class Scratch {
        private final String what;
        private DeviceBuffer buffer;

        Scratch(String what) {
            this.what = what;
        }

        DeviceBuffer atLeast(long bytes) {
            if (buffer == null || buffer.bytes < bytes) {
                buffer = allocate(Math.max(bytes, buffer == null ? 0 : buffer.bytes + buffer.bytes / 2), null, what);
            }
            return buffer;
        }
    }

    @Override
    public Weight weight(Tensor tensor) {
        GgmlType type = tensor.type();
        switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> {
            }
            default -> throw new UnsupportedTensorTypeException(type, "tensor '" + tensor.name() + "' is " + type
                    + "; the OpenCL backend computes with F32, F16, BF16, Q8_0 and Q4_0 weights");
        }
        return new OpenClWeight(this, tensor, upload(tensor.data(), "tensor '" + tensor.name() + "'"));
    }

    /** A weight's values as F32 on the device (norm weights, biases); made once, on first use, for non-F32 types. */
    DeviceBuffer f32(OpenClWeight w) {
        if (w.tensor().type() == GgmlType.F32) {
            return w.raw();
        }
        if (w.f32 == null) {
            w.f32 = upload(w.tensor().toFloats(), "tensor '" + w.tensor().name() + "' as F32");
        }
        return w.f32;
    }

    @Override
    public Matrix matrix(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("matrix shape " + rows + "x" + cols);
        }
        long bytes = 4L * Math.multiplyExact(rows, cols);
        DeviceBuffer b = allocate(bytes, null, "a " + rows + "x" + cols + " matrix");
        if (bytes > 0) {
            argSlot.set(JAVA_FLOAT, 0, 0f);
            cl.enqueueFill(queue, b.handle, argSlot.asSlice(0, 4), 0, bytes);
        }
        return new OpenClMatrix(this, b, 0, rows, cols);
    }

    @Override
    public void release(Matrix m) {
        own(m).buffer.cleanable.clean(); // OpenCL keeps the cl_mem until the kernels queued on it have run
    }

    /** How many device buffers (matrices and weights) are allocated now. */
    public int liveBuffers() {
        return live.size();
    }

    @Override
    public void write(Matrix dst, int row, float[] src, int srcOffset, int length) {
        OpenClMatrix d = own(dst);
        KernelChecks.span(d, row, length);
        java.util.Objects.checkFromIndexSize(srcOffset, length, src.length);
        if (length == 0) {
            return;
        }
        MemorySegment host = stage(4L * length);
        MemorySegment.copy(src, srcOffset, host, JAVA_FLOAT, 0, length);
        cl.enqueueWrite(queue, d.buffer.handle, false, 4L * (d.offset + (long) row * d.cols), 4L * length, host);
    }

    @Override
    public void read(Matrix src, int row, float[] dst, int dstOffset, int length) {
        OpenClMatrix s = own(src);
        KernelChecks.span(s, row, length);
        java.util.Objects.checkFromIndexSize(dstOffset, length, dst.length);
        if (length == 0) {
            return;
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocate(4L * length, 8);
            cl.enqueueRead(queue, s.buffer.handle, true, 4L * (s.offset + (long) row * s.cols), 4L * length, host);
            MemorySegment.copy(host, JAVA_FLOAT, 0, dst, dstOffset, length);
        }
        synced();
    }

    /** Native memory for a non-blocking write, kept until the queue has been waited for. */
    private MemorySegment stage(long bytes) {
        if (stagedBytes + bytes > STAGING_LIMIT) {
            cl.finish(queue);
            synced();
        }
        MemorySegment m = Arena.ofAuto().allocate(bytes, 8);
        staging.add(m);
        stagedBytes += bytes;
        return m;
    }

    /** Everything queued so far has finished: staged host memory can go. */
    private void synced() {
        staging.clear();
        stagedBytes = 0;
    }


    // ---- kernels ----

    @Override
    public void matmul(Weight w, Weight bias, Matrix x, Matrix out) {
        OpenClWeight ow = own(w);
        OpenClMatrix in = own(x);
        OpenClMatrix o = own(out);
        Tensor t = ow.tensor();
        int inDim = t.columns();
        int outDim = ow.rows();
        KernelChecks.matmul(w, outDim, x, out);
        require(in.buffer != o.buffer, "matmul: input and output must not share storage");
        DeviceBuffer b = dummy;
        if (bias != null) {
            OpenClWeight ob = own(bias);
            require(ob.tensor().shape().elements() == outDim, "matmul: bias has " + ob.tensor().shape().elements() + " values, expected " + outDim);
            b = f32(ob);
        }
        int n = in.rows;
        if (n == 0 || outDim == 0) {
            return;
        }
        long count = (long) n * inDim;
        String kernel;
        Launch launch;
        switch (t.type()) {
            case Q8_0, Q4_0 -> {
                int blocks = Math.toIntExact(count / 32);
                DeviceBuffer q = activations.atLeast(count);
                DeviceBuffer d = scales.atLeast(4L * blocks);
                new Launch("quantize_q8_0").arg(in.buffer).arg(in.offset).arg(blocks).arg(q).arg(d).run1(blocks);
                kernel = t.type() == GgmlType.Q8_0 ? "matmul_q8_0" : "matmul_q4_0";
                launch = new Launch(kernel).arg(ow.raw()).arg(inDim).arg(outDim).arg(n).arg(q).arg(d);
            }
            case F16, BF16 -> {
                DeviceBuffer h = activations.atLeast(2 * count);
                new Launch(t.type() == GgmlType.F16 ? "round_f16" : "round_bf16")
                        .arg(in.buffer).arg(in.offset).arg(Math.toIntExact(count)).arg(h).run1(count);
                kernel = t.type() == GgmlType.F16 ? "matmul_f16" : "matmul_bf16";
                launch = new Launch(kernel).arg(ow.raw()).arg(inDim).arg(outDim).arg(n).arg(h);
            }
            case F32 -> {
                kernel = "matmul_f32";
                launch = new Launch(kernel).arg(ow.raw()).arg(inDim).arg(outDim).arg(n).arg(in.buffer).arg(in.offset);
            }
            default -> throw new UnsupportedTensorTypeException(t.type());
        }
        Geometry g = geometry;
        launch.arg(b).arg(bias != null ? 1 : 0).arg(o.buffer).arg(o.offset)
                .run(g.tpr(), roundUp(outDim, g.rows()), (n + g.rt() - 1) / g.rt(), g.tpr(), g.rows(), 1);
    }

    @Override
    public void getRows(Weight table, int[] rowIds, Matrix out) {
        OpenClWeight w = own(table);
        OpenClMatrix o = own(out);
        Tensor t = w.tensor();
        require(o.cols == t.columns() && o.rows == rowIds.length, "getRows: output shape does not match");
        for (int id : rowIds) {
            if (id < 0 || id >= t.rows()) {
                throw new IndexOutOfBoundsException("row id " + id + " outside 0.." + (t.rows() - 1) + " of '" + t.name() + "'");
            }
        }
        if (rowIds.length == 0 || o.cols == 0) {
            return;
        }
        DeviceBuffer idBuffer = ids.atLeast(4L * rowIds.length);
        MemorySegment host = stage(4L * rowIds.length);
        MemorySegment.copy(rowIds, 0, host, JAVA_INT, 0, rowIds.length);
        cl.enqueueWrite(queue, idBuffer.handle, false, 0, 4L * rowIds.length, host);
        new Launch("get_rows").arg(w.raw()).arg(t.type().id()).arg(o.cols).arg(t.rowBytes()).arg(idBuffer).arg(o.buffer).arg(o.offset)
                .run(o.cols, rowIds.length, 1, 0, 0, 0);
    }

    @Override
    public void rmsNorm(Matrix x, Weight weight, float eps, Matrix out) {
        OpenClMatrix in = own(x);
        OpenClMatrix o = own(out);
        sameShape(in, o, "rmsNorm");
        OpenClWeight w = own(weight);
        require(w.tensor().shape().elements() == in.cols, "rmsNorm: weight has " + w.tensor().shape().elements() + " values, rows have " + in.cols);
        if (in.rows == 0) {
            return;
        }
        new Launch("rms_norm").arg(in.buffer).arg(in.offset).arg(f32(w)).arg(o.buffer).arg(o.offset).arg(in.cols).arg(eps)
                .run((long) geometry.wg() * in.rows, 1, 1, geometry.wg(), 1, 1);
    }

    @Override
    public void layerNorm(Matrix x, Weight weight, Weight bias, float eps, Matrix out) {
        OpenClMatrix in = own(x);
        OpenClMatrix o = own(out);
        sameShape(in, o, "layerNorm");
        DeviceBuffer wb = dummy;
        DeviceBuffer bb = dummy;
        if (weight != null) {
            OpenClWeight w = own(weight);
            require(w.tensor().shape().elements() == in.cols, "layerNorm: weight has " + w.tensor().shape().elements() + " values, rows have " + in.cols);
            wb = f32(w);
        }
        if (bias != null) {
            OpenClWeight b = own(bias);
            require(b.tensor().shape().elements() == in.cols, "layerNorm: bias has " + b.tensor().shape().elements() + " values, rows have " + in.cols);
            bb = f32(b);
        }
        if (in.rows == 0) {
            return;
        }
        new Launch("layer_norm").arg(in.buffer).arg(in.offset).arg(wb).arg(weight != null ? 1 : 0).arg(bb).arg(bias != null ? 1 : 0)
                .arg(o.buffer).arg(o.offset).arg(in.cols).arg(eps)
                .run((long) geometry.wg() * in.rows, 1, 1, geometry.wg(), 1, 1);
    }

    @Override
    public void rope(Matrix x, int headDim, Rope rope, int firstPosition) {
        OpenClMatrix m = own(x);
        require(headDim > 0 && m.cols % headDim == 0, "rope: " + m.cols + " columns is not a whole number of heads of " + headDim);
        require(rope.dims() <= headDim, "rope: rotates " + rope.dims() + " dims of a " + headDim + "-dim head");
        if (m.rows == 0) {
            return;
        }
        float thetaScale = (float) Math.pow(rope.theta(), -2.0f / rope.dims());
        DeviceBuffer factors = ropeFactors(rope);
        new Launch("rope").arg(m.buffer).arg(m.offset).arg(m.cols).arg(headDim).arg(rope.dims())
                .arg(rope.style() == RopeStyle.NEOX ? 1 : 0).arg(thetaScale).arg(firstPosition)
                .arg(factors == null ? dummy : factors).arg(factors == null ? 0 : 1)
                .run(rope.dims() / 2, m.cols / headDim, m.rows, 0, 0, 0);
    }

    /** The rope's frequency factors on the device, uploaded once per Rope (a model keeps one). */
    private DeviceBuffer ropeFactors(Rope rope) {
        float[] probe = null;
        DeviceBuffer b = ropeFactors.get(rope);
        if (b == null && !ropeFactors.containsKey(rope)) {
            probe = rope.freqFactors();
            if (ropeFactors.size() >= 16) {
                ropeFactors.clear();      // a caller making Rope objects per call: do not hoard buffers
            }
            b = probe == null ? null : upload(probe, "rope frequency factors");
            ropeFactors.put(rope, b);
        }
        return b;
    }

    @Override
    public void attention(Matrix q, Matrix k, Matrix v, Matrix out, AttentionShape shape, int kvLength,
                          boolean causal, int firstQueryPosition) {
        OpenClMatrix qm = own(q);
        OpenClMatrix km = own(k);
        OpenClMatrix vm = own(v);
        OpenClMatrix om = own(out);
        require(qm.cols == shape.queryWidth() && om.cols == shape.queryWidth() && om.rows == qm.rows, "attention: q/out shape");
        require(km.cols == shape.kvWidth() && vm.cols == shape.kvWidth(), "attention: k/v width");
        require(kvLength >= 0 && kvLength <= km.rows && kvLength <= vm.rows, "attention: kvLength " + kvLength + " exceeds the cache");
        if (shape.headDim() > HEAD_DIM_MAX) {
            throw new UnsupportedOperationException("the OpenCL attention kernel handles heads of up to " + HEAD_DIM_MAX
                    + " values; this model's are " + shape.headDim());
        }
        if (qm.rows == 0) {
            return;
        }
        new Launch("attention").arg(qm.buffer).arg(qm.offset).arg(km.buffer).arg(km.offset).arg(vm.buffer).arg(vm.offset)
                .arg(om.buffer).arg(om.offset).arg(shape.heads()).arg(shape.kvHeads()).arg(shape.headDim()).arg(shape.scale())
                .arg(kvLength).arg(causal ? 1 : 0).arg(firstQueryPosition)
                .run((long) geometry.wg() * qm.rows * shape.heads(), 1, 1, geometry.wg(), 1, 1);
    }

    @Override
    public void activation(Activation f, Matrix x, Matrix out) {
        OpenClMatrix in = own(x);
        OpenClMatrix o = own(out);
        sameShape(in, o, "activation");
        int count = Math.toIntExact(in.elements());
        if (count == 0) {
            return;
        }
        int fn = switch (f) {
            case SILU -> 0;
            case GELU -> 1;
            case GELU_ERF -> 2;
            case GELU_QUICK -> 3;
        };
        new Launch("activation").arg(fn).arg(in.buffer).arg(in.offset).arg(o.buffer).arg(o.offset).arg(count).arg(table(f)).run1(count);
    }

    /**
     * ggml's fp16 table for GELU or quick GELU, fp16 bits of f(h) for every fp16 value h, uploaded on first use.
     * Built from {@link GgmlMath}, which defines the CPU's values, so both backends read the same table.
     */
    private DeviceBuffer table(Activation f) {
        if (f != Activation.GELU && f != Activation.GELU_QUICK) {
            return dummy;
        }
        return tables.computeIfAbsent(f, a -> {
            short[] t = new short[1 << 16];
            for (int i = 0; i < t.length; i++) {
                float h = Float.float16ToFloat((short) i);
                t[i] = Float.floatToFloat16(a == Activation.GELU ? GgmlMath.gelu(h) : GgmlMath.geluQuick(h));
            }
            return upload(MemorySegment.ofArray(t), a + " table");
        });
    }

    @Override
    public void swiglu(Matrix gate, Matrix up, Matrix out) {
        OpenClMatrix g = own(gate);
        OpenClMatrix u = own(up);
        OpenClMatrix o = own(out);
        sameShape(g, u, "swiglu");
        sameShape(g, o, "swiglu");
        elementwise("swiglu", g, u, o);
    }

    @Override
    public void add(Matrix a, Matrix b, Matrix out) {
        OpenClMatrix x = own(a);
        OpenClMatrix y = own(b);
        OpenClMatrix o = own(out);
        sameShape(x, y, "add");
        sameShape(x, o, "add");
        elementwise("add", x, y, o);
    }

    @Override
    public void mul(Matrix a, Matrix b, Matrix out) {
        OpenClMatrix x = own(a);
        OpenClMatrix y = own(b);
        OpenClMatrix o = own(out);
        sameShape(x, y, "mul");
        sameShape(x, o, "mul");
        elementwise("mul", x, y, o);
    }

    private void elementwise(String kernel, OpenClMatrix a, OpenClMatrix b, OpenClMatrix o) {
        int count = Math.toIntExact(a.elements());
        if (count > 0) {
            new Launch(kernel).arg(a.buffer).arg(a.offset).arg(b.buffer).arg(b.offset).arg(o.buffer).arg(o.offset).arg(count).run1(count);
        }
    }

    @Override
    public void copy(Matrix src, Matrix dst) {
        OpenClMatrix s = own(src);
        OpenClMatrix d = own(dst);
        sameShape(s, d, "copy");
        long bytes = 4L * s.elements();
        if (bytes == 0 || (s.buffer == d.buffer && s.offset == d.offset)) {
            return;
        }
        long so = 4L * s.offset;
        long dOff = 4L * d.offset;
        if (s.buffer == d.buffer && so < dOff + bytes && dOff < so + bytes) {
            // OpenCL refuses overlapping copies (CL_MEM_COPY_OVERLAP): go through a scratch buffer, as memmove would.
            DeviceBuffer tmp = overlapCopy.atLeast(bytes);
            cl.enqueueCopy(queue, s.buffer.handle, tmp.handle, so, 0, bytes);
            cl.enqueueCopy(queue, tmp.handle, d.buffer.handle, 0, dOff, bytes);
            return;
        }
        cl.enqueueCopy(queue, s.buffer.handle, d.buffer.handle, so, dOff, bytes);
    }

    @Override
    public void softmax(Matrix x, Matrix out) {
        OpenClMatrix in = own(x);
        OpenClMatrix o = own(out);
        sameShape(in, o, "softmax");
        if (in.rows == 0) {
            return;
        }
        new Launch("softmax").arg(in.buffer).arg(in.offset).arg(o.buffer).arg(o.offset).arg(in.cols)
                .run((long) geometry.wg() * in.rows, 1, 1, geometry.wg(), 1, 1);
    }

    @Override
    public int argmax(Matrix x, int row) {
        OpenClMatrix m = own(x);
        if (row < 0 || row >= m.rows) {
            throw new IndexOutOfBoundsException("row " + row + " of a " + m.rows + "-row matrix");
        }
        if (m.cols == 0) {
            return 0;
        }
        new Launch("argmax").arg(m.buffer).arg(m.offset + row * m.cols).arg(m.cols).arg(argmaxResult)
                .run(geometry.wg(), 1, 1, geometry.wg(), 1, 1);
        cl.enqueueRead(queue, argmaxResult.handle, true, 0, 4, resultSlot);
        synced();
        return resultSlot.get(JAVA_INT, 0);
    }

    /** Waits until every queued kernel has finished. */
    public void finish() {
        checkOpen();
        cl.finish(queue);
        synced();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            cl.finish(queue);
        } finally {
            closed = true;
            synced();
            for (Long address : live) {
                if (live.remove(address)) {
                    cl.releaseMemObject(MemorySegment.ofAddress(address));
                }
            }
            kernels.values().forEach(cl::releaseKernel);
            kernels.clear();
            cl.releaseProgram(program);
            cl.releaseCommandQueue(queue);
            cl.releaseContext(context);
            arena.close();
        }
    }

    // ---- launching ----

    /** Sets one kernel's arguments in order, then enqueues it. */
    private final class Launch {
        private final String name;
        private final MemorySegment kernel;
        private int index;

        Launch(String name) {
            checkOpen();
            this.name = name;
            this.kernel = kernels.get(name);
        }

        Launch arg(DeviceBuffer b) {
            argSlot.set(ADDRESS, 0, b.handle);
            cl.setKernelArg(kernel, index++, ADDRESS.byteSize(), argSlot, name);
            return this;
        }

        Launch arg(int v) {
            argSlot.set(JAVA_INT, 0, v);
            cl.setKernelArg(kernel, index++, 4, argSlot, name);
            return this;
        }

        Launch arg(long v) {
            argSlot.set(JAVA_LONG, 0, v);
            cl.setKernelArg(kernel, index++, 8, argSlot, name);
            return this;
        }

        Launch arg(float v) {
            argSlot.set(JAVA_FLOAT, 0, v);
            cl.setKernelArg(kernel, index++, 4, argSlot, name);
            return this;
        }

        /** One dimension of {@code count} items, work-group size left to the driver. */
        void run1(long count) {
            run(count, 1, 1, 0, 0, 0);
        }

        /** Global size (g0, g1, g2) with work-groups (l0, l1, l2), or the driver's choice when l0 is 0. */
        void run(long g0, long g1, long g2, long l0, long l1, long l2) {
            int dims = g2 > 1 || l2 > 1 ? 3 : g1 > 1 || l1 > 1 ? 2 : 1;
            globalSize.setAtIndex(JAVA_LONG, 0, g0);
            globalSize.setAtIndex(JAVA_LONG, 1, g1);
            globalSize.setAtIndex(JAVA_LONG, 2, g2);
            localSize.setAtIndex(JAVA_LONG, 0, l0);
            localSize.setAtIndex(JAVA_LONG, 1, l1);
            localSize.setAtIndex(JAVA_LONG, 2, l2);
            cl.enqueueNDRange(queue, kernel, dims, globalSize, l0 == 0 ? MemorySegment.NULL : localSize, MemorySegment.NULL, name);
        }
    }

    // ---- helpers ----

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL backend on " + device.name() + " is closed");
        }
    }

    private OpenClMatrix own(Matrix m) {
        if (m instanceof OpenClMatrix c && c.owner == this) {
            return c;
        }
        throw new IllegalArgumentException("matrix " + m + " does not belong to this OpenCL backend (" + name() + ")");
    }

    private OpenClWeight own(Weight w) {
        if (w instanceof OpenClWeight c && c.owner() == this) {
            return c;
        }
        throw new IllegalArgumentException("weight " + (w == null ? null : w.tensor().name()) + " was not made by this OpenCL backend ("
                + name() + ")");
    }

    private static void sameShape(OpenClMatrix a, OpenClMatrix b, String op) {
        require(a.rows == b.rows && a.cols == b.cols, op + ": shapes " + a.rows + "x" + a.cols + " and " + b.rows + "x" + b.cols + " differ");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
