package dev.vlm4j.kernels;

import dev.vlm4j.tensor.Tensor;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Wraps a backend and adds up the wall time spent in each kernel, for benchmark breakdowns ({@code bench --profile}).
 * Exact for synchronous backends (the CPU); on a device that queues work, time lands on the call that waits.
 */
public final class ProfilingBackend implements Backend {
    private final Backend inner;
    private final Map<String, long[]> nanos = new TreeMap<>();

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    /** Kernel name → {total nanoseconds, calls}. */
    public Map<String, long[]> nanos() {
        return nanos;
    }

    private void time(String kernel, Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        long[] acc = nanos.computeIfAbsent(kernel, k -> new long[2]);
        acc[0] += System.nanoTime() - t0;
        acc[1]++;
    }

    private <T> T time(String kernel, Supplier<T> s) {
        Object[] out = new Object[1];
        time(kernel, (Runnable) () -> out[0] = s.get());
        @SuppressWarnings("unchecked")
        T t = (T) out[0];
        return t;
    }

    @Override public String name() { return inner.name() + " (profiled)"; }
    @Override public Weight weight(Tensor tensor) { return inner.weight(tensor); }
    @Override public Matrix matrix(int rows, int cols) { return inner.matrix(rows, cols); }
    @Override public void release(Matrix m) { inner.release(m); }
    @Override public void write(Matrix dst, int row, float[] src, int srcOffset, int length) { time("write", () -> inner.write(dst, row, src, srcOffset, length)); }
    @Override public void read(Matrix src, int row, float[] dst, int dstOffset, int length) { time("read", () -> inner.read(src, row, dst, dstOffset, length)); }
    @Override public void matmul(Weight w, Weight bias, Matrix x, Matrix out) { time("matmul", () -> inner.matmul(w, bias, x, out)); }
    @Override public void matmuls(Weight[] ws, Weight[] biases, Matrix x, Matrix[] outs) { time("matmul", () -> inner.matmuls(ws, biases, x, outs)); }
    @Override public void getRows(Weight table, int[] ids, Matrix out) { time("getRows", () -> inner.getRows(table, ids, out)); }
    @Override public void rmsNorm(Matrix x, Weight weight, float eps, Matrix out) { time("rmsNorm", () -> inner.rmsNorm(x, weight, eps, out)); }
    @Override public void layerNorm(Matrix x, Weight weight, Weight bias, float eps, Matrix out) { time("layerNorm", () -> inner.layerNorm(x, weight, bias, eps, out)); }
    @Override public void rope(Matrix x, int headDim, Rope rope, int firstPosition) { time("rope", () -> inner.rope(x, headDim, rope, firstPosition)); }
    @Override public void attention(Matrix q, Matrix k, Matrix v, Matrix out, AttentionShape shape, int kvLength, boolean causal, int firstQueryPosition) {
        time("attention", () -> inner.attention(q, k, v, out, shape, kvLength, causal, firstQueryPosition));
    }
    @Override public void activation(Activation f, Matrix x, Matrix out) { time("activation", () -> inner.activation(f, x, out)); }
    @Override public void swiglu(Matrix gate, Matrix up, Matrix out) { time("swiglu", () -> inner.swiglu(gate, up, out)); }
    @Override public void add(Matrix a, Matrix b, Matrix out) { time("add", () -> inner.add(a, b, out)); }
    @Override public void mul(Matrix a, Matrix b, Matrix out) { time("mul", () -> inner.mul(a, b, out)); }
    @Override public void copy(Matrix src, Matrix dst) { time("copy", () -> inner.copy(src, dst)); }
    @Override public void softmax(Matrix x, Matrix out) { time("softmax", () -> inner.softmax(x, out)); }
    @Override public int argmax(Matrix x, int row) { return time("argmax", () -> inner.argmax(x, row)); }
    @Override public java.util.Optional<BackendStatistics> statistics() { return inner.statistics(); }
    // stage() keeps its default (the body runs call by call), so each kernel is timed on its own.
    @Override public void close() { inner.close(); }
}
