package dev.vlm4j.kernels.tornadovm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The fp16 and rounding helpers of the device code, run on the host (they are plain Java) against the JDK's exact
 * conversions: the kernels' bit-faithfulness rests on them.
 */
class TornadoKernelsHostTest {
    private static FloatArray tables() {
        FloatArray wf = new FloatArray(TornadoKernels.TABLES_END);
        TornadoKernels.writeTables(wf, new float[65536], new float[65536]);
        return wf;
    }

    @Test
    void halfToFloatDecodesEveryFiniteHalf() {
        FloatArray wf = tables();
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7c00) == 0x7c00) {
                continue; // inf and NaN: weights have none, the kernels never decode them
            }
            assertEquals(Float.float16ToFloat((short) h), TornadoKernels.halfToFloat(h, wf), 0f, "half bits 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void floatToHalfBitsRoundsAsTheJdkAtEveryHalfAndMidpoint() {
        for (int h = 0; h < 0x7c00; h++) {
            float v = Float.float16ToFloat((short) h);
            float next = Float.float16ToFloat((short) (h + 1));
            float mid = (v + next) / 2; // exact in float: ties go to even
            for (float x : new float[] {v, mid, Math.nextUp(mid), Math.nextDown(mid), -v, -mid, -Math.nextUp(mid)}) {
                if (x == 0f) {
                    continue; // -0 maps to +0's pattern (harmless: both decode to zero)
                }
                assertEquals(Float.floatToFloat16(x) & 0xffff, TornadoKernels.floatToHalfBits(x), "float " + x);
            }
        }
    }

    @Test
    void floatToHalfBitsMatchesOnRandomFloatsAndRoundToHalfOverflowsToInfinity() {
        FloatArray wf = tables();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-9, 6)));
            if (x == 0f) {
                continue;
            }
            assertEquals(Float.floatToFloat16(x) & 0xffff, TornadoKernels.floatToHalfBits(x), "float " + x);
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(x)), TornadoKernels.roundToHalf(x, wf), 0f, "float " + x);
        }
        assertEquals(Float.POSITIVE_INFINITY, TornadoKernels.roundToHalf(70000f, wf));
        assertEquals(Float.NEGATIVE_INFINITY, TornadoKernels.roundToHalf(-65520f, wf));
        assertEquals(65504f, TornadoKernels.roundToHalf(65519f, wf));
    }

    @Test
    void rintRoundsHalfToEvenAsMathRint() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) ((random.nextDouble() - 0.5) * 300);
            assertEquals((float) Math.rint(x), TornadoKernels.rint(x), 0f, "rint " + x);
        }
        for (float x = -130f; x <= 130f; x += 0.5f) {
            assertEquals((float) Math.rint(x), TornadoKernels.rint(x), 0f, "rint " + x);
        }
    }
}
