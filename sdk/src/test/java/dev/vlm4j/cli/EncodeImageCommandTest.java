package dev.vlm4j.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.vision.encoder.SyntheticMmproj;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.vision.encoder.VisionEncoder;
import dev.vlm4j.vision.image.ImageDecoder;
import dev.vlm4j.vision.image.ImagePreprocessor;
import dev.vlm4j.vision.image.PreprocessMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code vlm4j encode-image} on the tiny LLaVA mmproj: the .npy it writes holds exactly what the encoder computes,
 * and for coffee-rgba.png and dog.jpg (whose decoded pixels and preprocessed tensors are bit-identical to llama.cpp's)
 * it matches llama.cpp's reference embedding within the vision parity tolerance (1e-2 absolute, F32 mmproj).
 */
class EncodeImageCommandTest {
    static final double LLAMA_CPP_TOLERANCE = 1e-2;

    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    /** A .npy written by {@link Npy}: its shape and values (checks the v1.0 header on the way). */
    record NpyArray(int rows, int cols, float[] values) {}

    static NpyArray readNpy(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        assertEquals((byte) 0x93, b[0], "magic");
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        assertEquals(1, b[6], "format major version");
        assertEquals(0, b[7], "format minor version");
        int headerLen = (b[8] & 0xFF) | ((b[9] & 0xFF) << 8);
        assertEquals(0, (10 + headerLen) % 64, "data starts 64-byte aligned");
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.endsWith("\n") && header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header);
        String shape = header.substring(header.indexOf("'shape': (") + 10, header.indexOf(')'));
        String[] dims = shape.split(",");
        int rows = Integer.parseInt(dims[0].trim());
        int cols = Integer.parseInt(dims[1].trim());
        ByteBuffer data = ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[data.remaining() / 4];
        data.asFloatBuffer().get(values);
        assertEquals((long) rows * cols, values.length, "data length matches the shape");
        return new NpyArray(rows, cols, values);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"coffee-rgba.png", "dog.jpg"})
    void writesTheEncodersEmbeddingAndMatchesLlamaCpp(String name, @TempDir Path dir) throws IOException {
        Path mmproj = Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f32.gguf");
        Path image = Fixtures.require("images/" + name);
        Path npy = dir.resolve("emb.npy");
        Run r = run("encode-image", "--mmproj", mmproj.toString(), "--image", image.toString(), "--out", npy.toString(),
                "--json", "--threads", "2");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        NpyArray written = readNpy(npy);

        float[] direct;
        try (GgufFile file = GgufFile.open(mmproj); CpuBackend backend = new CpuBackend(2)) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            var pixels = ImagePreprocessor.of(encoder.config(), PreprocessMode.LLAMA_CPP)
                    .preprocess(ImageDecoder.defaults().decode(image).image()).global();
            direct = encoder.encode(pixels).toFloats();
        }
        ByteBuffer refBytes = ByteBuffer.wrap(Files.readAllBytes(
                Fixtures.require("reference/llava/embd/" + name + ".mmproj_f32.embd.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[] llamaCpp = new float[refBytes.remaining() / 4];
        refBytes.asFloatBuffer().get(llamaCpp);
        double maxDiff = 0;
        for (int i = 0; i < llamaCpp.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(llamaCpp[i] - written.values()[i]));
        }
        double diff = maxDiff;
        System.out.printf("encode-image %s vs llama.cpp: max |diff| %.3g%n", name, diff);
        assertAll(
                () -> assertEquals(64, json.get("tokens").asInt(), "tokens"),
                () -> assertEquals(32, json.get("dim").asInt(), "dim"),
                () -> assertTrue(json.get("preprocess_ms").isNumber() && json.get("encode_ms").isNumber(), r.out()),
                () -> assertEquals(16, json.get("first").size(), "first 16 values"),
                () -> assertEquals(direct[0], json.get("first").get(0).floatValue(), 0f, "first value"),
                () -> assertEquals(64, written.rows()),
                () -> assertEquals(32, written.cols()),
                () -> assertArrayEquals(direct, written.values(), "the .npy holds exactly the encoder's output"),
                () -> assertTrue(diff <= LLAMA_CPP_TOLERANCE, "vs llama.cpp's embedding: max |diff| " + diff
                        + ", tolerance " + LLAMA_CPP_TOLERANCE + " absolute"));
    }

    @Test
    void imageAndModelErrorsExitWithThree(@TempDir Path dir) {
        Path mmproj = Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f32.gguf");
        Run corrupt = run("encode-image", "--mmproj", mmproj.toString(), "--image",
                Fixtures.require("images/corrupt-truncated.png").toString());
        Run missingModel = run("encode-image", "--mmproj", dir.resolve("none.gguf").toString(), "--image",
                Fixtures.require("images/dog.jpg").toString());
        Run notAnMmproj = run("encode-image", "--mmproj", Fixtures.require("models/tiny-llava/tiny-llava-text-q4_0.gguf").toString(),
                "--image", Fixtures.require("images/dog.jpg").toString());
        Run usage = run("encode-image", "--image", "x.png");
        assertAll(
                () -> assertEquals(Main.EXIT_MODEL_ERROR, corrupt.exitCode(), corrupt.err()),
                () -> assertTrue(corrupt.err().contains("corrupt-truncated.png"), corrupt.err()),
                () -> assertEquals(Main.EXIT_MODEL_ERROR, missingModel.exitCode(), missingModel.err()),
                () -> assertEquals(Main.EXIT_MODEL_ERROR, notAnMmproj.exitCode(), notAnMmproj.err()),
                () -> assertEquals(Main.EXIT_USAGE, usage.exitCode(), usage.err()));
    }

    /** A tiled model: tiny synthetic SmolVLM (64 px, 16 tokens per image), longest edge 128. */
    @Test
    void idefics3TilesAreEncodedBeforeTheGlobalImage(@TempDir Path dir) throws IOException {
        Path mmproj = dir.resolve("smolvlm.gguf");
        SyntheticMmproj.of(SyntheticMmproj.Spec.tinySmolVlm(GgmlType.F32, 7))
                .withKey("clip.vision.preproc_image_size", new GgufValue.Int(GgufValueType.UINT32, 128)).write(mmproj);
        java.awt.image.BufferedImage wide = new java.awt.image.BufferedImage(200, 90, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 90; y++) {
            for (int x = 0; x < 200; x++) {
                wide.setRGB(x, y, (x * 7 << 16) | (y * 3 << 8) | (x * y & 0xFF));
            }
        }
        Path png = dir.resolve("wide.png");
        javax.imageio.ImageIO.write(wide, "png", png.toFile());
        Path npy = dir.resolve("emb.npy");
        Run r = run("encode-image", "--mmproj", mmproj.toString(), "--image", png.toString(), "--out", npy.toString(), "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        NpyArray written = readNpy(npy);
        float[] global;
        try (GgufFile file = GgufFile.open(mmproj); CpuBackend backend = new CpuBackend(2)) {
            VisionEncoder encoder = VisionEncoder.load(file, backend);
            var pre = ImagePreprocessor.of(encoder.config(), PreprocessMode.LLAMA_CPP).preprocess(ImageDecoder.defaults().decode(png).image());
            global = encoder.encode(pre.global()).toFloats();
        }
        float[] lastRows = java.util.Arrays.copyOfRange(written.values(), written.values().length - global.length, written.values().length);
        assertAll(
                // 200 x 90 at longest edge 128: 128 x 57.6, rounded up to multiples of 64: 128 x 64 = 1 row of 2 tiles.
                () -> assertEquals(3, json.get("images").asInt(), "2 tiles + the global image"),
                () -> assertEquals(1, json.get("grid").get(0).asInt(), "tile rows"),
                () -> assertEquals(2, json.get("grid").get(1).asInt(), "tile columns"),
                () -> assertEquals(48, json.get("tokens").asInt(), "3 images x 16 tokens"),
                () -> assertEquals(48, written.rows()),
                () -> assertEquals(24, written.cols()),
                () -> assertArrayEquals(global, lastRows, "the global image's rows come last"));
    }

    @Test
    void npyHeaderIsPaddedToSixtyFourBytes() {
        for (int[] shape : new int[][] {{1, 1}, {64, 32}, {576, 4096}, {123456, 7}}) {
            byte[] h = Npy.header(shape[0], shape[1]);
            assertEquals(0, h.length % 64, "header of " + shape[0] + " x " + shape[1]);
            assertEquals('\n', h[h.length - 1]);
        }
    }
}
