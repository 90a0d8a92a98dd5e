package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.vision.encoder.ProjectorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HF mode against reference outputs of Pillow 9.4.0 (Debian python3-pil) and numpy, computed once with
 * {@code Image.fromarray(a).resize((w, h), Image.BICUBIC)} and, for the whole pipeline, LLaVA's
 * {@code expand2square} + the same resize + {@code astype(float64) * 0.00392156862745098 -> float32} +
 * float32 {@code (x - mean) / std}; the SHA-256 of the result is compared (tolerance 0: identical bytes).
 * The input is {@link #pattern}, an image with no flat areas.
 */
class HfPreprocessTest {
    static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** Same formula as {@link ImageDecoderTest#pattern}. */
    static RgbImage pattern(int w, int h) {
        byte[] px = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                px[i] = (byte) (x * 37 + y * 11);
                px[i + 1] = (byte) (x * 5 + y * 53 + 17);
                px[i + 2] = (byte) (x * y * 7 + 101);
            }
        }
        return new RgbImage(w, h, px);
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({
        "37, 23, 16, 16, def5b5c353991e0a8cd15582faa5e5181c6018c4764521a02136402b3079c87d",
        "37, 23, 50, 30, e908f9074b5cef60ca9415bd5b03236618b6510c2db2c6255d93365d08966469",
        "300, 200, 112, 112, a3d6310fb055ac829db0951824bc7e9836313d3e5bebcfca5b9ddf87b191085f",
        "23, 37, 7, 61, 8169a9e6349aabd3fc5c0a6c8ee44f30add284add50d290ebaacb5fca03861f2",
        "640, 427, 336, 336, 43344a274a0b6b81a24d4103c1a5c7089076f56afd5b81ea118887a9a7778f8c"})
    void bicubicResizeIsPillowsByteForByte(int w, int h, int tw, int th, String pillowSha256) {
        RgbImage out = PillowResize.resize(pattern(w, h), tw, th);
        assertAll(
                () -> assertEquals(tw, out.width()),
                () -> assertEquals(th, out.height()),
                () -> assertEquals(pillowSha256, FixtureImagesTest.sha256(out.rgb()), "identical to Pillow 9.4's bytes (tolerance 0)"));
    }

    @Test
    void wholeLlavaPipelineIsTransformersByteForByte() {
        ImagePreprocessor hf = new ImagePreprocessor(PreprocessMode.HF, ProjectorType.MLP, 16, CLIP_MEAN, CLIP_STD, 0);
        PixelTensor t = hf.preprocess(pattern(30, 20)).global();
        assertAll(
                () -> assertEquals(16, t.width()),
                () -> assertEquals(16, t.height()),
                // The top rows are the padding: (122 * (1/255) - mean) / std for red.
                () -> assertEquals(-0.011254520155489445f, t.at(0, 0, 0), 0f, "padding colour, red"),
                () -> assertEquals("3cb59045f9f7eba9f325d008362f5b189d2444c76b97c62f22ce234a58ba0ba3",
                        FixtureImagesTest.sha256(LlamaCppPreprocessParityTest.littleEndian(t.chw())),
                        "identical float32 tensor to Pillow + numpy (tolerance 0)"));
    }

    @Test
    void hfPadsCentredWhereLlamaCppPadsTopLeft() {
        // A white 4x2 image on a 4x4 square: HF puts the padding above and below, llama.cpp below only.
        RgbImage white = RgbImage.filled(4, 2, 255, 255, 255);
        ImagePreprocessor hf = new ImagePreprocessor(PreprocessMode.HF, ProjectorType.MLP, 4, CLIP_MEAN, CLIP_STD, 0);
        ImagePreprocessor cpp = new ImagePreprocessor(PreprocessMode.LLAMA_CPP, ProjectorType.MLP, 4, CLIP_MEAN, CLIP_STD, 0);
        PixelTensor h = hf.preprocess(white).global();
        PixelTensor c = cpp.preprocess(white).global();
        float whiteRed = (1.0f - CLIP_MEAN[0]) / CLIP_STD[0];
        assertAll(
                () -> assertTrue(h.at(0, 0, 0) < 0 && h.at(0, 1, 0) > 1 && h.at(0, 2, 0) > 1 && h.at(0, 3, 0) < 0, "HF: pad, white, white, pad"),
                () -> assertEquals(whiteRed, c.at(0, 0, 0), 1e-6f, "llama.cpp: white on top"),
                () -> assertEquals(whiteRed, c.at(0, 1, 0), 1e-6f),
                () -> assertTrue(c.at(0, 3, 0) < 0, "llama.cpp: pad at the bottom"));
    }

    @Test
    void hfIdefics3IsRefusedExplicitly() {
        PreprocessingNotImplementedException e = assertThrows(PreprocessingNotImplementedException.class,
                () -> new ImagePreprocessor(PreprocessMode.HF, ProjectorType.IDEFICS3, 512, CLIP_MEAN, CLIP_STD, 2048));
        assertTrue(e.getMessage().contains("not implemented"), e.getMessage());
    }
}
