package dev.vlm4j.vision.image;

/**
 * PIL's {@code Image.resize(size, Image.BICUBIC)} on an 8-bit RGB image, which is what Hugging Face's (PIL-based)
 * image processors call: a separable convolution, horizontal pass first into a u8 image, then vertical; the
 * bicubic kernel with a = -0.5 widened by the scale when downsampling (antialiasing); per output pixel the
 * normalised weights are turned into 22-bit fixed point and the sum, started at one half, is shifted back and
 * clamped to u8. Written from Pillow's documented algorithm (libImaging/Resample.c), reproducing its integer
 * arithmetic so results are identical.
 */
final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PillowResize() {}

    /** The filter weights of one axis: for output i, {@code count[i]} input pixels from {@code first[i]}. */
    private record Coefficients(int ksize, int[] first, int[] count, int[] weights) {}

    static double bicubic(double x) {
        double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = SUPPORT * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max(0, (int) (center - support + 0.5));
            int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = bicubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS)) : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(ksize, first, count, weights);
    }

    private static int clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (v <= 0) {
            return 0;
        }
        return v >> PRECISION_BITS;
    }

    static RgbImage resize(RgbImage in, int outW, int outH) {
        RgbImage out = in;
        if (outW != in.width()) {
            out = horizontal(out, outW, coefficients(in.width(), outW));
        }
        if (outH != in.height()) {
            out = vertical(out, outH, coefficients(in.height(), outH));
        }
        return out;
    }

    private static RgbImage horizontal(RgbImage in, int outW, Coefficients k) {
        int h = in.height();
        int inW = in.width();
        byte[] src = in.rgb();
        byte[] dst = new byte[3 * outW * h];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < outW; xx++) {
                int xmin = k.first()[xx];
                int n = k.count()[xx];
                int w0 = xx * k.ksize();
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < n; x++) {
                        ss += (src[3 * (y * inW + xmin + x) + c] & 0xFF) * k.weights()[w0 + x];
                    }
                    dst[3 * (y * outW + xx) + c] = (byte) clip8(ss);
                }
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH, Coefficients k) {
        int w = in.width();
        byte[] src = in.rgb();
        byte[] dst = new byte[3 * w * outH];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = k.first()[yy];
            int n = k.count()[yy];
            int w0 = yy * k.ksize();
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int y = 0; y < n; y++) {
                        ss += (src[3 * ((ymin + y) * w + x) + c] & 0xFF) * k.weights()[w0 + y];
                    }
                    dst[3 * (yy * w + x) + c] = (byte) clip8(ss);
                }
            }
        }
        return new RgbImage(w, outH, dst);
    }
}
