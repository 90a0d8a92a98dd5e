package dev.vlm4j.sdk.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm4j.Vlm4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runs one question per image over many images into a {@link JsonlResults} file: skips items already there,
 * records a per-item error and carries on, reports progress. One model answers everything (loaded once).
 */
public final class BatchRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One unit of work; {@code fields} are copied into the output line (the input's own fields). */
    public record Item(String key, ObjectNode fields, Path image, String prompt) {
        public Item {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(fields, "fields");
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(prompt, "prompt");
        }
    }

    /** What the model said about one image. */
    public record Answer(String text, int tokens) {}

    @FunctionalInterface
    public interface Answerer {
        Answer answer(Path image, String prompt);
    }

    /** Called after every item: how many of the run's items are done (skipped ones included). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total, failed) -> {};

        void update(int done, int total, int failed);
    }

    public record Summary(int total, int skipped, int succeeded, int failed, Duration elapsed) {}

    private BatchRunner() {}

    /** Items for captioning every image with one prompt; the key is the image path as given. */
    public static List<Item> captionItems(List<Path> images, String prompt) {
        List<Item> items = new ArrayList<>();
        for (Path image : images) {
            ObjectNode fields = JSON.createObjectNode();
            fields.put("image", image.toString());
            fields.put("prompt", prompt);
            items.add(new Item(image.toString(), fields, image, prompt));
        }
        return items;
    }

    /**
     * Items from a questions file: one JSON object a line with {@code image} (relative to the file) and
     * {@code question}; other fields are kept. The key is image + question.
     */
    public static List<Item> questionItems(Path questionsFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(questionsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Vlm4jException("cannot read questions file " + questionsFile + ": " + e.getMessage(), e);
        }
        Path base = questionsFile.toAbsolutePath().getParent();
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                throw new Vlm4jException(questionsFile + " line " + (i + 1) + ": not JSON (" + e.getMessage() + ")");
            }
            if (!(node instanceof ObjectNode obj) || !node.path("image").isTextual() || !node.path("question").isTextual()) {
                throw new Vlm4jException(questionsFile + " line " + (i + 1) + ": expected {\"image\": \"...\", \"question\": \"...\"}");
            }
            String image = obj.get("image").asText();
            String question = obj.get("question").asText();
            items.add(new Item(questionKey(image, question), obj, base.resolve(image), question));
        }
        return items;
    }

    static String questionKey(String image, String question) {
        return image + "\u0000" + question;
    }

    /** Runs the items not yet in {@code out}. Stops early (keeping what is done) when the thread is interrupted. */
    public static Summary run(List<Item> items, Answerer answerer, JsonlResults out, Progress progress) {
        long start = System.nanoTime();
        int skipped = 0;
        int ok = 0;
        int failed = 0;
        int done = 0;
        for (Item item : items) {
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
            if (out.isDone(item.key())) {
                skipped++;
            } else {
                ObjectNode record = item.fields().deepCopy();
                long t0 = System.nanoTime();
                try {
                    Answer a = answerer.answer(item.image(), item.prompt());
                    record.put("answer", a.text());
                    record.put("tokens", a.tokens());
                    ok++;
                } catch (RuntimeException e) {
                    record.put("error", e.getMessage() == null ? e.toString() : e.getMessage());
                    failed++;
                }
                record.put("ms", (System.nanoTime() - t0) / 1_000_000);
                out.append(record, item.key());
            }
            progress.update(++done, items.size(), failed);
        }
        return new Summary(items.size(), skipped, ok, failed, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The key under which {@link #run} records an output line, for {@link JsonlResults}'s resume scan. */
    public static String keyOf(JsonNode record) {
        return record.has("question")
                ? questionKey(record.path("image").asText(), record.path("question").asText())
                : record.path("image").asText();
    }
}
