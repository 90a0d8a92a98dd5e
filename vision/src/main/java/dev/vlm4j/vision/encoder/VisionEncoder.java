package dev.vlm4j.vision.encoder;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.vision.image.PixelTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A ViT image encoder plus projector, loaded from an mmproj GGUF: preprocessed pixels in, one embedding row per
 * image token out. Every kernel runs on the given {@link Backend}, so the same code runs on the CPU, OpenCL or
 * TornadoVM; the weights stay memory-mapped in the {@link GgufFile} (which must stay open while this is used).
 *
 * <p>What it computes is what llama.cpp's {@code clip.cpp} computes (see {@link VisionConfig} for the two
 * layouts): patch embedding as one matrix product over all patches (im2col), class token and learned positions,
 * pre-norm transformer blocks, then the projector. All matmuls run over every patch at once (matrix × matrix).
 *
 * <p>One deliberate difference: llama.cpp's LLaVA graph multiplies Q by {@code 1/sqrt(head_dim)} before Q·Kᵀ,
 * the backend's attention scales the scores after it. The two differ by float32 rounding only (about one ulp of
 * each score); the parity tests against llama.cpp's embeddings measure the total.
 *
 * <p>Like its backend, an encoder is used by one thread at a time: it reuses its activation buffers between
 * images. The returned {@link ImageEmbedding} is a fresh matrix per image.
 */
public final class VisionEncoder {
    private final VisionConfig config;
    private final Backend backend;
    private final Weight patchWeight;
    private final Weight patchBias;
    private final Weight classEmbedding;
    private final Matrix positionEmbeddings;
    private final Weight preLnWeight;
    private final Weight preLnBias;
    private final Weight postLnWeight;
    private final Weight postLnBias;
    private final List<Block> blocks;
    private final Projector projector;
    private final AttentionShape attention;
    private Scratch scratch;

    /** The weights of one transformer block; biases may be null. {@code fc1} maps width → ffn, {@code fc2} back. */
    private record Block(Weight ln1Weight, Weight ln1Bias, Weight qWeight, Weight qBias, Weight kWeight, Weight kBias,
                         Weight vWeight, Weight vBias, Weight outWeight, Weight outBias, Weight ln2Weight,
                         Weight ln2Bias, Weight fc1Weight, Weight fc1Bias, Weight fc2Weight, Weight fc2Bias) {}

    private sealed interface Projector {}

    private record MlpProjector(Weight w0, Weight b0, Weight w2, Weight b2) implements Projector {}

    private record PixelShuffleProjector(Weight fc) implements Projector {}

    /** Activation buffers, allocated on the backend once and reused for every image. */
    private record Scratch(Matrix patches, Matrix x, Matrix h, Matrix q, Matrix k, Matrix v, Matrix attn, Matrix ffn,
                           Matrix projectorInput) {}

