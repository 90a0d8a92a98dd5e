package dev.vlm4j.kernels.cpu;

import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The CPU attention against a scalar reference in double precision: softmax(q·k * scale) · v per head, grouped-query
 * heads, causal mask from {@code firstQueryPosition}. Covers the decode path (one or two queries: scores straight
 * from K's rows) and the batched path (K transposed), head sizes that are and are not multiples of the vector width.
 */
class CpuAttentionTest {
    @ParameterizedTest(name = "rows {0}, heads {1}/{2}, hd {3}, kv {4}, causal {5} from {6}")
    @CsvSource({
            "1, 4, 2, 64, 1, true, 0",
            "1, 4, 2, 64, 37, true, 36",
            "1, 12, 4, 64, 100, true, 99",
            "2, 6, 3, 24, 20, true, 18",
            "1, 3, 3, 40, 17, false, 0",
            "5, 4, 2, 64, 9, true, 4",
            "16, 12, 4, 64, 16, true, 0",
            "7, 3, 1, 24, 30, false, 0",
    })
    void matchesTheScalarReference(int rows, int heads, int kvHeads, int hd, int kvLength, boolean causal, int first) {
        AttentionShape shape = new AttentionShape(heads, kvHeads, hd);
        SplittableRandom rnd = new SplittableRandom(rows * 31L + kvLength);
        float[] q = random(rnd, rows * shape.queryWidth());
        float[] k = random(rnd, kvLength * shape.kvWidth());
        float[] v = random(rnd, kvLength * shape.kvWidth());
        try (CpuBackend backend = new CpuBackend(2)) {
            Matrix qm = backend.matrix(rows, shape.queryWidth());
            Matrix km = backend.matrix(kvLength, shape.kvWidth());
            Matrix vm = backend.matrix(kvLength, shape.kvWidth());
            Matrix om = backend.matrix(rows, shape.queryWidth());
            backend.write(qm, q);
            backend.write(km, k);
            backend.write(vm, v);
            backend.attention(qm, km, vm, om, shape, kvLength, causal, first);
            float[] got = backend.read(om);
            int group = heads / kvHeads;
            for (int i = 0; i < rows; i++) {
                int visible = causal ? Math.min(kvLength, first + i + 1) : kvLength;
                for (int h = 0; h < heads; h++) {
                    int kvh = h / group;
                    double[] p = new double[visible];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        double s = 0;
                        for (int d = 0; d < hd; d++) {
                            s += (double) q[i * shape.queryWidth() + h * hd + d] * k[j * shape.kvWidth() + kvh * hd + d];
                        }
                        p[j] = s * shape.scale();
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < hd; d++) {
                        double o = 0;
                        for (int j = 0; j < visible; j++) o += p[j] / sum * v[j * shape.kvWidth() + kvh * hd + d];
                        assertEquals(o, got[i * shape.queryWidth() + h * hd + d], 2e-5,
                                "out[" + i + "][head " + h + "][" + d + "]: tolerance 2e-5 absolute (values within ±1)");
                    }
                }
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }
}
