package dev.vlm4j.vision.encoder;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufMetadata;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Tensor;

/**
 * A plain scalar re-implementation of the two mmproj encoders, written from the architecture descriptions
 * (OpenAI CLIP + LLaVA-1.5 projector as llama.cpp's clip.cpp runs it; SigLIP + Idefics3 connector as in Hugging
 * Face's modeling_idefics3.py), independent of {@link VisionEncoder} and of the backends: direct convolution instead
 * of im2col, double accumulation, literal view/permute emulation of the pixel shuffle. It reads hyperparameters and
 * tensors from the GGUF by name itself.
 *
 * <p>With {@code emulateGgml} it also applies the roundings ggml-cpu applies (activations rounded to fp16 before a
 * matmul with F16 weights, GELUs through fp16), so that it can be compared with llama.cpp closely.
 */
final class ScalarVisionReference {
    final boolean mlp;
    final int imageSize;
    final int patch;
    final int side;
    final int width;
    final int heads;
    final int blockCount;
    final float eps;
    final boolean gelu;
    final int scale;
    final boolean emulateGgml;
    private final GgufFile file;

    ScalarVisionReference(GgufFile file, boolean emulateGgml) {
        this.file = file;
        this.emulateGgml = emulateGgml;
        GgufMetadata m = file.metadata();
        this.mlp = m.optString("clip.projector_type").orElse("mlp").equals("mlp");
        this.imageSize = m.intValue("clip.vision.image_size");
        this.patch = m.intValue("clip.vision.patch_size");
        this.side = imageSize / patch;
        this.width = m.intValue("clip.vision.embedding_length");
        this.heads = m.intValue("clip.vision.attention.head_count");
        this.blockCount = m.intValue("clip.vision.block_count");
        this.eps = m.floatValue("clip.vision.attention.layer_norm_epsilon");
        this.gelu = m.bool("clip.use_gelu", false);
        this.scale = mlp ? 1 : m.intValue("clip.vision.projector.scale_factor");
    }

    /** The blocks llama.cpp runs: all but the last for the LLaVA projector, all for idefics3. */
    int defaultBlocks() {
        return mlp ? blockCount - 1 : blockCount;
    }

    float[][] encode(float[] chw, int blocks) {
        float[][] x = embed(chw);
        for (int i = 0; i < blocks; i++) {
            x = block(i, x);
        }
        return project(postLn(x));
    }

    // ---- steps ----

