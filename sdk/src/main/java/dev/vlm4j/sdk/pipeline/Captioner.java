package dev.vlm4j.sdk.pipeline;

import dev.vlm4j.sdk.GenerationOptions;
import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.VisionLanguageModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Captions images with one prompt: one at a time ({@link #caption}) or a whole directory/glob/list into a resumable
 * JSON Lines file ({@link #captionAll}), one line {@code {"image","prompt","answer","tokens","ms"}} per image.
 */
public final class Captioner {
    public static final String DEFAULT_PROMPT = "Describe the image.";

    private final VisionLanguageModel model;
    private final String prompt;
    private final GenerationOptions options;

    public Captioner(VisionLanguageModel model) {
        this(model, DEFAULT_PROMPT, GenerationOptions.DEFAULTS);
    }

    public Captioner(VisionLanguageModel model, String prompt, GenerationOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.prompt = Objects.requireNonNull(prompt, "prompt");
        this.options = Objects.requireNonNull(options, "options");
    }

    public GenerationResult caption(Path image) {
        return model.prompt().image(image).text(prompt).options(options).generate();
    }

    /** Captions every image of {@code imagesSpec} (a directory, a glob like {@code photos/*.jpg}, or one file). */
    public BatchRunner.Summary captionAll(String imagesSpec, Path out, BatchRunner.Progress progress) {
        return captionAll(ImageFiles.expand(imagesSpec), out, progress);
    }

    /** Captions {@code images} into {@code out}, skipping images already there; per-image errors are recorded. */
    public BatchRunner.Summary captionAll(List<Path> images, Path out, BatchRunner.Progress progress) {
        try (JsonlResults results = new JsonlResults(out, BatchRunner::keyOf)) {
            return BatchRunner.run(BatchRunner.captionItems(images, prompt), (image, p) -> {
                GenerationResult r = model.prompt().image(image).text(p).options(options).generate();
                return new BatchRunner.Answer(r.text(), r.tokens().size());
            }, results, progress);
        }
    }
}
