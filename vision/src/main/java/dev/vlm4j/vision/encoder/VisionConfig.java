package dev.vlm4j.vision.encoder;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufMetadata;
import dev.vlm4j.gguf.MissingTensorException;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * What an mmproj GGUF ({@code general.architecture = clip}) says about its vision encoder, read from its metadata
 * and checked against its tensors' shapes. Nothing here is assumed: every size comes from the file.
 *
 * <p>Two layouts are understood:
 * <ul>
 *   <li>{@link ProjectorType#MLP} (LLaVA-1.5, CLIP ViT): class token, pre-LayerNorm, quick GELU unless
 *       {@code clip.use_gelu}, only the first {@code block_count - 1} blocks are run (llama.cpp's feature layer −2),
 *       the class token is dropped, then {@code mm.0} → GELU → {@code mm.2}.</li>
 *   <li>{@link ProjectorType#IDEFICS3} (SmolVLM, SigLIP): no class token, patch bias, GELU, all blocks,
 *       post-LayerNorm, pixel shuffle by {@link #scaleFactor()}, then {@code mm.model.fc}.</li>
 * </ul>
 *
 * @param file                  the mmproj file (for messages)
 * @param projectorType         {@code clip.projector_type} ("mlp" when absent, as llama.cpp)
 * @param imageSize             side of the square input image in pixels ({@code clip.vision.image_size})
 * @param patchSize             side of a patch ({@code clip.vision.patch_size})
 * @param width                 ViT hidden size ({@code clip.vision.embedding_length})
 * @param feedForwardLength     ViT MLP size ({@code clip.vision.feed_forward_length})
 * @param headCount             attention heads ({@code clip.vision.attention.head_count})
 * @param blockCount            blocks stored in the file ({@code clip.vision.block_count})
 * @param blocksToRun           blocks the encoder runs: {@code blockCount - 1} for mlp, {@code blockCount} for idefics3
 * @param layerNormEps          {@code clip.vision.attention.layer_norm_epsilon}
 * @param projectionDim         {@code clip.vision.projection_dim}: CLIP's own (unused) projection size, 0 when absent;
 *                              <em>not</em> the output width
 * @param imageMean             per-channel mean used by preprocessing ({@code clip.vision.image_mean})
 * @param imageStd              per-channel std used by preprocessing ({@code clip.vision.image_std})
 * @param feedForwardActivation quick GELU, or GELU with {@code clip.use_gelu}, or SiLU with {@code clip.use_silu}
 * @param classToken            whether a class token ({@code v.class_embd}) is prepended (mlp only)
 * @param patchBias             whether {@code v.patch_embd.bias} exists
 * @param preLayerNorm          whether {@code v.pre_ln.*} exists
 * @param postLayerNorm         whether {@code v.post_ln.*} exists
 * @param scaleFactor           pixel-shuffle factor per side ({@code clip.vision.projector.scale_factor}); 1 for mlp
 * @param projectorHidden       rows of {@code mm.0.weight} for mlp; 0 for idefics3
 * @param outputWidth           width of one image embedding row: the length of {@code mm.2.bias} (mlp) or the rows of
 *                              {@code mm.model.fc.weight} (idefics3); must equal the text model's embedding width
 * @param legacyFeedForwardNames true when {@code ffn_down} holds the first MLP layer (fc1) and {@code ffn_up} the
 *                              second, as in LLaVA-1.5-era files; decided from the tensor shapes
 * @param preprocessLongestEdge {@code clip.vision.preproc_image_size} (idefics3: the longest edge images are resized
 *                              to before tiling), 0 when absent
 */
public record VisionConfig(
        Path file,
        ProjectorType projectorType,
        int imageSize,
        int patchSize,
        int width,
        int feedForwardLength,
        int headCount,
        int blockCount,
        int blocksToRun,
        float layerNormEps,
        int projectionDim,
        float[] imageMean,
        float[] imageStd,
        Activation feedForwardActivation,
        boolean classToken,
        boolean patchBias,
        boolean preLayerNorm,
        boolean postLayerNorm,
        int scaleFactor,
        int projectorHidden,
        int outputWidth,
        boolean legacyFeedForwardNames,
        int preprocessLongestEdge) {

    // ---- GGUF keys (llama.cpp's clip-impl.h) ----
    static final String KEY_ARCHITECTURE = "general.architecture";
    static final String KEY_HAS_VISION = "clip.has_vision_encoder";
    static final String KEY_PROJECTOR_TYPE = "clip.projector_type";
    static final String KEY_VISION_PROJECTOR_TYPE = "clip.vision.projector_type";
    static final String KEY_IMAGE_SIZE = "clip.vision.image_size";
    static final String KEY_PATCH_SIZE = "clip.vision.patch_size";
    static final String KEY_WIDTH = "clip.vision.embedding_length";
    static final String KEY_FFN = "clip.vision.feed_forward_length";
    static final String KEY_PROJECTION_DIM = "clip.vision.projection_dim";
    static final String KEY_HEADS = "clip.vision.attention.head_count";
    static final String KEY_EPS = "clip.vision.attention.layer_norm_epsilon";
    static final String KEY_BLOCKS = "clip.vision.block_count";
    static final String KEY_MEAN = "clip.vision.image_mean";
    static final String KEY_STD = "clip.vision.image_std";
    static final String KEY_USE_GELU = "clip.use_gelu";
    static final String KEY_USE_SILU = "clip.use_silu";
    static final String KEY_SCALE_FACTOR = "clip.vision.projector.scale_factor";
    static final String KEY_PREPROC_IMAGE_SIZE = "clip.vision.preproc_image_size";
    static final String KEY_FEATURE_LAYER = "clip.vision.feature_layer";
    static final String KEY_GRID_PINPOINTS = "clip.vision.image_grid_pinpoints";
    static final String KEY_PATCH_MERGE_TYPE = "clip.vision.mm_patch_merge_type";

    // ---- tensor names ----
    static final String CLASS_EMBD = "v.class_embd";
    static final String PATCH_EMBD = "v.patch_embd.weight";
    static final String PATCH_BIAS = "v.patch_embd.bias";
    static final String POSITION_EMBD = "v.position_embd.weight";
    static final String PRE_LN = "v.pre_ln";
    static final String POST_LN = "v.post_ln";
    static final String MM0 = "mm.0";
    static final String MM2 = "mm.2";
    static final String MM3 = "mm.3";
    static final String IDEFICS3_FC = "mm.model.fc.weight";

    static String block(int index, String tensor, String suffix) {
        return "v.blk." + index + "." + tensor + "." + suffix;
    }

    public VisionConfig {
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    @Override
    public float[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public float[] imageStd() {
        return imageStd.clone();
    }

    /** Patches along one side of the image. */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Patches per image (the ViT's patch tokens). */
    public int patchCount() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Rows of the ViT's activations: the patches, plus the class token when there is one. */
    public int positions() {
        return patchCount() + (classToken ? 1 : 0);
    }

    public int headDim() {
        return width / headCount;
    }

    /** Values in one flattened patch: {@code 3 * patchSize * patchSize}, in (channel, y, x) order. */
    public int patchVectorLength() {
        return 3 * patchSize * patchSize;
    }

    /** Patches per side after padding to a multiple of the scale factor (pixel shuffle pads with zeros as ggml does). */
    int shuffledSide() {
        return (patchesPerSide() + scaleFactor - 1) / scaleFactor;
    }

    /** Image embedding rows ("image tokens") one image becomes. */
    public int outputTokens() {
        return switch (projectorType) {
            case MLP -> patchCount();
            case IDEFICS3 -> shuffledSide() * shuffledSide();
        };
    }

    /**
     * Refuses to pair this mmproj with a text model whose token embeddings are {@code textEmbeddingWidth} wide
     * (the image rows are fed to the decoder in place of token embeddings, so the widths must agree).
     *
     * @param textModel a name for the text model in the message, e.g. its path
     */
    public void requireOutputWidth(int textEmbeddingWidth, String textModel) {
        if (textEmbeddingWidth != outputWidth) {
            throw new EmbeddingWidthMismatchException(file, outputWidth, textModel, textEmbeddingWidth);
        }
    }

    /** The same configuration running {@code blocks} blocks instead (tests use it to show the feature-layer choice matters). */
    VisionConfig withBlocksToRun(int blocks) {
        if (blocks < 0 || blocks > blockCount) {
            throw new IllegalArgumentException("blocks to run must be within 0.." + blockCount + ", got " + blocks);
        }
        return new VisionConfig(file, projectorType, imageSize, patchSize, width, feedForwardLength, headCount,
                blockCount, blocks, layerNormEps, projectionDim, imageMean, imageStd, feedForwardActivation, classToken,
                patchBias, preLayerNorm, postLayerNorm, scaleFactor, projectorHidden, outputWidth,
                legacyFeedForwardNames, preprocessLongestEdge);
    }

    @Override
    public String toString() {
        return "VisionConfig[" + projectorType.ggufName() + ", image " + imageSize + ", patch " + patchSize + ", width "
                + width + ", ffn " + feedForwardLength + ", heads " + headCount + ", blocks " + blocksToRun + "/"
                + blockCount + ", " + feedForwardActivation + ", tokens " + outputTokens() + " x " + outputWidth
                + ", mean " + Arrays.toString(imageMean) + ", std " + Arrays.toString(imageStd) + "]";
    }

    /**
     * Reads and validates the vision configuration of {@code mmproj}: metadata keys, projector type, and the
     * presence and shape of every tensor the encoder will use. Touches no tensor data.
     *
     * @throws dev.vlm4j.gguf.GgufMetadataException a required key is missing or has the wrong type
     * @throws MissingTensorException               a required tensor is missing
     * @throws InvalidMmprojException               not a CLIP file, wrong tensor shapes, contradictory values
     * @throws UnsupportedMmprojException           a projector type or feature vlm4j does not implement
     */
    public static VisionConfig read(GgufFile mmproj) {
        return new Reader(mmproj).read();
    }

    /** Validation with the file at hand for messages. */
    private static final class Reader {
        private final GgufFile gguf;
        private final GgufMetadata meta;
        private final Path path;

        Reader(GgufFile gguf) {
            this.gguf = gguf;
            this.meta = gguf.metadata();
            this.path = gguf.path();
        }

        VisionConfig read() {
            String arch = meta.string(KEY_ARCHITECTURE);
            if (!arch.equals("clip")) {
                throw invalid("general.architecture is '" + arch + "', expected 'clip' (is this the text model instead of the mmproj?)");
            }
            if (!meta.bool(KEY_HAS_VISION, false)) {
                throw new UnsupportedMmprojException(path, KEY_HAS_VISION + " is not true: the file has no vision encoder");
            }
            ProjectorType type = projectorType();
            rejectUnsupportedFeatures(type);

            int imageSize = positive(KEY_IMAGE_SIZE);
            int patchSize = positive(KEY_PATCH_SIZE);
            if (patchSize > imageSize) {
                throw invalid("patch size " + patchSize + " is larger than the image size " + imageSize);
            }
            int width = positive(KEY_WIDTH);
            int ffn = positive(KEY_FFN);
            int heads = positive(KEY_HEADS);
            if (width % heads != 0) {
                throw invalid("embedding length " + width + " is not a multiple of the " + heads + " attention heads");
            }
            int blocks = positive(KEY_BLOCKS);
            float eps = meta.floatValue(KEY_EPS);
            if (!(eps > 0) || !Float.isFinite(eps)) {
                throw invalid(KEY_EPS + " is " + eps + ", expected a small positive number");
            }
            int projectionDim = meta.intValue(KEY_PROJECTION_DIM, 0);
            float[] mean = rgb(KEY_MEAN);
            float[] std = rgb(KEY_STD);
            Activation activation = feedForwardActivation();

            int patchesPerSide = imageSize / patchSize;
            int patchCount = patchesPerSide * patchesPerSide;

            // Embeddings.
            Tensor patch = require(PATCH_EMBD);
            expectShape(patch, patchSize, patchSize, 3, width);
            boolean patchBias = optional(PATCH_BIAS, width);
            // llama.cpp's SigLIP graph ignores a class embedding; the LLaVA graph prepends it when present.
            boolean classToken = type == ProjectorType.MLP && optional(CLASS_EMBD, width);
            int positions = patchCount + (classToken ? 1 : 0);
            expectShape(require(POSITION_EMBD), width, positions);
            boolean preLn = layerNorm(PRE_LN, width);
            boolean postLn = layerNorm(POST_LN, width);

            // Blocks: every stored block must be complete (llama.cpp loads them all), even those not run.
            boolean legacyNames = false;
            for (int i = 0; i < blocks; i++) {
                for (String t : new String[] {"attn_q", "attn_k", "attn_v", "attn_out"}) {
                    expectShape(require(block(i, t, "weight")), width, width);
                    optional(block(i, t, "bias"), width);
                }
                expectShape(require(block(i, "ln1", "weight")), width);
                optional(block(i, "ln1", "bias"), width);
                expectShape(require(block(i, "ln2", "weight")), width);
                optional(block(i, "ln2", "bias"), width);
                boolean legacy = feedForwardNaming(i, width, ffn);
                if (i > 0 && legacy != legacyNames) {
                    throw invalid("block " + i + " names its MLP layers differently from block 0");
                }
                legacyNames = legacy;
            }

            int blocksToRun;
            int scaleFactor;
            int hidden;
            int outputWidth;
            switch (type) {
                case MLP -> {
                    blocksToRun = blocks - 1; // llama.cpp's LLaVA path: the output of the second-to-last layer
                    scaleFactor = 1;
                    if (gguf.hasTensor(MM3 + ".weight")) {
                        throw new UnsupportedMmprojException(path, "the mlp_norm projector (mm.0..mm.4, Yi-VL style) is not implemented");
                    }
                    Tensor mm0 = require(MM0 + ".weight");
                    hidden = rows(mm0, 2);
                    expectShape(mm0, width, hidden);
                    optional(MM0 + ".bias", hidden);
                    Tensor mm2Bias = require(MM2 + ".bias");
                    outputWidth = rows(mm2Bias, 1);
                    expectShape(mm2Bias, outputWidth);
                    expectShape(require(MM2 + ".weight"), hidden, outputWidth);
                }
                case IDEFICS3 -> {
                    blocksToRun = blocks;
                    scaleFactor = meta.intValue(KEY_SCALE_FACTOR);
                    if (scaleFactor < 2) {
                        throw invalid(KEY_SCALE_FACTOR + " is " + scaleFactor + ", the idefics3 pixel shuffle needs at least 2");
                    }
                    if (!postLn) {
                        throw new MissingTensorException(path, POST_LN + ".weight");
                    }
                    hidden = 0;
                    Tensor fc = require(IDEFICS3_FC);
                    outputWidth = rows(fc, 2);
                    expectShape(fc, (long) width * scaleFactor * scaleFactor, outputWidth);
                }
                default -> throw new IllegalStateException(type.toString());
            }
            int longestEdge = meta.intValue(KEY_PREPROC_IMAGE_SIZE, 0);
            return new VisionConfig(path, type, imageSize, patchSize, width, ffn, heads, blocks, blocksToRun, eps,
                    projectionDim, mean, std, activation, classToken, patchBias, preLn, postLn, scaleFactor, hidden,
                    outputWidth, legacyNames, longestEdge);
        }

        private ProjectorType projectorType() {
            Optional<String> name = meta.optString(KEY_PROJECTOR_TYPE);
            if (name.isEmpty()) {
                name = meta.optString(KEY_VISION_PROJECTOR_TYPE); // files with several modalities
            }
            String n = name.orElse("mlp"); // as llama.cpp: absent means the LLaVA MLP
            return ProjectorType.fromGgufName(n).orElseThrow(() -> new UnsupportedMmprojException(path,
                    "projector type '" + n + "' (" + KEY_PROJECTOR_TYPE + ") is not supported; vlm4j implements "
                            + Arrays.stream(ProjectorType.values()).map(ProjectorType::ggufName).toList()));
        }

        /** Features that change what the encoder must compute and that vlm4j does not implement: refuse, don't guess. */
        private void rejectUnsupportedFeatures(ProjectorType type) {
            if (meta.contains(KEY_FEATURE_LAYER)) {
                throw new UnsupportedMmprojException(path, KEY_FEATURE_LAYER + " (features from several ViT layers) is not implemented");
            }
            if (meta.contains(KEY_GRID_PINPOINTS) || gguf.hasTensor("model.image_newline")
                    || meta.optString(KEY_PATCH_MERGE_TYPE).filter(s -> s.equals("spatial_unpad")).isPresent()) {
                throw new UnsupportedMmprojException(path, "LLaVA-NeXT (anyres tiling, image_newline) is not implemented");
            }
            if (gguf.hasTensor(PATCH_EMBD + ".1")) {
                throw new UnsupportedMmprojException(path, "a second patch embedding (video / Qwen2-VL style) is not implemented");
            }
            if (type == ProjectorType.MLP && gguf.hasTensor(block(0, "attn_qkv", "weight"))) {
                throw new UnsupportedMmprojException(path, "fused attn_qkv weights are not implemented");
            }
        }

        private Activation feedForwardActivation() {
            boolean gelu = meta.bool(KEY_USE_GELU, false);
            boolean silu = meta.bool(KEY_USE_SILU, false);
            if (gelu && silu) {
                throw invalid("both " + KEY_USE_GELU + " and " + KEY_USE_SILU + " are true");
            }
            return gelu ? Activation.GELU : silu ? Activation.SILU : Activation.GELU_QUICK;
        }

        /** True when the legacy names hold (ffn_down = fc1, width → ffn); decided by shape as llama.cpp does. */
        private boolean feedForwardNaming(int i, int width, int ffn) {
            Tensor down = require(block(i, "ffn_down", "weight"));
            Tensor up = require(block(i, "ffn_up", "weight"));
            // llama.cpp swaps when ffn_down's input is the model width; with width == ffn both readings agree on it.
            boolean legacy = down.shape().equals(Shape.of(width, ffn)) && up.shape().equals(Shape.of(ffn, width));
            boolean modern = up.shape().equals(Shape.of(width, ffn)) && down.shape().equals(Shape.of(ffn, width));
            if (!legacy && !modern) {
                throw invalid("block " + i + " MLP weights have shapes ffn_up " + up.shape() + " and ffn_down " + down.shape()
                        + "; expected one of them " + Shape.of(width, ffn) + " (width -> ffn) and the other "
                        + Shape.of(ffn, width));
            }
            String first = legacy ? "ffn_down" : "ffn_up";
            String second = legacy ? "ffn_up" : "ffn_down";
            optional(block(i, first, "bias"), ffn);
            optional(block(i, second, "bias"), width);
            return legacy;
        }

        private boolean layerNorm(String prefix, int width) {
            if (!optional(prefix + ".weight", width)) {
                if (gguf.hasTensor(prefix + ".bias")) {
                    throw new MissingTensorException(path, prefix + ".weight");
                }
                return false;
            }
            optional(prefix + ".bias", width);
            return true;
        }

        private int positive(String key) {
            int v = meta.intValue(key);
            if (v <= 0) {
                throw invalid(key + " is " + v + ", expected a positive number");
            }
            return v;
        }

        private float[] rgb(String key) {
            float[] v = meta.floatArray(key);
            if (v.length != 3) {
                throw invalid(key + " has " + v.length + " values, expected 3 (R, G, B)");
            }
            return v;
        }

        private Tensor require(String name) {
            return gguf.tensor(name); // MissingTensorException names the file and the tensor
        }

        /** Checks the shape of an optional tensor; returns whether it is present. */
        private boolean optional(String name, long... ne) {
            Optional<Tensor> t = gguf.findTensor(name);
            t.ifPresent(tensor -> expectShape(tensor, ne));
            return t.isPresent();
        }

        private int rows(Tensor t, int rank) {
            long[] ne = t.shape().ne();
            if (ne.length != rank) {
                throw invalid("tensor '" + t.name() + "' has shape " + t.shape() + ", expected " + rank + " dimensions");
            }
            return Math.toIntExact(ne[rank - 1]);
        }

        private void expectShape(Tensor t, long... ne) {
            if (!t.shape().equals(Shape.of(ne))) {
                throw invalid("tensor '" + t.name() + "' has shape " + t.shape() + ", expected " + Arrays.toString(ne)
                        + " (ggml order, ne0 first)");
            }
        }

        private InvalidMmprojException invalid(String problem) {
            return new InvalidMmprojException(path, problem);
        }
    }
}
