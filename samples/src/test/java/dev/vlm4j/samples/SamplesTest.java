package dev.vlm4j.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs each sample against the tiny LLaVA fixture so the samples cannot rot. */
class SamplesTest {
    private static String text() {
        return Fixtures.require("models/tiny-llava/tiny-llava-text-f32.gguf").toString();
    }

    private static String mmproj() {
        return Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f32.gguf").toString();
    }

    private static String llavaCliPrints(String image) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Fixtures.require("reference/llava/llava-text-f32-mmproj-f32.json").toFile());
        for (JsonNode run : ref.get("runs")) {
            if (run.get("image").asText().endsWith(image)) return run.get("llava_cli_prints").asText();
        }
        throw new AssertionError("no reference for " + image);
    }

    private static String run(java.util.function.BiFunction<String[], PrintStream, Integer> app, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertEquals(0, app.apply(args, out), "exit code");
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void captionApp() throws Exception {
        String image = Fixtures.require("images/coffee-rgba.png").toString();
        String out = run(CaptionApp::run, text(), mmproj(), image);
        assertTrue(out.contains(image + ": " + llavaCliPrints("coffee-rgba.png")), out);
    }

    @Test
    void vqaApp() throws Exception {
        String image = Fixtures.require("images/coffee-rgba.png").toString();
        String out = run(VqaApp::run, text(), mmproj(), image, "Describe the image.", "And the colours?");
        assertTrue(out.contains("A: " + llavaCliPrints("coffee-rgba.png")), out);
        assertTrue(out.contains("(images encoded: 1)"), out);
    }

    @Test
    void batchCaptionApp(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        Files.copy(Fixtures.require("images/coffee-rgba.png"), images.resolve("coffee-rgba.png"));
        Files.copy(Fixtures.require("images/corrupt-truncated.png"), images.resolve("corrupt-truncated.png"));
        Path results = dir.resolve("out.jsonl");
        String out = run(BatchCaptionApp::run, text(), mmproj(), images.toString(), results.toString());
        assertTrue(out.contains("captioned 1, skipped 0, failed 1"), out);
        List<String> lines = Files.readAllLines(results);
        assertEquals(2, lines.size());
        String again = run(BatchCaptionApp::run, text(), mmproj(), images.toString(), results.toString());
        assertTrue(again.contains("captioned 0, skipped 2, failed 0"), again);
        assertEquals(2, Files.readAllLines(results).size(), "a rerun adds nothing");
        JsonNode coffee = lines.stream().map(SamplesTest::parse).filter(n -> n.get("image").asText().endsWith("coffee-rgba.png"))
                .findFirst().orElseThrow();
        assertEquals(llavaCliPrints("coffee-rgba.png"), coffee.get("answer").asText());
    }

    private static JsonNode parse(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
