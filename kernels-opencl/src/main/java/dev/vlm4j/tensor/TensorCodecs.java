package dev.vlm4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar dequantisation and quantisation of ggml block layouts, written from ggml-common.h's block structs.
 * These are the reference definitions: fast kernels are tested against them.
 */
public final class TensorCodecs {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorCodecs() {}

    /**
     * Dequantises {@code n} values of {@code type} starting at byte {@code byteOffset} of {@code src} into
     * {@code dst[dstOffset..]}. {@code byteOffset} must be at a block boundary and {@code n} a multiple of the
     * block size.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + type + " blocks");
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = src.get(FLOAT, byteOffset + 4L * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT, byteOffset + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = Float.intBitsToFloat((src.get(SHORT, byteOffset + 2L * i) & 0xffff) << 16);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long block = byteOffset + 34L * b;
                    float d = Float.float16ToFloat(src.get(SHORT, block));
                    for (int j = 0; j < 32; j++) {
                        dst[dstOffset + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, block + 2 + j);
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long block = byteOffset + 18L * b;
                    float d = Float.float16ToFloat(src.get(SHORT, block));
                    for (int j = 0; j < 16; j++) {
                        int q = src.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xff;
                        dst[dstOffset + 32 * b + j] = d * ((q & 0x0f) - 8);
                        dst[dstOffset + 32 * b + j + 16] = d * ((q >>> 4) - 8);
                    }
                }
            }
            case Q4_1, Q5_0, Q5_1, Q8_K, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                for (int b = 0; b < n / type.blockSize(); b++) {
                    long block = byteOffset + (long) type.blockBytes() * b;
                    int out = dstOffset + type.blockSize() * b;
                    switch (type) {
                        case Q4_1 -> BlockCodecs.q4_1(src, block, dst, out);
                        case Q5_0 -> BlockCodecs.q5_0(src, block, dst, out);
                        case Q5_1 -> BlockCodecs.q5_1(src, block, dst, out);
                        case Q8_K -> BlockCodecs.q8_K(src, block, dst, out);
                        case Q2_K -> BlockCodecs.q2_K(src, block, dst, out);
                        case Q3_K -> BlockCodecs.q3_K(src, block, dst, out);
                        case Q4_K -> BlockCodecs.q4_K(src, block, dst, out);
                        case Q5_K -> BlockCodecs.q5_K(src, block, dst, out);
                        default -> BlockCodecs.q6_K(src, block, dst, out);
                    }
                }
            }
            default -> throw new UnsupportedTensorTypeException(type);
        }
    }

    /** Rounds a float to the nearest fp16 value, as ggml's FP32_TO_FP16 (round to nearest even). */
    public static float roundToF16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** Quantises {@code n} floats into {@code type}'s layout, returning the bytes. */
    public static MemorySegment quantize(GgmlType type, float[] src, int srcOffset, int n) {
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytesFor(n))]);
        quantize(type, src, srcOffset, n, out, 0);
        return out;
    }

    /**
     * Quantises {@code n} floats into {@code dst} at {@code byteOffset}, the way ggml's reference quantisers
     * ({@code quantize_row_*_ref}) do.
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long byteOffset) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + type + " blocks");
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(FLOAT, byteOffset + 4L * i, src[srcOffset + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(SHORT, byteOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(SHORT, byteOffset + 2L * i, floatToBf16(src[srcOffset + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    int base = srcOffset + 32 * b;
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(src[base + j]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    long block = byteOffset + 34L * b;
                    dst.set(SHORT, block, Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) {
                        dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) roundHalfAwayFromZero(src[base + j] * id));
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    int base = srcOffset + 32 * b;
                    float amax = 0;
                    float max = 0;
                    for (int j = 0; j < 32; j++) {
                        float v = src[base + j];
                        if (Math.abs(v) > amax) {
                            amax = Math.abs(v);
                            max = v;
                        }
                    }
                    float d = max / -8f;
                    float id = d != 0 ? 1f / d : 0f;
                    long block = byteOffset + 18L * b;
                    dst.set(SHORT, block, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int lo = Math.min(15, (int) (byte) (src[base + j] * id + 8.5f));
                        int hi = Math.min(15, (int) (byte) (src[base + j + 16] * id + 8.5f));
                        dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (lo | (hi << 4)));
                    }
                }
            }
            default -> throw new UnsupportedTensorTypeException(type);
        }
    }

    /** C's {@code roundf}: halves round away from zero (Math.round rounds them up). */
    static float roundHalfAwayFromZero(float x) {
        return Math.copySign((float) Math.floor(Math.abs((double) x) + 0.5), x); // in double: no 0.49999997 + 0.5 == 1 trap
    }

    /** float to bfloat16 with round-to-nearest-even, NaN kept quiet (ggml_compute_fp32_to_bf16). */
    static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
