package dev.vlm4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Dequantisation of Q4_1, Q5_0, Q5_1, Q8_K and the K-quants against a reference written independently from the
 * block layouts in ggml-common.h: one formula per element (which byte, which bits, which scale), rather than
 * ggml's loops. Random blocks must agree bit for bit (tolerance 0); hand-built blocks check known values.
 */
public class BlockCodecsTest {
    static float half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xff) | (b[at + 1] << 8)));
    }

    static int u8(byte[] b, int at) {
        return b[at] & 0xff;
    }

    /** ggml's 6-bit scale/min pair j of a Q4_K/Q5_K block's 12 scale bytes at {@code s}. */
    static int[] scaleMin(byte[] b, int s, int j) {
        if (j < 4) return new int[]{u8(b, s + j) & 63, u8(b, s + j + 4) & 63};
        return new int[]{(u8(b, s + j + 4) & 15) | ((u8(b, s + j - 4) >> 6) << 4), (u8(b, s + j + 4) >> 4) | ((u8(b, s + j) >> 6) << 4)};
    }

    /** Element {@code e} of one block, straight from the layout. */
    static float reference(GgmlType type, byte[] b, int e) {
        switch (type) {
            case Q4_1 -> {
                int q = e < 16 ? u8(b, 4 + e) & 15 : u8(b, 4 + e - 16) >> 4;
                return q * half(b, 0) + half(b, 2);
            }
            case Q5_0, Q5_1 -> {
                boolean hasMin = type == GgmlType.Q5_1;
                int qhAt = hasMin ? 4 : 2;
                int qsAt = qhAt + 4;
                int qh = ByteBuffer.wrap(b, qhAt, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                int low = e < 16 ? u8(b, qsAt + e) & 15 : u8(b, qsAt + e - 16) >> 4;
                int q = low | (((qh >>> e) & 1) << 4);
                return hasMin ? q * half(b, 0) + half(b, 2) : (q - 16) * half(b, 0);
            }
            case Q8_K -> {
                return ByteBuffer.wrap(b, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat() * b[4 + e];
            }
            case Q2_K -> {
                int n = e / 128, r = e % 128, shift = r / 32, half = (r % 32) / 16, l = r % 16;
                int sc = u8(b, 8 * n + 2 * shift + half);
                int q = (u8(b, 16 + 32 * n + 16 * half + l) >> (2 * shift)) & 3;
                return half(b, 80) * (sc & 15) * q - half(b, 82) * (sc >> 4);
            }
            case Q3_K -> {
                int n = e / 128, r = e % 128, shift = r / 32, half = (r % 32) / 16, l = r % 16, idx = 16 * half + l;
                int is = 8 * n + 2 * shift + half;
                int lowScale = is < 8 ? u8(b, 96 + is) & 15 : u8(b, 96 + is - 8) >> 4;
                int highScale = (u8(b, 96 + 8 + is % 4) >> (2 * (is / 4))) & 3;
                int scale = (lowScale | (highScale << 4)) - 32;
                int low = (u8(b, 32 + 32 * n + idx) >> (2 * shift)) & 3;
                boolean high = (u8(b, idx) >> (4 * n + shift) & 1) != 0;
                return half(b, 108) * scale * (low - (high ? 0 : 4));
            }
            case Q4_K, Q5_K -> {
                boolean five = type == GgmlType.Q5_K;
                int c = e / 64, sub = (e % 64) / 32, l = e % 32;
                int qsAt = five ? 48 : 16;
                int by = u8(b, qsAt + 32 * c + l);
                int q = sub == 0 ? by & 15 : by >> 4;
                if (five && ((u8(b, 16 + l) >> (2 * c + sub)) & 1) != 0) q += 16;
                int[] sm = scaleMin(b, 4, 2 * c + sub);
                return half(b, 0) * sm[0] * q - half(b, 2) * sm[1];
            }
            case Q6_K -> {
                int n = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
                int qlByte = u8(b, 64 * n + l + (quarter % 2) * 32);
                int low = quarter < 2 ? qlByte & 15 : qlByte >> 4;
                int hi = (u8(b, 128 + 32 * n + l) >> (2 * quarter)) & 3;
                int q = (low | (hi << 4)) - 32;
                return half(b, 208) * b[192 + 8 * n + l / 16 + 2 * quarter] * q;
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
    }

    /** Offsets of the fp16 scales in each layout: they must hold finite values in random blocks. */
    static int[] halfOffsets(GgmlType type) {
        return switch (type) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q5_0 -> new int[]{0};
            case Q2_K -> new int[]{80, 82};
            case Q3_K -> new int[]{108};
            case Q6_K -> new int[]{208};
            default -> new int[0];
        };
    }

    /** {@code count} random blocks of {@code type} with finite, modest scales (for kernel tests elsewhere). */
    public static byte[] randomBlocks(GgmlType type, int count, SplittableRandom rnd) {
        byte[] out = new byte[type.blockBytes() * count];
        for (int c = 0; c < count; c++) {
            byte[] block = new byte[type.blockBytes()];
            for (int i = 0; i < block.length; i++) block[i] = (byte) rnd.nextInt(256);
            for (int at : halfOffsets(type)) putHalf(block, at, (float) (rnd.nextGaussian() * 0.05));
            if (type == GgmlType.Q8_K) {
                ByteBuffer.wrap(block, 0, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) rnd.nextGaussian() * 0.01f);
            }
            System.arraycopy(block, 0, out, c * block.length, block.length);
        }
        return out;
    }

    static float[] dequantize(GgmlType type, byte[] block) {
        float[] out = new float[type.blockSize()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(block.length + 3L);
            MemorySegment.copy(block, 0, seg, ValueLayout.JAVA_BYTE, 3, block.length); // unaligned on purpose
            TensorCodecs.dequantize(type, seg, 3, out, 0, out.length);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_0", "Q5_1", "Q8_K", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlocksMatchTheLayoutBitForBit(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        for (int iter = 0; iter < 200; iter++) {
            byte[] block = new byte[type.blockBytes()];
            for (int i = 0; i < block.length; i++) block[i] = (byte) rnd.nextInt(256);
            for (int at : halfOffsets(type)) {
                short h = Float.floatToFloat16((float) (rnd.nextGaussian() * 0.05));
                block[at] = (byte) h;
                block[at + 1] = (byte) (h >> 8);
            }
            if (type == GgmlType.Q8_K) {
                ByteBuffer.wrap(block, 0, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) rnd.nextGaussian());
            }
            float[] got = dequantize(type, block);
            for (int e = 0; e < got.length; e++) {
                assertEquals(reference(type, block, e), got[e], 0f, type + " block " + iter + " element " + e + " (exact)");
            }
        }
    }

    @Test
    void handBuiltBlocks() {
        // Q4_1: d = 0.5, m = -1, byte j holds j (low) and 15 - j (high).
        byte[] q41 = new byte[20];
        putHalf(q41, 0, 0.5f);
        putHalf(q41, 2, -1f);
        for (int j = 0; j < 16; j++) q41[4 + j] = (byte) (j | ((15 - j) << 4));
        float[] y = dequantize(GgmlType.Q4_1, q41);
        for (int j = 0; j < 16; j++) {
            assertEquals(j * 0.5f - 1, y[j]);
            assertEquals((15 - j) * 0.5f - 1, y[j + 16]);
        }
        // Q5_0: d = 2, quants all zero, high bits alternate: element k is -16*2 or (16-16)*2 = 0.
        byte[] q50 = new byte[22];
        putHalf(q50, 0, 2f);
        ByteBuffer.wrap(q50, 2, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x5555AAAA);
        y = dequantize(GgmlType.Q5_0, q50);
        for (int k = 0; k < 32; k++) assertEquals(((0x5555AAAA >>> k) & 1) != 0 ? 0f : -32f, y[k], "Q5_0 element " + k);
        // Q6_K: d = 1, every scale 2, every quant 63 (all bits set) -> (63 - 32) * 2 = 62.
        byte[] q6 = new byte[210];
        java.util.Arrays.fill(q6, 0, 192, (byte) 0xff);
        java.util.Arrays.fill(q6, 192, 208, (byte) 2);
        putHalf(q6, 208, 1f);
        float[] expected = new float[256];
        java.util.Arrays.fill(expected, 62f);
        assertArrayEquals(expected, dequantize(GgmlType.Q6_K, q6));
        // Q4_K: d = 1, dmin = 1, scale/min pair 0 = (1, 3), quants 0 -> element 0 is 0*1 - 3.
        byte[] q4k = new byte[144];
        putHalf(q4k, 0, 1f);
        putHalf(q4k, 2, 1f);
        q4k[4] = 1;
        q4k[8] = 3;
        assertEquals(-3f, dequantize(GgmlType.Q4_K, q4k)[0]);
    }

    static void putHalf(byte[] b, int at, float v) {
        short h = Float.floatToFloat16(v);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }
}
