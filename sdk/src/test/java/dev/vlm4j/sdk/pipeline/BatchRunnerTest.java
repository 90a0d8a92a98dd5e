package dev.vlm4j.sdk.pipeline;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm4j.Vlm4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch machinery on its own (a stand-in answerer); end-to-end runs with real models are in the CLI tests. */
class BatchRunnerTest {
    @TempDir
    Path dir;

    private List<Path> images(int n) throws IOException {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve(String.format("img%02d.png", i));
            Files.write(p, new byte[] {1});
            out.add(p);
        }
        return out;
    }

    @Test
    void recordsErrorsPerImageAndCarriesOn() throws IOException {
        List<Path> images = images(4);
        Path out = dir.resolve("out.jsonl");
        BatchRunner.Answerer answerer = (image, prompt) -> {
            if (image.getFileName().toString().equals("img01.png")) {
                throw new Vlm4jException(image + ": not an image");
            }
            return new BatchRunner.Answer("caption of " + image.getFileName(), 3);
        };
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            BatchRunner.Summary s = BatchRunner.run(BatchRunner.captionItems(images, "Describe."), answerer, results, BatchRunner.Progress.NONE);
            assertAll(() -> assertEquals(3, s.succeeded()), () -> assertEquals(1, s.failed()), () -> assertEquals(0, s.skipped()));
        }
        List<JsonNode> lines = JsonlResults.read(out);
        assertEquals(4, lines.size());
        assertEquals("caption of img00.png", lines.get(0).get("answer").asText());
        assertEquals("Describe.", lines.get(0).get("prompt").asText());
        assertTrue(lines.get(1).get("error").asText().contains("not an image"));
        assertTrue(lines.get(2).has("ms") && lines.get(2).get("tokens").asInt() == 3);
    }

    @Test
    void resumingSkipsDoneImagesAndDropsATornLine() throws IOException {
        List<Path> images = images(5);
        Path out = dir.resolve("out.jsonl");
        List<Path> answered = new ArrayList<>();
        BatchRunner.Answerer answerer = (image, prompt) -> {
            answered.add(image);
            return new BatchRunner.Answer("ok", 1);
        };
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            BatchRunner.run(BatchRunner.captionItems(images.subList(0, 2), "p"), answerer, results, BatchRunner.Progress.NONE);
        }
        // A crash in the middle of writing the third line leaves half a record without its newline.
        Files.writeString(out, "{\"image\":\"" + images.get(2) + "\",\"ans", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        answered.clear();
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            assertEquals(2, results.doneCount());
            BatchRunner.Summary s = BatchRunner.run(BatchRunner.captionItems(images, "p"), answerer, results, BatchRunner.Progress.NONE);
            assertEquals(2, s.skipped());
        }
        assertEquals(images.subList(2, 5), answered, "only the images without a complete line are answered again");
        List<JsonNode> lines = JsonlResults.read(out);
        assertEquals(5, lines.size(), "every image exactly once");
        for (int i = 0; i < 5; i++) {
            assertEquals(images.get(i).toString(), lines.get(i).get("image").asText());
        }
    }

    @Test
    void questionsFileKeepsInputFieldsAndResolvesImagesRelativeToIt() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("set"));
        Files.write(sub.resolve("a.png"), new byte[] {1});
        Path questions = sub.resolve("q.jsonl");
        Files.writeString(questions, "{\"id\":7,\"image\":\"a.png\",\"question\":\"What?\"}\n\n{\"id\":8,\"image\":\"a.png\",\"question\":\"Why?\"}\n");
        List<BatchRunner.Item> items = BatchRunner.questionItems(questions);
        assertEquals(2, items.size());
        assertEquals(sub.resolve("a.png").toAbsolutePath(), items.get(0).image());
        Path out = dir.resolve("answers.jsonl");
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            BatchRunner.run(items, (image, q) -> new BatchRunner.Answer(q.toUpperCase(), 2), results, BatchRunner.Progress.NONE);
        }
        JsonNode first = JsonlResults.read(out).get(0);
        assertAll(() -> assertEquals(7, first.get("id").asInt()), () -> assertEquals("a.png", first.get("image").asText()),
                () -> assertEquals("WHAT?", first.get("answer").asText()));
    }

    @Test
    void badQuestionLinesNameTheFileAndLine() throws IOException {
        Path questions = dir.resolve("q.jsonl");
        Files.writeString(questions, "{\"image\":\"a.png\",\"question\":\"ok\"}\n{\"image\": 3}\n");
        Vlm4jException e = assertThrows(Vlm4jException.class, () -> BatchRunner.questionItems(questions));
        assertTrue(e.getMessage().contains("q.jsonl line 2"), e.getMessage());
    }

    @Test
    void directoriesAndGlobsExpandToSortedImageFiles() throws IOException {
        images(3);
        Files.writeString(dir.resolve("notes.txt"), "x");
        assertEquals(3, ImageFiles.expand(dir.toString()).size());
        assertEquals(List.of(dir.resolve("img01.png")), ImageFiles.expand(dir + "/img01.*"));
        assertThrows(Vlm4jException.class, () -> ImageFiles.expand(dir.resolve("missing.png").toString()));
    }
}
