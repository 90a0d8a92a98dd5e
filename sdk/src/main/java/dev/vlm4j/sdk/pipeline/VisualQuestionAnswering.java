package dev.vlm4j.sdk.pipeline;

import dev.vlm4j.sdk.GenerationOptions;
import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.VisionLanguageModel;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Answers questions about images: one at a time ({@link #answer}) or a questions file (JSON Lines,
 * {@code {"image": "path relative to the file", "question": "..."}} per line) into a resumable results file that
 * keeps each input line's fields and adds {@code answer}, {@code tokens} and {@code ms} (or {@code error}).
 */
public final class VisualQuestionAnswering {
    private final VisionLanguageModel model;
    private final GenerationOptions options;

    public VisualQuestionAnswering(VisionLanguageModel model) {
        this(model, GenerationOptions.DEFAULTS);
    }

    public VisualQuestionAnswering(VisionLanguageModel model, GenerationOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
    }

    public GenerationResult answer(Path image, String question) {
        return model.prompt().image(image).text(question).options(options).generate();
    }

    public BatchRunner.Summary answerAll(Path questionsFile, Path out, BatchRunner.Progress progress) {
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            return BatchRunner.run(BatchRunner.questionItems(questionsFile), (image, question) -> {
                GenerationResult r = answer(image, question);
                return new BatchRunner.Answer(r.text(), r.tokens().size());
            }, results, progress);
        }
    }
}