    float[][] embed(float[] chw) {
        Tensor pw = file.tensor("v.patch_embd.weight");
        float[] w = pw.toFloats(); // ne [p, p, 3, width]: w[o][c][ky][kx]
        float[] bias = file.findTensor("v.patch_embd.bias").map(Tensor::toFloats).orElse(null);
        boolean cls = mlp && file.hasTensor("v.class_embd");
        int first = cls ? 1 : 0;
        float[][] x = new float[side * side + first][width];
        float[] pixels = chw.clone();
        if (roundsInput(pw)) {
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = f16(pixels[i]);
            }
        }
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                float[] row = x[first + py * side + px];
                for (int o = 0; o < width; o++) {
                    double sum = 0;
                    for (int c = 0; c < 3; c++) {
                        for (int ky = 0; ky < patch; ky++) {
                            for (int kx = 0; kx < patch; kx++) {
                                float wv = w[((o * 3 + c) * patch + ky) * patch + kx];
                                sum += (double) wv * pixels[(c * imageSize + py * patch + ky) * imageSize + px * patch + kx];
                            }
                        }
                    }
                    row[o] = (float) sum + (bias == null ? 0 : bias[o]);
                }
            }
        }
        if (cls) {
            x[0] = file.tensor("v.class_embd").toFloats();
        }
        float[] pos = file.tensor("v.position_embd.weight").toFloats();
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < width; j++) {
                x[i][j] += pos[i * width + j];
            }
        }
        if (file.hasTensor("v.pre_ln.weight")) {
            x = layerNorm(x, "v.pre_ln");
        }
        return x;
    }

    float[][] block(int index, float[][] x) {
        String p = "v.blk." + index + ".";
        int n = x.length;
        int hd = width / heads;
        float[][] h = layerNorm(x, p + "ln1");
        float[][] q = linear(h, p + "attn_q");
        float[][] k = linear(h, p + "attn_k");
        float[][] v = linear(h, p + "attn_v");
        float kqScale = 1.0f / (float) Math.sqrt(hd);
        if (mlp) { // llama.cpp's LLaVA graph scales Q before Q·K^T
            for (float[] row : q) {
                for (int j = 0; j < width; j++) {
                    row[j] *= kqScale;
                }
            }
        }
        float[][] attn = new float[n][width];
        double[] scores = new double[n];
        for (int head = 0; head < heads; head++) {
            int off = head * hd;
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) {
                        dot += (double) q[i][off + d] * k[j][off + d];
                    }
                    scores[j] = mlp ? dot : dot * kqScale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) {
                        acc += scores[j] / sum * v[j][off + d];
                    }
                    attn[i][off + d] = (float) acc;
                }
            }
        }
        float[][] o = linear(attn, p + "attn_out");
        float[][] r = add(x, o);
        // The first MLP layer reads the model width: pick it by shape, whatever it is called (llama.cpp's rule:
        // ffn_down is the first layer when its input is the width; with width == ffn that holds for both).
        boolean downIsFirst = file.tensor(p + "ffn_down.weight").columns() == width;
        String fc1 = downIsFirst ? "ffn_down" : "ffn_up";
        String fc2 = downIsFirst ? "ffn_up" : "ffn_down";
        float[][] f = linear(layerNorm(r, p + "ln2"), p + fc1);
        for (float[] row : f) {
            for (int j = 0; j < row.length; j++) {
                row[j] = gelu ? gelu(row[j]) : quickGelu(row[j]);
            }
        }
        return add(r, linear(f, p + fc2));
    }

    float[][] postLn(float[][] x) {
        return file.hasTensor("v.post_ln.weight") ? layerNorm(x, "v.post_ln") : x;
    }

    float[][] project(float[][] features) {
        if (mlp) {
            boolean cls = file.hasTensor("v.class_embd");
            float[][] patches = new float[side * side][];
            for (int i = 0; i < patches.length; i++) {
                patches[i] = features[i + (cls ? 1 : 0)];
            }
            float[][] h = linear(patches, "mm.0");
            for (float[] row : h) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = gelu(row[j]);
                }
            }
            return linear(h, "mm.2");
        }
        return linear(pixelShuffleHf(features, side, scale), "mm.model.fc");
    }

    /**
     * Idefics3's pixel_shuffle, as the Hugging Face code writes it, on a literal strided-tensor emulation:
     * view(h, w, e) → view(h, w/s, e*s) → permute(0,2,1) → reshape(w/s, h/s, e*s*s) → permute(0,2,1) → reshape.
     * (No padding: the grid side must be a multiple of s.)
     */
    static float[][] pixelShuffleHf(float[][] x, int side, int s) {
        int e = x[0].length;
        float[] flat = new float[side * side * e];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, flat, i * e, e);
        }
        Strided t = new Strided(flat, new int[] {side, side / s, e * s});
        t = t.permute(1, 0, 2).contiguous().view(side / s, side / s, e * s * s);
        t = t.permute(1, 0, 2).contiguous();
        float[][] out = new float[(side / s) * (side / s)][e * s * s];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(t.data, i * e * s * s, out[i], 0, e * s * s);
        }
        return out;
    }

    /** A minimal row-major tensor with permute/contiguous/view, enough to replay the Hugging Face code. */
    private record Strided(float[] data, int[] shape, int[] strides) {
        Strided(float[] data, int[] shape) {
            this(data, shape, rowMajorStrides(shape));
        }

        static int[] rowMajorStrides(int[] shape) {
            int[] s = new int[shape.length];
            int acc = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                s[i] = acc;
                acc *= shape[i];
            }
            return s;
        }

        Strided permute(int... order) {
            int[] sh = new int[order.length];
            int[] st = new int[order.length];
            for (int i = 0; i < order.length; i++) {
                sh[i] = shape[order[i]];
                st[i] = strides[order[i]];
            }
            return new Strided(data, sh, st);
        }

        Strided contiguous() {
            float[] out = new float[data.length];
            int[] idx = new int[shape.length];
            for (int n = 0; n < out.length; n++) {
                int src = 0;
                for (int d = 0; d < shape.length; d++) {
                    src += idx[d] * strides[d];
                }
                out[n] = data[src];
                for (int d = shape.length - 1; d >= 0; d--) {
                    if (++idx[d] < shape[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            return new Strided(out, shape);
        }

        Strided view(int... newShape) {
            if (!java.util.Arrays.equals(strides, rowMajorStrides(shape))) {
                throw new IllegalStateException("view of a non-contiguous tensor");
            }
            return new Strided(data, newShape);
        }
    }

    // ---- primitives ----

    float[][] linear(float[][] x, String prefix) {
        Tensor wt = file.tensor(prefix + ".weight");
        float[] w = wt.toFloats();
        float[] b = file.findTensor(prefix + ".bias").map(Tensor::toFloats).orElse(null);
        int in = wt.columns();
        int out = Math.toIntExact(wt.rows());
        boolean round = roundsInput(wt);
        float[][] y = new float[x.length][out];
        for (int r = 0; r < x.length; r++) {
            float[] xr = x[r];
            if (xr.length != in) {
                throw new IllegalArgumentException(prefix + ": input " + xr.length + ", weight " + in);
            }
            float[] xin = new float[in];
            for (int i = 0; i < in; i++) {
                xin[i] = round ? f16(xr[i]) : xr[i];
            }
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int i = 0; i < in; i++) {
                    sum += (double) w[o * in + i] * xin[i];
                }
                y[r][o] = (float) sum + (b == null ? 0 : b[o]);
            }
        }
        return y;
    }

    float[][] layerNorm(float[][] x, String prefix) {
        float[] w = file.tensor(prefix + ".weight").toFloats();
        float[] b = file.findTensor(prefix + ".bias").map(Tensor::toFloats).orElse(null);
        float[][] y = new float[x.length][];
        for (int r = 0; r < x.length; r++) {
            double mean = 0;
            for (float v : x[r]) {
                mean += v;
            }
            mean /= x[r].length;
            double var = 0;
            for (float v : x[r]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[r].length;
            double inv = 1.0 / Math.sqrt(var + eps);
            y[r] = new float[x[r].length];
            for (int j = 0; j < x[r].length; j++) {
                y[r][j] = (float) ((x[r][j] - mean) * inv) * w[j] + (b == null ? 0 : b[j]);
            }
        }
        return y;
    }

    private static float[][] add(float[][] a, float[][] b) {
        float[][] y = new float[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                y[i][j] = a[i][j] + b[i][j];
            }
        }
        return y;
    }

    private boolean roundsInput(Tensor weight) {
        return emulateGgml && weight.type() == GgmlType.F16;
    }

    /** GELU, tanh approximation (ggml_gelu, HF gelu_pytorch_tanh). */
    float gelu(float x) {
        if (!emulateGgml) {
            return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
        }
        if (x <= -10f) {
            return 0f;
        }
        if (x >= 10f) {
            return x;
        }
        double h = f16(x);
        return f16((float) (0.5 * h * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (h + 0.044715 * h * h * h)))));
    }

    /** OpenAI CLIP's quick GELU {@code x * sigmoid(1.702 x)}. */
    float quickGelu(float x) {
        double h = emulateGgml ? f16(x) : x;
        float y = (float) (h / (1 + Math.exp(-1.702 * h)));
        return emulateGgml ? f16(y) : y;
    }

    static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }
}
