package dev.vlm4j.vision.encoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Element-wise comparison statistics, and raw float32 files, for the encoder tests. */
record Diff(double max, double median, int argMax, int count) {
    static Diff of(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("lengths differ: expected " + expected.length + ", actual " + actual.length);
        }
        double[] d = new double[expected.length];
        int arg = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs((double) expected[i] - actual[i]);
            if (Double.isNaN(d[i])) {
                d[i] = Double.POSITIVE_INFINITY;
            }
            if (d[i] > d[arg]) {
                arg = i;
            }
        }
        double max = d[arg];
        Arrays.sort(d);
        double median = d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
        return new Diff(max, median, arg, d.length);
    }

    static Diff of(float[][] expected, float[][] actual) {
        return of(flatten(expected), flatten(actual));
    }

    static float[] flatten(float[][] rows) {
        int n = 0;
        for (float[] r : rows) {
            n += r.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    static float[][] rows(float[] flat, int cols) {
        float[][] out = new float[flat.length / cols][cols];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * cols, out[i], 0, cols);
        }
        return out;
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** A raw little-endian float32 file. */
    static float[] readF32(Path path) {
        try {
            ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bb.remaining() / 4];
            bb.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return String.format("max abs diff %.3g (at %d), median %.3g over %d values", max, argMax, median, count);
    }
}
