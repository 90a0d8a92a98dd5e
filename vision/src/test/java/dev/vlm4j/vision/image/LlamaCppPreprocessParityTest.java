package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.vision.encoder.VisionConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LLAMA_CPP preprocessing against llama.cpp's own pixel tensors ({@code reference/llava/pixels}, and the sha256 and
 * first 32 values in {@code images.json}) for every fixture image llama.cpp could load, with the tiny LLaVA mmproj's
 * image size (112) and mean/std. Images are decoded as llama.cpp sees them (stored orientation).
 *
 * <p>Every image decodes to stb_image's exact RGB (JPEGs through {@link StbJpegDecoder}), so every tensor must
 * match to 1e-5; they are in fact bit-identical (same sha256 over the whole tensor).
 */
class LlamaCppPreprocessParityTest {
    static final double EXACT = 1e-5;

    static ImagePreprocessor preprocessor() {
        try (GgufFile mmproj = GgufFile.open(Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f32.gguf"))) {
            return ImagePreprocessor.of(VisionConfig.read(mmproj), PreprocessMode.LLAMA_CPP);
        }
    }

    static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    static float[] readF32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"coffee-rgba.png", "camera-gray.png", "astronaut.gif", "hubble.bmp", "dog.jpg",
        "chelsea-progressive.jpg", "coffee-wide.jpg", "rocket-tall.jpg", "rocket-exif-orient6.jpg"})
    void matchesLlamaCppPixelTensors(String name) throws IOException {
        JsonNode ref = FixtureImagesTest.reference(name).get("pixels");
        RgbImage rgb = FixtureImagesTest.STB_LIKE.decode(FixtureImagesTest.image(name)).image();
        PreprocessedImage pre = preprocessor().preprocess(rgb);
        PixelTensor t = pre.global();
        double tolerance = EXACT;

        // Whole tensor where llama.cpp's is stored, else its first 32 values.
        double maxDiff = 0;
        double sumDiff = 0;
        int compared;
        if (ref.has("file")) {
            float[] expected = readF32(Fixtures.require(ref.get("file").asText()));
            assertEquals(expected.length, t.chw().length, "tensor length");
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - t.chw()[i]));
                sumDiff += Math.abs(expected[i] - t.chw()[i]);
            }
            compared = expected.length;
        } else {
            JsonNode first = ref.get("chw_first32");
            for (int i = 0; i < first.size(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(first.get(i).floatValue() - t.chw()[i]));
                sumDiff += Math.abs(first.get(i).floatValue() - t.chw()[i]);
            }
            compared = first.size();
        }
        String sha = FixtureImagesTest.sha256(littleEndian(t.chw()));
        boolean identical = sha.equals(ref.get("sha256").asText());
        double diff = maxDiff;
        double mean = sumDiff / compared;
        System.out.printf("%s: max |diff| %.3g, mean %.3g over %d values, sha256 %s llama.cpp's%n", name, diff, mean,
                compared, identical ? "equals" : "differs from");
        assertAll(
                () -> assertTrue(!pre.tiled(), "LLaVA is not tiled"),
                () -> assertEquals(3, t.channels()),
                () -> assertEquals(112, t.height()),
                () -> assertEquals(112, t.width()),
                () -> assertTrue(diff <= tolerance, name + ": max |diff| " + diff + " vs llama.cpp's pixels over " + compared
                        + " values, tolerance " + tolerance),
                () -> assertEquals(ref.get("sha256").asText(), sha, name + ": the whole tensor is bit-identical to llama.cpp's"));
    }
}
