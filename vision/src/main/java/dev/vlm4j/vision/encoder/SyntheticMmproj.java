package dev.vlm4j.vision.encoder;

import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufWriter;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight mmproj files in the layouts llama.cpp's converters write, for tests and benchmarks: a LLaVA-1.5
 * style CLIP ViT with the {@code mlp} projector, or a SmolVLM style SigLIP with the {@code idefics3} projector.
 * The weights are seeded Gaussians scaled so that activations stay in a sane range; the outputs are meaningless
 * but deterministic.
 *
 * <pre>{@code
 * SyntheticMmproj.of(SyntheticMmproj.Spec.clipVitB16()).write(Path.of("/tmp/speed-clip-vitb16.gguf"));
 * }</pre>
 *
 * <p>The metadata and tensors stay editable before {@link #write} ({@link #withKey}, {@link #withoutKey},
 * {@link #withTensor}, {@link #withoutTensor}), which tests use to build broken files.
 */
public final class SyntheticMmproj {
    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    private static final float[] SIGLIP_MEAN = {0.5f, 0.5f, 0.5f};
    private static final float[] SIGLIP_STD = {0.5f, 0.5f, 0.5f};

    /**
     * What to generate.
     *
     * @param type            mlp (CLIP/LLaVA) or idefics3 (SigLIP/SmolVLM)
     * @param blocks          {@code clip.vision.block_count}: blocks stored (mlp runs one fewer)
     * @param projectorHidden mlp: rows of {@code mm.0} (ignored for idefics3)
     * @param outputWidth     width of the image embeddings (the text model's embedding width)
     * @param scaleFactor     idefics3 pixel-shuffle factor (ignored for mlp)
     * @param weightType      type of the 2-D and 4-D weights (F32, F16, ...); norms and biases are F32, and
     *                        position/patch embeddings F16 at most, as the converters write them
     * @param legacyNames     mlp: name fc1 {@code ffn_down} and fc2 {@code ffn_up}, as LLaVA-1.5-era files do
     */
    public record Spec(ProjectorType type, int imageSize, int patchSize, int width, int feedForwardLength, int heads,
                       int blocks, int projectorHidden, int outputWidth, int scaleFactor, GgmlType weightType,
                       boolean legacyNames, long seed) {
        /** The benchmark shape {@code speed-clip-vitb16}: ViT-B/16 at 224 px, 12 blocks (11 run), mlp 768 → 768 → 768, F16. */
        public static Spec clipVitB16() {
            return new Spec(ProjectorType.MLP, 224, 16, 768, 3072, 12, 12, 768, 768, 1, GgmlType.F16, true, 20261122L);
        }

        /** A tiny LLaVA-1.5 style CLIP (the shape of the tiny-llava fixture). */
        public static Spec tinyClip(GgmlType weightType, long seed) {
            return new Spec(ProjectorType.MLP, 112, 14, 48, 192, 4, 3, 32, 32, 1, weightType, true, seed);
        }

        /** A tiny SmolVLM style SigLIP: 64 px, patch 8 (8x8 patches), width 32, 2 blocks, shuffle 2 -> 16 tokens of 24. */
        public static Spec tinySmolVlm(GgmlType weightType, long seed) {
            return new Spec(ProjectorType.IDEFICS3, 64, 8, 32, 64, 4, 2, 0, 24, 2, weightType, false, seed);
        }

        public Spec withImageSize(int size) {
            return new Spec(type, size, patchSize, width, feedForwardLength, heads, blocks, projectorHidden, outputWidth,
                    scaleFactor, weightType, legacyNames, seed);
        }
    }

    private final Map<String, GgufValue> metadata;
    private final Map<String, Tensor> tensors;

    private SyntheticMmproj(Map<String, GgufValue> metadata, Map<String, Tensor> tensors) {
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Generates the metadata and random tensors of {@code spec}. */
    public static SyntheticMmproj of(Spec spec) {
        return new Generator(spec).generate();
    }

    public Map<String, GgufValue> metadata() {
        return Map.copyOf(metadata);
    }

    public List<Tensor> tensors() {
        return List.copyOf(tensors.values());
    }

    public Tensor tensor(String name) {
        return tensors.get(name);
    }

    public SyntheticMmproj withKey(String key, GgufValue value) {
        Map<String, GgufValue> m = new LinkedHashMap<>(metadata);
        m.put(key, value);
        return new SyntheticMmproj(m, tensors);
    }

    public SyntheticMmproj withoutKey(String key) {
        Map<String, GgufValue> m = new LinkedHashMap<>(metadata);
        m.remove(key);
        return new SyntheticMmproj(m, tensors);
    }

    /** Adds or replaces a tensor (by name). */
    public SyntheticMmproj withTensor(Tensor tensor) {
        Map<String, Tensor> t = new LinkedHashMap<>(tensors);
        t.put(tensor.name(), tensor);
        return new SyntheticMmproj(metadata, t);
    }

    /** Adds or replaces a tensor with the values given (quantised to {@code type}). */
    public SyntheticMmproj withTensor(String name, GgmlType type, Shape shape, float[] values) {
        return withTensor(new Tensor(name, type, shape, TensorCodecs.quantize(type, values, 0, values.length)));
    }

    public SyntheticMmproj withoutTensor(String name) {
        Map<String, Tensor> t = new LinkedHashMap<>(tensors);
        t.remove(name);
        return new SyntheticMmproj(metadata, t);
    }

    /** Writes the GGUF file. */
    public Path write(Path path) {
        GgufWriter w = new GgufWriter().putAll(metadata);
        tensors.values().forEach(w::tensor);
        w.write(path);
        return path;
    }

    private static final class Generator {
        private final Spec spec;
        private final SplittableRandom random;
        private final Map<String, GgufValue> meta = new LinkedHashMap<>();
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();

        Generator(Spec spec) {
            this.spec = spec;
            this.random = new SplittableRandom(spec.seed());
        }

        SyntheticMmproj generate() {
            boolean mlp = spec.type() == ProjectorType.MLP;
            int w = spec.width();
            int ffn = spec.feedForwardLength();
            int side = spec.imageSize() / spec.patchSize();
            int positions = side * side + (mlp ? 1 : 0);

            meta.put("general.architecture", GgufValue.str("clip"));
            meta.put("general.name", GgufValue.str("vlm4j synthetic " + spec.type().ggufName() + " mmproj"));
            meta.put("general.file_type", GgufValue.u32(spec.weightType() == GgmlType.F32 ? 0 : 1));
            meta.put("clip.has_text_encoder", GgufValue.bool(false));
            meta.put("clip.has_vision_encoder", GgufValue.bool(true));
            meta.put("clip.has_llava_projector", GgufValue.bool(mlp));
            meta.put("clip.projector_type", GgufValue.str(spec.type().ggufName()));
            meta.put("clip.vision.image_size", GgufValue.u32(spec.imageSize()));
            meta.put("clip.vision.patch_size", GgufValue.u32(spec.patchSize()));
            meta.put("clip.vision.embedding_length", GgufValue.u32(w));
            meta.put("clip.vision.feed_forward_length", GgufValue.u32(ffn));
            meta.put("clip.vision.projection_dim", GgufValue.u32(mlp ? Math.max(1, w / 2) : spec.outputWidth()));
            meta.put("clip.vision.attention.head_count", GgufValue.u32(spec.heads()));
            meta.put("clip.vision.attention.layer_norm_epsilon", GgufValue.f32(mlp ? 1e-5f : 1e-6f));
            meta.put("clip.vision.block_count", GgufValue.u32(spec.blocks()));
            meta.put("clip.vision.image_mean", GgufValue.floats(mlp ? CLIP_MEAN : SIGLIP_MEAN));
            meta.put("clip.vision.image_std", GgufValue.floats(mlp ? CLIP_STD : SIGLIP_STD));
            meta.put("clip.use_gelu", GgufValue.bool(!mlp));
            if (!mlp) {
                meta.put("clip.vision.projector.scale_factor", GgufValue.u32(spec.scaleFactor()));
                meta.put("clip.vision.preproc_image_size", GgufValue.u32(spec.imageSize() * 4));
            }

            GgmlType embType = spec.weightType() == GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
            if (mlp) {
                vector("v.class_embd", w, 0, 0.5);
            }
            matrix("v.patch_embd.weight", embType, Shape.of(spec.patchSize(), spec.patchSize(), 3, w), 0.04);
            if (!mlp) {
                vector("v.patch_embd.bias", w, 0, 0.05);
            }
            matrix("v.position_embd.weight", embType, Shape.of(w, positions), 0.3);
            if (mlp) {
                layerNorm("v.pre_ln", w);
            }
            double attnStd = 1.0 / Math.sqrt(w);
            for (int i = 0; i < spec.blocks(); i++) {
                String p = "v.blk." + i + ".";
                for (String t : new String[] {"attn_q", "attn_k", "attn_v", "attn_out"}) {
                    matrix(p + t + ".weight", spec.weightType(), Shape.of(w, w), 1.5 * attnStd);
                    vector(p + t + ".bias", w, 0, 0.05);
                }
                layerNorm(p + "ln1", w);
                String fc1 = spec.legacyNames() ? "ffn_down" : "ffn_up";
                String fc2 = spec.legacyNames() ? "ffn_up" : "ffn_down";
                matrix(p + fc1 + ".weight", spec.weightType(), Shape.of(w, ffn), 1.5 / Math.sqrt(w));
                vector(p + fc1 + ".bias", ffn, 0, 0.05);
                matrix(p + fc2 + ".weight", spec.weightType(), Shape.of(ffn, w), 1.0 / Math.sqrt(ffn));
                vector(p + fc2 + ".bias", w, 0, 0.05);
                layerNorm(p + "ln2", w);
            }
            if (mlp) {
                int hidden = spec.projectorHidden();
                matrix("mm.0.weight", spec.weightType(), Shape.of(w, hidden), 1.2 / Math.sqrt(w));
                vector("mm.0.bias", hidden, 0, 0.05);
                matrix("mm.2.weight", spec.weightType(), Shape.of(hidden, spec.outputWidth()), 1.2 / Math.sqrt(hidden));
                vector("mm.2.bias", spec.outputWidth(), 0, 0.05);
            } else {
                layerNorm("v.post_ln", w);
                int in = w * spec.scaleFactor() * spec.scaleFactor();
                matrix("mm.model.fc.weight", spec.weightType(), Shape.of(in, spec.outputWidth()), 1.0 / Math.sqrt(in));
            }
            return new SyntheticMmproj(meta, tensors);
        }

        private void layerNorm(String prefix, int n) {
            vector(prefix + ".weight", n, 1, 0.1);
            vector(prefix + ".bias", n, 0, 0.05);
        }

        private void vector(String name, int n, double mean, double std) {
            add(name, GgmlType.F32, Shape.of(n), mean, std);
        }

        private void matrix(String name, GgmlType type, Shape shape, double std) {
            add(name, type, shape, 0, std);
        }

        private void add(String name, GgmlType type, Shape shape, double mean, double std) {
            float[] v = new float[Math.toIntExact(shape.elements())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (mean + std * random.nextGaussian());
            }
            tensors.put(name, new Tensor(name, type, shape, TensorCodecs.quantize(type, v, 0, v.length)));
        }
    }
}
