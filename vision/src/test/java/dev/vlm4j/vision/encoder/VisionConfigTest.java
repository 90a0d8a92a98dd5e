package dev.vlm4j.vision.encoder;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufMetadataException;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import dev.vlm4j.gguf.MissingTensorException;
import dev.vlm4j.kernels.Activation;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.vision.image.PixelTensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading an mmproj's configuration, and every way a file can be refused. */
class VisionConfigTest {
    @TempDir
    Path dir;

    private static final SyntheticMmproj CLIP = SyntheticMmproj.of(SyntheticMmproj.Spec.tinyClip(GgmlType.F32, 5));
    private static final SyntheticMmproj SMOLVLM = SyntheticMmproj.of(SyntheticMmproj.Spec.tinySmolVlm(GgmlType.F32, 6));

    private VisionConfig read(SyntheticMmproj model) {
        Path p = model.write(dir.resolve("model-" + System.nanoTime() + ".gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            return VisionConfig.read(f);
        }
    }

    private <T extends Vlm4jException> T refused(Class<T> type, SyntheticMmproj model, String... messageParts) {
        T e = assertThrows(type, () -> read(model));
        for (String part : messageParts) {
            assertTrue(e.getMessage().contains(part), "message should mention '" + part + "': " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(dir.toString()), "message should name the file: " + e.getMessage());
        return e;
    }

    @Test
    void readsTheTinyLlavaFixture() {
        try (GgufFile f = GgufFile.open(Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f16.gguf"))) {
            VisionConfig c = VisionConfig.read(f);
            assertAll(
                    () -> assertEquals(ProjectorType.MLP, c.projectorType()),
                    () -> assertEquals(112, c.imageSize()),
                    () -> assertEquals(14, c.patchSize()),
                    () -> assertEquals(64, c.patchCount()),
                    () -> assertEquals(65, c.positions(), "64 patches + class token"),
                    () -> assertEquals(48, c.width()),
                    () -> assertEquals(192, c.feedForwardLength()),
                    () -> assertEquals(4, c.headCount()),
                    () -> assertEquals(12, c.headDim()),
                    () -> assertEquals(3, c.blockCount()),
                    () -> assertEquals(2, c.blocksToRun(), "llama.cpp runs block_count - 1 blocks for LLaVA"),
                    () -> assertEquals(1e-5f, c.layerNormEps(), 1e-12f),
                    () -> assertEquals(24, c.projectionDim()),
                    () -> assertEquals(32, c.outputWidth(), "length of mm.2.bias, not projection_dim"),
                    () -> assertEquals(32, c.projectorHidden()),
                    () -> assertEquals(64, c.outputTokens()),
                    () -> assertEquals(Activation.GELU_QUICK, c.feedForwardActivation(), "clip.use_gelu false"),
                    () -> assertTrue(c.classToken()),
                    () -> assertTrue(c.preLayerNorm()),
                    () -> assertFalse(c.postLayerNorm()),
                    () -> assertFalse(c.patchBias()),
                    () -> assertTrue(c.legacyFeedForwardNames(), "ffn_down holds fc1 in this file"),
                    () -> assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, c.imageMean()),
                    () -> assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, c.imageStd()));
        }
    }

    @Test
    void checksTheTextModelEmbeddingWidth() {
        VisionConfig c = read(CLIP);
        c.requireOutputWidth(32, "text.gguf");
        EmbeddingWidthMismatchException e = assertThrows(EmbeddingWidthMismatchException.class,
                () -> c.requireOutputWidth(4096, "vicuna-7b.gguf"));
        assertAll(
                () -> assertEquals(32, e.imageEmbeddingWidth()),
                () -> assertEquals(4096, e.textEmbeddingWidth()),
                () -> assertTrue(e.getMessage().contains("vicuna-7b.gguf") && e.getMessage().contains(c.file().toString()), e.getMessage()));
    }

    @Test
    void absentProjectorTypeMeansMlp() {
        assertEquals(ProjectorType.MLP, read(CLIP.withoutKey("clip.projector_type")).projectorType());
    }

    @Test
    void refusesUnknownProjectorTypes() {
        refused(UnsupportedMmprojException.class, CLIP.withKey("clip.projector_type", GgufValue.str("ldpv2")), "'ldpv2'", "mlp", "idefics3");
        refused(UnsupportedMmprojException.class, CLIP.withKey("clip.projector_type", GgufValue.str("banana")), "'banana'");
    }

    @Test
    void refusesFilesThatAreNotClip() {
        refused(InvalidMmprojException.class, CLIP.withKey("general.architecture", GgufValue.str("llama")), "'llama'", "clip");
        refused(GgufMetadataException.class, CLIP.withoutKey("general.architecture"), "general.architecture");
        refused(UnsupportedMmprojException.class, CLIP.withKey("clip.has_vision_encoder", GgufValue.bool(false)), "vision encoder");
    }

    @Test
    void missingKeysAreNamed() {
        for (String key : new String[] {"clip.vision.image_size", "clip.vision.patch_size", "clip.vision.embedding_length",
                "clip.vision.feed_forward_length", "clip.vision.attention.head_count", "clip.vision.block_count",
                "clip.vision.attention.layer_norm_epsilon", "clip.vision.image_mean", "clip.vision.image_std"}) {
            GgufMetadataException e = refused(GgufMetadataException.class, CLIP.withoutKey(key), key);
            assertEquals(key, e.key());
        }
        refused(GgufMetadataException.class, SMOLVLM.withoutKey("clip.vision.projector.scale_factor"), "scale_factor");
    }

    @Test
    void badValuesAreRefused() {
        refused(InvalidMmprojException.class, CLIP.withKey("clip.vision.attention.head_count", GgufValue.u32(5)), "not a multiple");
        refused(InvalidMmprojException.class, CLIP.withKey("clip.vision.image_mean", GgufValue.floats(0.5f, 0.5f)), "image_mean", "3");
        refused(InvalidMmprojException.class, CLIP.withKey("clip.vision.patch_size", GgufValue.u32(0)), "patch_size");
        refused(InvalidMmprojException.class, CLIP.withKey("clip.use_silu", GgufValue.bool(true)).withKey("clip.use_gelu", GgufValue.bool(true)), "use_silu");
        refused(InvalidMmprojException.class, SMOLVLM.withKey("clip.vision.projector.scale_factor", GgufValue.u32(1)), "scale_factor");
        refused(GgufMetadataException.class, CLIP.withKey("clip.vision.image_size", GgufValue.str("112")), "image_size");
    }

    @Test
    void missingTensorsAreNamed() {
        for (String name : new String[] {"v.patch_embd.weight", "v.position_embd.weight", "v.blk.2.attn_k.weight",
                "v.blk.0.ffn_up.weight", "mm.0.weight", "mm.2.bias"}) {
            MissingTensorException e = refused(MissingTensorException.class, CLIP.withoutTensor(name), name);
            assertEquals(name, e.tensor());
        }
        refused(MissingTensorException.class, SMOLVLM.withoutTensor("mm.model.fc.weight"), "mm.model.fc.weight");
        refused(MissingTensorException.class, SMOLVLM.withoutTensor("v.post_ln.weight").withoutTensor("v.post_ln.bias"), "v.post_ln.weight");
    }

    @Test
    void wrongShapesAreRefused() {
        refused(InvalidMmprojException.class, CLIP.withTensor("v.blk.1.attn_q.weight", GgmlType.F32, Shape.of(48, 40), new float[48 * 40]),
                "v.blk.1.attn_q.weight", "[48, 40]", "[48, 48]");
        refused(InvalidMmprojException.class, CLIP.withTensor("v.patch_embd.weight", GgmlType.F32, Shape.of(588, 48), new float[588 * 48]),
                "v.patch_embd.weight", "[14, 14, 3, 48]");
        refused(InvalidMmprojException.class, CLIP.withTensor("v.position_embd.weight", GgmlType.F32, Shape.of(48, 64), new float[48 * 64]),
                "v.position_embd.weight", "[48, 65]");
        refused(InvalidMmprojException.class, CLIP.withTensor("v.blk.0.ffn_up.weight", GgmlType.F32, Shape.of(192, 40), new float[192 * 40]),
                "block 0", "ffn_up");
        refused(InvalidMmprojException.class, CLIP.withTensor("mm.2.weight", GgmlType.F32, Shape.of(32, 16), new float[32 * 16]), "mm.2.weight");
        refused(InvalidMmprojException.class, CLIP.withTensor("v.blk.0.attn_v.bias", GgmlType.F32, Shape.of(47), new float[47]), "attn_v.bias");
        refused(InvalidMmprojException.class, SMOLVLM.withTensor("mm.model.fc.weight", GgmlType.F32, Shape.of(32, 24), new float[32 * 24]),
                "mm.model.fc.weight", "[128, 24]");
    }

    @Test
    void unsupportedFeaturesAreRefusedNotIgnored() {
        refused(UnsupportedMmprojException.class, CLIP.withKey("clip.vision.feature_layer", GgufValue.ints(GgufValueType.INT32, 3, 7)), "feature_layer");
        refused(UnsupportedMmprojException.class, CLIP.withKey("clip.vision.image_grid_pinpoints", GgufValue.ints(GgufValueType.INT32, 336, 672)), "LLaVA-NeXT");
        refused(UnsupportedMmprojException.class, CLIP.withTensor("mm.3.weight", GgmlType.F32, Shape.of(32, 32), new float[32 * 32]), "mlp_norm");
    }

    /** Renaming fc1/fc2 between the legacy and the current convention must not change the result. */
    @Test
    void feedForwardLayersAreChosenByShapeNotName() {
        SyntheticMmproj.Spec legacy = SyntheticMmproj.Spec.tinyClip(GgmlType.F16, 77);
        SyntheticMmproj.Spec modern = new SyntheticMmproj.Spec(legacy.type(), legacy.imageSize(), legacy.patchSize(),
                legacy.width(), legacy.feedForwardLength(), legacy.heads(), legacy.blocks(), legacy.projectorHidden(),
                legacy.outputWidth(), legacy.scaleFactor(), legacy.weightType(), false, legacy.seed());
        Path a = SyntheticMmproj.of(legacy).write(dir.resolve("legacy.gguf"));
        Path b = SyntheticMmproj.of(modern).write(dir.resolve("modern.gguf"));
        PixelTensor px = Idefics3EncoderTest.randomPixels(112, 11);
        try (Backend backend = new CpuBackend(1); GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b)) {
            VisionEncoder ea = VisionEncoder.load(fa, backend);
            VisionEncoder eb = VisionEncoder.load(fb, backend);
            assertTrue(ea.config().legacyFeedForwardNames());
            assertFalse(eb.config().legacyFeedForwardNames());
            assertTrue(fa.tensor("v.blk.0.ffn_down.weight").shape().equals(fb.tensor("v.blk.0.ffn_up.weight").shape()),
                    "same weights under swapped names");
            assertArrayEquals(ea.encode(px).toFloats(), eb.encode(px).toFloats(), "identical embeddings");
        }
    }

    @Test
    void encodeRefusesPixelsOfTheWrongSize() {
        Path p = CLIP.write(dir.resolve("clip.gguf"));
        try (Backend backend = new CpuBackend(1); GgufFile f = GgufFile.open(p)) {
            VisionEncoder encoder = VisionEncoder.load(f, backend);
            ImageSizeMismatchException e = assertThrows(ImageSizeMismatchException.class,
                    () -> encoder.encode(new PixelTensor(new float[3 * 224 * 224], 3, 224, 224)));
            assertTrue(e.getMessage().contains("3 x 112 x 112") && e.getMessage().contains("224"), e.getMessage());
            assertThrows(ImageSizeMismatchException.class, () -> encoder.encode(new PixelTensor(new float[112 * 112], 1, 112, 112)));
        }
    }
}
