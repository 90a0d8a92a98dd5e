package dev.vlm4j.kernels;

import dev.vlm4j.tensor.Tensor;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a model's kernels run. Model code says <em>what</em> to compute through this interface (matmul, norms,
 * RoPE, attention); a backend decides <em>how</em>: the CPU with the Vector API on all cores, an OpenCL device
 * with our own kernels, or TornadoVM task graphs.
 *
 * <p>Every kernel computes what ggml-cpu computes, including its rounding: matmuls with F16/BF16 weights round
 * the activations to that type first, matmuls with quantised weights quantise the activations to Q8_0 blocks
 * and use integer dot products, GELUs go through fp16 tables. That is how outputs match llama.cpp.
 *
 * <p>Kernels run in call order; {@link #read} waits for everything before it. A backend is used by one thread
 * at a time (a model session); weights may be shared by several backends of the same kind.
 */
public interface Backend extends AutoCloseable {
    /** A short description: kind and device, e.g. {@code cpu (2 threads)}. */
    String name();

    /** Makes {@code tensor} usable as a weight (zero-copy on the CPU; uploaded once on a device). */
    Weight weight(Tensor tensor);

    /** A new zeroed F32 matrix of {@code rows x cols}. */
    Matrix matrix(int rows, int cols);

    /**
     * Frees the memory of {@code m} (made by {@link #matrix}; a view frees the whole matrix it was cut from) now,
     * rather than when it becomes unreachable: device memory is scarcer than the garbage collector knows. Neither the
     * matrix nor any view of it may be used afterwards; releasing twice is harmless. The CPU backend leaves it to
     * the garbage collector.
     */
    default void release(Matrix m) {}

    /** Copies {@code length} floats into {@code dst}, starting at row {@code row}, column 0 (may span rows). */
    void write(Matrix dst, int row, float[] src, int srcOffset, int length);

    /** Copies {@code length} floats out of {@code src}, starting at row {@code row}, column 0; waits for pending work. */
    void read(Matrix src, int row, float[] dst, int dstOffset, int length);

    default float[] read(Matrix src) {
        float[] out = new float[Math.toIntExact(src.elements())];
        read(src, 0, out, 0, out.length);
        return out;
    }

    default void write(Matrix dst, float[] src) {
        write(dst, 0, src, 0, Math.toIntExact(dst.elements()));
    }

    // ---- kernels ----

    /** {@code out[r] = W · x[r] (+ bias)} for every row {@code r}: x is {@code [n][in]}, W {@code [outDim][in]}, out {@code [n][outDim]}. */
    void matmul(Weight w, Weight bias, Matrix x, Matrix out);

    default void matmul(Weight w, Matrix x, Matrix out) {
        matmul(w, null, x, out);
    }

    /**
     * {@code outs[i] = ws[i] · x (+ biases[i])} for every i: several weights that read the same input, as Q, K and V
     * do, or gate and up ({@code biases[i]} may be null). A backend may prepare {@code x} once and run them as one
     * job; each output is what {@link #matmul} gives. The default runs them one by one.
     */
    default void matmuls(Weight[] ws, Weight[] biases, Matrix x, Matrix[] outs) {
        KernelChecks.matmuls(ws, biases, outs);
        for (int i = 0; i < ws.length; i++) {
            matmul(ws[i], biases[i], x, outs[i]);
        }
    }

    /** {@code out[i] = table[ids[i]]}, dequantised: token and position embeddings (ggml_get_rows). */
    void getRows(Weight table, int[] ids, Matrix out);

    /** {@code out = x / sqrt(mean(x^2) + eps) * weight}, per row. */
    void rmsNorm(Matrix x, Weight weight, float eps, Matrix out);

    /** {@code out = (x - mean) / sqrt(var + eps) * weight + bias}, per row; weight and bias may be null. */
    void layerNorm(Matrix x, Weight weight, Weight bias, float eps, Matrix out);

    /** Rotates every head of every row of {@code x} in place; row {@code i} is at position {@code firstPosition + i}. */
    void rope(Matrix x, int headDim, Rope rope, int firstPosition);

    /**
     * Scaled dot-product attention: {@code q} is {@code [n][heads*headDim]}, {@code k} and {@code v} hold at least
     * {@code kvLength} rows of {@code [kvHeads*headDim]}, {@code out} is {@code [n][heads*headDim]}.
     * With {@code causal}, query row {@code i} is at position {@code firstQueryPosition + i} and sees keys
     * {@code 0..firstQueryPosition+i}; otherwise every query sees all {@code kvLength} keys.
     */
    void attention(Matrix q, Matrix k, Matrix v, Matrix out, AttentionShape shape, int kvLength,
                   boolean causal, int firstQueryPosition);

    /** {@code out = f(x)} element-wise; out may be x. */
    void activation(Activation f, Matrix x, Matrix out);

    /** {@code out = silu(gate) * up}; out may be gate. */
    void swiglu(Matrix gate, Matrix up, Matrix out);

    /** {@code out = a + b}; out may be a or b. */
    void add(Matrix a, Matrix b, Matrix out);

    /** {@code out = a * b} element-wise; out may be a or b. */
    void mul(Matrix a, Matrix b, Matrix out);

    /** Copies {@code src} into {@code dst} (same shape), e.g. new K/V rows into a cache view. */
    void copy(Matrix src, Matrix dst);

    /** Row-wise softmax; out may be x. */
    void softmax(Matrix x, Matrix out);

    /** Index of the largest value of row {@code row} (the first one on ties), as greedy sampling needs. */
    int argmax(Matrix x, int row);

    // ---- stages ----

    /**
     * Runs {@code body}, whose kernels are one stage of a model: a ViT block, the projector, a decoder layer, the
     * logits. A backend may run a stage's kernels as one unit (TornadoVM: one task graph per stage shape, built
     * once and replayed with new offsets and positions); the results are the same as running them one by one.
     * Stages do not nest: a stage inside a stage joins the outer one. The default runs {@code body} as it is.
     */
    default <T> T stage(String name, Supplier<T> body) {
        return body.get();
    }

    /** {@link #stage(String, Supplier)} for a body without a result. */
    default void stage(String name, Runnable body) {
        stage(name, () -> {
            body.run();
            return null;
        });
    }

    /**
     * The backend's own counters, when it keeps any (TornadoVM: warm-up and JIT time apart from steady-state
     * graph executions); empty otherwise.
     */
    default Optional<BackendStatistics> statistics() {
        return Optional.empty();
    }

    @Override
    void close();
}
