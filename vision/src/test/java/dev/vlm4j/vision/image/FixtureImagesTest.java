package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fixture images ({@code fixtures/images}) against what stb_image (llama.cpp) decoded from them
 * ({@code reference/llava/images.json}): every format byte for byte (JPEG baseline 4:4:0, progressive and 4:2:0
 * included), plus EXIF orientation, TIFF (which stb_image cannot read) and the corrupt files.
 */
class FixtureImagesTest {
    static JsonNode reference(String image) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.require("reference/llava/images.json").toFile());
        for (JsonNode n : root.get("images")) {
            if (n.get("file").asText().equals("images/" + image)) {
                return n;
            }
        }
        throw new AssertionError("no entry for " + image + " in images.json");
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path image(String name) {
        return Fixtures.require("images/" + name);
    }

    /** As llama.cpp sees it: stored orientation (stb_image ignores EXIF). */
    static final ImageDecoder STB_LIKE = ImageDecoder.defaults().withExifOrientation(false);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"coffee-rgba.png", "camera-gray.png", "astronaut.gif", "hubble.bmp", "dog.jpg",
        "chelsea-progressive.jpg", "coffee-wide.jpg", "rocket-tall.jpg", "rocket-exif-orient6.jpg"})
    void decodesToStbImagesBytes(String name) throws IOException {
        JsonNode ref = reference(name);
        DecodedImage d = STB_LIKE.decode(image(name));
        assertAll(
                () -> assertEquals(ref.get("decoded_width").asInt(), d.width(), "width"),
                () -> assertEquals(ref.get("decoded_height").asInt(), d.height(), "height"),
                () -> assertEquals(ref.get("decoded_rgb_sha256").asText(), sha256(d.image().rgb()),
                        "sha256 of the RGB bytes equals stb_image's (exact, tolerance 0)"));
    }

    @Test
    void exifOrientationSixIsTurnedUpright() {
        DecodedImage upright = ImageDecoder.defaults().decode(image("rocket-exif-orient6.jpg"));
        DecodedImage stored = STB_LIKE.decode(image("rocket-exif-orient6.jpg"));
        RgbImage tall = ImageDecoder.defaults().decode(image("rocket-tall.jpg")).image();
        // rocket-tall.jpg is columns 250..390 of the upright photo; the rotated file must contain it there.
        double right = meanAbsDiff(upright.image(), 250, tall);
        double wrong = meanAbsDiff(ExifOrientation.LEFT_BOTTOM.apply(stored.image()), 250, tall);
        System.out.printf("rocket upright vs rocket-tall: mean |diff| %.2f (rotated the wrong way: %.2f)%n", right, wrong);
        assertAll(
                () -> assertEquals(ExifOrientation.RIGHT_TOP, upright.orientation(), "EXIF orientation 6"),
                () -> assertTrue(upright.orientationApplied()),
                () -> assertEquals(640, upright.width(), "upright width"),
                () -> assertEquals(427, upright.height(), "upright height"),
                () -> assertEquals(427, stored.width(), "stored width"),
                () -> assertEquals(640, stored.height(), "stored height"),
                () -> assertTrue(right < 6, "upright crop matches rocket-tall.jpg within mean 6 levels, got " + right),
                () -> assertTrue(wrong > 3 * right, "the other rotation must not match: " + wrong));
    }

    private static double meanAbsDiff(RgbImage big, int x0, RgbImage crop) {
        long sum = 0;
        for (int y = 0; y < crop.height(); y++) {
            for (int x = 0; x < crop.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    sum += Math.abs(big.sample(x0 + x, y, c) - crop.sample(x, y, c));
                }
            }
        }
        return sum / (3.0 * crop.width() * crop.height());
    }

    @Test
    void tiffDecodesAlthoughStbImageCannot() throws IOException {
        assertEquals(false, reference("retina.tif").get("stb_image_load_ok").asBoolean());
        DecodedImage d = ImageDecoder.defaults().decode(image("retina.tif"));
        assertAll(
                () -> assertEquals(ImageFormat.TIFF, d.format()),
                () -> assertEquals(224, d.width()),
                () -> assertEquals(224, d.height()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"corrupt-empty.jpg", "corrupt-garbage.jpg", "corrupt-truncated.png"})
    void corruptFilesGiveTypedErrorsNamingTheFile(String name) {
        Path file = image(name);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.defaults().decode(file));
        System.out.println(e.getMessage());
        assertAll(
                () -> assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage()),
                () -> assertEquals(file.toString(), e.source()));
    }

    @Test
    void emptyFileSaysItIsEmpty() {
        var empty = image("corrupt-empty.jpg"); // outside assertThrows: a missing fixture must skip, not fail
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.defaults().decode(empty));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }
}
