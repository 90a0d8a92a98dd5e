package dev.vlm4j.kernels;

/**
 * Scalar definitions of ggml-cpu's element functions, bit for bit where ggml is deterministic: the fp16 GELU
 * tables, RMS/layer norm accumulation in double, the Q8_0 activation quantiser. Backends and tests share these
 * so that there is one definition of "what llama.cpp computes".
 */
public final class GgmlMath {
    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    private static final float GELU_COEF_A = 0.044715f;
    private static final float GELU_QUICK_COEF = -1.702f;

    /** {@code ggml_table_gelu_f16}: GELU of every fp16 value, rounded to fp16 (indexed by the fp16 bits). */
    private static final short[] GELU_TABLE = new short[1 << 16];
    /** {@code ggml_table_gelu_quick_f16}. */
    private static final short[] GELU_QUICK_TABLE = new short[1 << 16];

    static {
        for (int i = 0; i < 1 << 16; i++) {
            float x = Float.float16ToFloat((short) i);
            GELU_TABLE[i] = Float.floatToFloat16(geluF32(x));
            GELU_QUICK_TABLE[i] = Float.floatToFloat16(geluQuickF32(x));
        }
    }

    private GgmlMath() {}

    /** ggml_gelu_f32: the tanh approximation, in float32. */
    public static float geluF32(float x) {
        return 0.5f * x * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * x * (1.0f + GELU_COEF_A * x * x)));
    }

    /** ggml_gelu_quick_f32: {@code x * sigmoid(1.702 x)}, in float32. */
    public static float geluQuickF32(float x) {
        return x * (1.0f / (1.0f + (float) Math.exp(GELU_QUICK_COEF * x)));
    }

    /** GELU as ggml-cpu applies it: through the fp16 table, with the ±10 cut-offs. */
    public static float gelu(float x) {
        if (x <= -10.0f) {
            return 0.0f;
        }
        if (x >= 10.0f) {
            return x;
        }
        return Float.float16ToFloat(GELU_TABLE[Float.floatToFloat16(x) & 0xffff]);
    }

    /** Quick GELU as ggml-cpu applies it: through the fp16 table. */
    public static float geluQuick(float x) {
        return Float.float16ToFloat(GELU_QUICK_TABLE[Float.floatToFloat16(x) & 0xffff]);
    }

    /** ggml_gelu_erf: {@code 0.5x(1+erf(x/sqrt2))}. */
    public static float geluErf(float x) {
        return (float) (0.5 * x * (1.0 + erf(x / Math.sqrt(2.0))));
    }

    /** ggml_silu_f32: {@code x / (1 + e^-x)}. */
    public static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** erf via the Chebyshev-fitted erfc of Numerical Recipes (fractional error below 1.2e-7: ample for floats). */
    static double erf(double x) {
        double t = 1.0 / (1.0 + 0.5 * Math.abs(x));
        double y = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - y : y - 1.0;
    }

    /**
     * Quantises {@code n} activations (a multiple of 32) to Q8_0 the way ggml-cpu's x86 path does before a
     * quantised matmul: per block {@code d = amax/127} stored as fp16, {@code q = rint(x * 127/amax)} (round half
     * to even, in float32). {@code q} receives the int8 values, {@code d} the fp16-rounded scale per block.
     */
    public static void quantizeQ8_0(float[] x, int xOffset, int n, byte[] q, int qOffset, float[] d, int dOffset) {
        for (int b = 0; b < n / 32; b++) {
            int base = xOffset + 32 * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[base + j]));
            }
            float scale = amax / 127.f;
            d[dOffset + b] = Float.float16ToFloat(Float.floatToFloat16(scale));
            float id = amax != 0.0f ? 127.f / amax : 0.0f;
            for (int j = 0; j < 32; j++) {
                q[qOffset + 32 * b + j] = (byte) Math.rint(x[base + j] * id);
            }
        }
    }
}
