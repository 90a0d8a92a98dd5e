package dev.vlm4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dequantisation of one block of the types beyond Q8_0/Q4_0, written from ggml-common.h's block structs and
 * ggml-quants.c's {@code dequantize_row_*}: same layouts, same float operations in the same order (so the values
 * are bit-identical to ggml's). {@code out} receives {@code blockSize} values.
 */
final class BlockCodecs {
    private static final ValueLayout.OfShort SHORT = TensorCodecs.SHORT;
    private static final ValueLayout.OfFloat FLOAT = TensorCodecs.FLOAT;

    private BlockCodecs() {
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(SHORT, at));
    }

    /** {half d; half m; u8 qs[16]}: x = q*d + m, low nibbles are elements 0..15, high nibbles 16..31. */
    static void q4_1(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        float m = half(s, b + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 4 + j);
            y[o + j] = (q & 0x0f) * d + m;
            y[o + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** {half d; u8 qh[4]; u8 qs[16]}: 5-bit q = nibble | (bit j of qh) << 4, x = (q - 16) * d. */
    static void q5_0(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        int qh = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), b + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = (((q & 0x0f) | h0) - 16) * d;
            y[o + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    /** {half d; half m; u8 qh[4]; u8 qs[16]}: as Q5_0 without the -16, plus m. */
    static void q5_1(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        float m = half(s, b + 2);
        int qh = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), b + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = ((q & 0x0f) | h0) * d + m;
            y[o + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    /** {f32 d; i8 qs[256]; i16 bsums[16]}: x = d * q. */
    static void q8_K(MemorySegment s, long b, float[] y, int o) {
        float d = s.get(FLOAT, b);
        for (int j = 0; j < 256; j++) y[o + j] = d * s.get(ValueLayout.JAVA_BYTE, b + 4 + j);
    }

    /**
     * {u8 scales[16]; u8 qs[64]; half d; half dmin}: 16 sub-blocks of 16, each with a 4-bit scale (low) and 4-bit
     * min (high); 2-bit quants, four per byte, the byte's bit pair chosen by the sub-block's position.
     */
    static void q2_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b + 80);
        float min = half(s, b + 82);
        int is = 0;
        int out = o;
        for (int n = 0; n < 256; n += 128) {
            long q = b + 16 + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = u8(s, b + is++);
                    float dl = d * (sc & 0xf);
                    float ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[out++] = dl * ((u8(s, q + 16 * half + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /**
     * {u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d}: 3-bit quants = 2 low bits from qs and a high bit from hmask
     * (set means +0, clear means -4); sixteen 6-bit signed scales (minus 32) packed into 12 bytes.
     */
    static void q3_K(MemorySegment s, long b, float[] y, int o) {
        float dAll = half(s, b + 108);
        int[] aux = new int[4];
        for (int i = 0; i < 3; i++) {
            aux[i] = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), b + 96 + 4L * i);
        }
        int kmask1 = 0x03030303;
        int kmask2 = 0x0f0f0f0f;
        int tmp = aux[2];
        aux[2] = ((aux[0] >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | ((tmp & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >>> 2) & kmask1) << 4);
        byte[] scales = new byte[16];
        for (int i = 0; i < 16; i++) scales[i] = (byte) (aux[i / 4] >>> (8 * (i % 4)));

        int is = 0;
        int m = 1;
        int out = o;
        for (int n = 0; n < 256; n += 128) {
            long q = b + 32 + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int idx = 16 * half + l;
                        int low = (u8(s, q + idx) >>> shift) & 3;
                        int high = (u8(s, b + idx) & m) != 0 ? 0 : 4;
                        y[out++] = dl * (low - high);
                    }
                }
                m <<= 1;
            }
        }
    }

    /** ggml's get_scale_min_k4: the j-th 6-bit scale and min of the 12 packed bytes at {@code q}. */
    private static int[] scaleMinK4(MemorySegment s, long q, int j) {
        if (j < 4) {
            return new int[]{u8(s, q + j) & 63, u8(s, q + j + 4) & 63};
        }
        int sc = (u8(s, q + j + 4) & 0xf) | ((u8(s, q + j - 4) >>> 6) << 4);
        int mn = (u8(s, q + j + 4) >>> 4) | ((u8(s, q + j) >>> 6) << 4);
        return new int[]{sc, mn};
    }

    /** {half d; half dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32 with 6-bit scales and mins, 4-bit quants. */
    static void q4_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        float min = half(s, b + 2);
        long scales = b + 4;
        long q = b + 16;
        int out = o;
        for (int is = 0; is < 8; is += 2) {
            int[] a = scaleMinK4(s, scales, is);
            float d1 = d * a[0];
            float m1 = min * a[1];
            int[] c = scaleMinK4(s, scales, is + 1);
            float d2 = d * c[0];
            float m2 = min * c[1];
            for (int l = 0; l < 32; l++) y[out++] = d1 * (u8(s, q + l) & 0xf) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * (u8(s, q + l) >>> 4) - m2;
            q += 32;
        }
    }

    /** {half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: Q4_K plus a fifth bit per quant from qh. */
    static void q5_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b);
        float min = half(s, b + 2);
        long scales = b + 4;
        long qh = b + 16;
        long ql = b + 48;
        int u1 = 1;
        int u2 = 2;
        int out = o;
        for (int is = 0; is < 8; is += 2) {
            int[] a = scaleMinK4(s, scales, is);
            float d1 = d * a[0];
            float m1 = min * a[1];
            int[] c = scaleMinK4(s, scales, is + 1);
            float d2 = d * c[0];
            float m2 = min * c[1];
            for (int l = 0; l < 32; l++) y[out++] = d1 * ((u8(s, ql + l) & 0xf) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            ql += 32;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /** {u8 ql[128]; u8 qh[64]; i8 scales[16]; half d}: 6-bit quants (4 low bits in ql, 2 high in qh) minus 32. */
    static void q6_K(MemorySegment s, long b, float[] y, int o) {
        float d = half(s, b + 208);
        long ql = b;
        long qh = b + 128;
        long sc = b + 192;
        int out = o;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int q1 = ((u8(s, ql + l) & 0xf) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(s, ql + l + 32) & 0xf) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(s, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(s, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[out + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[out + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[out + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[out + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
            out += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