    private VisionEncoder(GgufFile file, VisionConfig config, Backend backend) {
        this.config = config;
        this.backend = backend;
        Tensor patch = file.tensor(VisionConfig.PATCH_EMBD);
        int patchLength = config.patchVectorLength();
        if (patchLength % patch.type().blockSize() != 0) {
            throw new InvalidMmprojException(config.file(), "tensor '" + patch.name() + "' is " + patch.type()
                    + ", whose blocks of " + patch.type().blockSize() + " do not divide a patch of " + patchLength + " values");
        }
        // ne [p, p, 3, width] is, byte for byte, a [width][3*p*p] matrix whose rows read (channel, y, x).
        this.patchWeight = backend.weight(new Tensor(patch.name(), patch.type(), Shape.of(patchLength, config.width()), patch.data()));
        this.patchBias = optional(file, VisionConfig.PATCH_BIAS);
        this.classEmbedding = config.classToken() ? weight(file, VisionConfig.CLASS_EMBD) : null;
        // The positions never change: gather them once.
        this.positionEmbeddings = backend.matrix(config.positions(), config.width());
        int[] ids = new int[config.positions()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        backend.getRows(weight(file, VisionConfig.POSITION_EMBD), ids, positionEmbeddings);
        this.preLnWeight = config.preLayerNorm() ? weight(file, VisionConfig.PRE_LN + ".weight") : null;
        this.preLnBias = config.preLayerNorm() ? optional(file, VisionConfig.PRE_LN + ".bias") : null;
        this.postLnWeight = config.postLayerNorm() ? weight(file, VisionConfig.POST_LN + ".weight") : null;
        this.postLnBias = config.postLayerNorm() ? optional(file, VisionConfig.POST_LN + ".bias") : null;
        List<Block> bs = new ArrayList<>();
        String fc1 = config.legacyFeedForwardNames() ? "ffn_down" : "ffn_up";
        String fc2 = config.legacyFeedForwardNames() ? "ffn_up" : "ffn_down";
        for (int i = 0; i < config.blocksToRun(); i++) { // blocks that are not run are not bound (nor uploaded)
            bs.add(new Block(
                    weight(file, VisionConfig.block(i, "ln1", "weight")), optional(file, VisionConfig.block(i, "ln1", "bias")),
                    weight(file, VisionConfig.block(i, "attn_q", "weight")), optional(file, VisionConfig.block(i, "attn_q", "bias")),
                    weight(file, VisionConfig.block(i, "attn_k", "weight")), optional(file, VisionConfig.block(i, "attn_k", "bias")),
                    weight(file, VisionConfig.block(i, "attn_v", "weight")), optional(file, VisionConfig.block(i, "attn_v", "bias")),
                    weight(file, VisionConfig.block(i, "attn_out", "weight")), optional(file, VisionConfig.block(i, "attn_out", "bias")),
                    weight(file, VisionConfig.block(i, "ln2", "weight")), optional(file, VisionConfig.block(i, "ln2", "bias")),
                    weight(file, VisionConfig.block(i, fc1, "weight")), optional(file, VisionConfig.block(i, fc1, "bias")),
                    weight(file, VisionConfig.block(i, fc2, "weight")), optional(file, VisionConfig.block(i, fc2, "bias"))));
        }
        this.blocks = List.copyOf(bs);
        this.projector = switch (config.projectorType()) {
            case MLP -> new MlpProjector(weight(file, VisionConfig.MM0 + ".weight"), optional(file, VisionConfig.MM0 + ".bias"),
                    weight(file, VisionConfig.MM2 + ".weight"), weight(file, VisionConfig.MM2 + ".bias"));
            case IDEFICS3 -> new PixelShuffleProjector(weight(file, VisionConfig.IDEFICS3_FC));
        };
        this.attention = new AttentionShape(config.headCount(), config.headCount(), config.headDim());
    }

    /**
     * Reads the configuration of {@code mmproj} (validating metadata and tensor shapes, see
     * {@link VisionConfig#read}) and binds its weights on {@code backend}.
     */
    public static VisionEncoder load(GgufFile mmproj, Backend backend) {
        return new VisionEncoder(mmproj, VisionConfig.read(mmproj), backend);
    }

    /** As {@link #load} with a configuration the caller changed (tests: the number of blocks run). */
    static VisionEncoder load(GgufFile mmproj, VisionConfig config, Backend backend) {
        return new VisionEncoder(mmproj, config, backend);
    }

    private Weight weight(GgufFile file, String name) {
        return backend.weight(file.tensor(name));
    }

    private Weight optional(GgufFile file, String name) {
        Optional<Tensor> t = file.findTensor(name);
        return t.map(backend::weight).orElse(null);
    }

    public VisionConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /** Image tokens (embedding rows) per image. */
    public int outputTokens() {
        return config.outputTokens();
    }

    /** Width of an embedding row; equals the text model's embedding width. */
    public int outputWidth() {
        return config.outputWidth();
    }

    /** Side in pixels of the square image the encoder takes. */
    public int imageSize() {
        return config.imageSize();
    }

    /** Per-channel normalisation mean (R, G, B) preprocessing must use. */
    public float[] imageMean() {
        return config.imageMean();
    }

    /** Per-channel normalisation std (R, G, B) preprocessing must use. */
    public float[] imageStd() {
        return config.imageStd();
    }

    public ProjectorType projectorType() {
        return config.projectorType();
    }

    /** See {@link VisionConfig#requireOutputWidth}. */
    public void requireOutputWidth(int textEmbeddingWidth, String textModel) {
        config.requireOutputWidth(textEmbeddingWidth, textModel);
    }

    /**
     * Encodes one preprocessed image ({@code 3 x imageSize x imageSize}, normalised, CHW).
     *
     * @throws ImageSizeMismatchException the tensor is not the size this encoder was trained for
     */
    public ImageEmbedding encode(PixelTensor pixels) {
        scratch(); // allocated (once) outside the stages, so the first stage's kernels are the ones every image runs
        Matrix x = backend.stage("vit-embed", () -> embed(pixels));
        for (int i = 0; i < blocks.size(); i++) {
            int block = i;
            backend.stage("vit-block", () -> runBlock(block, x));
        }
        return backend.stage("projector", () -> project(finalNorm(x)));
    }

    // ---- the steps (package-private so tests can check each against a scalar reference) ----

    /**
     * Patch embedding, class token, positions, pre-LayerNorm: the ViT's input rows. Returns the encoder's
     * residual-stream buffer, valid until the next call.
     */
    Matrix embed(PixelTensor pixels) {
        int size = config.imageSize();
        if (pixels.channels() != 3 || pixels.height() != size || pixels.width() != size) {
            throw new ImageSizeMismatchException("the vision encoder of " + config.file() + " takes 3 x " + size + " x "
                    + size + " pixels (CHW), got " + pixels.channels() + " x " + pixels.height() + " x " + pixels.width()
                    + "; preprocess the image for this model first");
        }
        Scratch s = scratch();
        backend.write(s.patches(), im2col(pixels));
        int first = config.classToken() ? 1 : 0;
        backend.matmul(patchWeight, patchBias, s.patches(), s.x().rows(first, config.patchCount()));
        if (config.classToken()) {
            backend.getRows(classEmbedding, new int[] {0}, s.x().row(0));
        }
        backend.add(s.x(), positionEmbeddings, s.x());
        if (config.preLayerNorm()) {
            backend.layerNorm(s.x(), preLnWeight, preLnBias, config.layerNormEps(), s.h());
            backend.copy(s.h(), s.x());
        }
        return s.x();
    }

    /** Runs block {@code index} on {@code x} in place (pre-norm attention, then pre-norm MLP, both residual). */
    void runBlock(int index, Matrix x) {
        Block b = blocks.get(index);
        Scratch s = scratch();
        int n = x.rows();
        Matrix h = s.h().rows(0, n);
        Matrix q = s.q().rows(0, n);
        Matrix k = s.k().rows(0, n);
        Matrix v = s.v().rows(0, n);
        Matrix attn = s.attn().rows(0, n);
        Matrix ffn = s.ffn().rows(0, n);
        float eps = config.layerNormEps();

        backend.layerNorm(x, b.ln1Weight(), b.ln1Bias(), eps, h);
        backend.matmul(b.qWeight(), b.qBias(), h, q);
        backend.matmul(b.kWeight(), b.kBias(), h, k);
        backend.matmul(b.vWeight(), b.vBias(), h, v);
        backend.attention(q, k, v, attn, attention, n, false, 0);
        backend.matmul(b.outWeight(), b.outBias(), attn, h);
        backend.add(x, h, x);

        backend.layerNorm(x, b.ln2Weight(), b.ln2Bias(), eps, h);
        backend.matmul(b.fc1Weight(), b.fc1Bias(), h, ffn);
        backend.activation(config.feedForwardActivation(), ffn, ffn);
        backend.matmul(b.fc2Weight(), b.fc2Bias(), ffn, h);
        backend.add(x, h, x);
    }

    /** The post-LayerNorm when the model has one (SigLIP), else {@code x} itself. */
    Matrix finalNorm(Matrix x) {
        if (!config.postLayerNorm()) {
            return x;
        }
        Matrix h = scratch().h().rows(0, x.rows());
        backend.layerNorm(x, postLnWeight, postLnBias, config.layerNormEps(), h);
        return h;
    }

    /** The projector, from the ViT's output rows (class token included when there is one) to the image tokens. */
    ImageEmbedding project(Matrix features) {
        Scratch s = scratch();
        Matrix out = backend.matrix(config.outputTokens(), config.outputWidth());
        switch (projector) {
            case MlpProjector p -> {
                Matrix patches = features.rows(config.classToken() ? 1 : 0, config.patchCount()); // drop the class token
                backend.matmul(p.w0(), p.b0(), patches, s.projectorInput());
                backend.activation(Activation.GELU, s.projectorInput(), s.projectorInput());
                backend.matmul(p.w2(), p.b2(), s.projectorInput(), out);
            }
            case PixelShuffleProjector p -> {
                // The Backend interface has no strided copy, so the (small) rearrangement goes through the host.
                float[] shuffled = pixelShuffle(backend.read(features), config.patchesPerSide(), config.width(), config.scaleFactor());
                backend.write(s.projectorInput(), shuffled);
                backend.matmul(p.fc(), null, s.projectorInput(), out);
            }
        }
        return new ImageEmbedding(out, backend);
    }

    private Scratch scratch() {
        if (scratch == null) {
            int n = config.positions();
            int w = config.width();
            Matrix projectorInput = switch (config.projectorType()) {
                case MLP -> backend.matrix(config.patchCount(), config.projectorHidden());
                case IDEFICS3 -> backend.matrix(config.outputTokens(), w * config.scaleFactor() * config.scaleFactor());
            };
            scratch = new Scratch(backend.matrix(config.patchCount(), config.patchVectorLength()), backend.matrix(n, w),
                    backend.matrix(n, w), backend.matrix(n, w), backend.matrix(n, w), backend.matrix(n, w),
                    backend.matrix(n, w), backend.matrix(n, config.feedForwardLength()), projectorInput);
        }
        return scratch;
    }

    // ---- data movement on the host ----

    /**
     * Flattens every {@code p x p} patch into a row of {@code 3*p*p} values in (channel, y, x) order, the order of
     * a row of the patch-embedding matrix; patch {@code py * side + px} is row-major over the image. Pixels right
     * or below the last whole patch are ignored, as by a stride-p convolution.
     */
    float[] im2col(PixelTensor pixels) {
        int p = config.patchSize();
        int side = config.patchesPerSide();
        int length = config.patchVectorLength();
        float[] chw = pixels.chw();
        int height = pixels.height();
        int width = pixels.width();
        float[] out = new float[config.patchCount() * length];
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                int base = (py * side + px) * length;
                for (int c = 0; c < 3; c++) {
                    for (int ky = 0; ky < p; ky++) {
                        System.arraycopy(chw, (c * height + py * p + ky) * width + px * p, out, base + (c * p + ky) * p, p);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Idefics3's pixel shuffle (space-to-depth): the {@code side x side} grid of {@code width}-wide patch rows
     * becomes a {@code ceil(side/s)}² grid of {@code s*s*width}-wide rows. Output row {@code by * side' + bx} is the
     * concatenation, for {@code dy} then {@code dx} in {@code 0..s-1}, of input patch
     * {@code (by*s + dy) * side + (bx*s + dx)}; patches past the edge are zeros (ggml pads the grid).
     */
    static float[] pixelShuffle(float[] patches, int side, int width, int scale) {
        if (patches.length != side * side * width) {
            throw new IllegalArgumentException(patches.length + " values are not a " + side + "x" + side + " grid of " + width);
        }
        int outSide = (side + scale - 1) / scale;
        int rowLength = scale * scale * width;
        float[] out = new float[outSide * outSide * rowLength];
        for (int by = 0; by < outSide; by++) {
            for (int bx = 0; bx < outSide; bx++) {
                int outBase = (by * outSide + bx) * rowLength;
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        int y = by * scale + dy;
                        int x = bx * scale + dx;
                        if (y < side && x < side) {
                            System.arraycopy(patches, (y * side + x) * width, out, outBase + (dy * scale + dx) * width, width);
                        }
                    }
                }
            }
        }
        return out;
    }
}
