package dev.vlm4j.cli;

import dev.vlm4j.sdk.VisionLanguageModel;
import dev.vlm4j.sdk.pipeline.BatchRunner;
import dev.vlm4j.sdk.pipeline.Captioner;
import dev.vlm4j.sdk.pipeline.VisualQuestionAnswering;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code vlm4j batch}: captions every image of a directory/glob, or answers a questions file, into a JSON Lines
 * results file. Rerunning skips what the file already has; a failing image is recorded and the run goes on.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Caption a directory/glob of images, or answer a questions file, into resumable JSON Lines.")
final class BatchCommand implements Callable<Integer> {
    static final class Input {
        @Option(names = "--images", paramLabel = "DIR|GLOB", description = "Images to caption: a directory, a glob, or a file")
        String images;

        @Option(names = "--questions", paramLabel = "Q.jsonl",
                description = "Questions: one {\"image\": \"path relative to the file\", \"question\": \"...\"} per line")
        Path questions;
    }

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = {"-p", "--prompt"}, defaultValue = Captioner.DEFAULT_PROMPT,
            description = "Caption instruction with --images (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "results.jsonl", description = "Results file (appended to, resumable)")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try (VisionLanguageModel model = modelOptions.load(err, true)) {
            BatchRunner.Progress progress = System.console() != null
                    ? (done, total, failed) -> {
                        System.err.printf("\r%d/%d images (%d failed)", done, total, failed);
                        if (done == total) System.err.println();
                    }
                    : BatchRunner.Progress.NONE;
            BatchRunner.Summary s = input.questions != null
                    ? new VisualQuestionAnswering(model, generation.options()).answerAll(input.questions, out, progress)
                    : new Captioner(model, prompt, generation.options()).captionAll(input.images, out, progress);
            err.printf("vlm4j: %d items: %d done now, %d already in %s, %d failed, %.1f s%n", s.total(), s.succeeded(),
                    s.skipped(), out, s.failed(), s.elapsed().toMillis() / 1000.0);
            err.flush();
            return s.failed() > 0 && s.succeeded() == 0 && s.skipped() == 0 ? Main.EXIT_MODEL_ERROR : Main.EXIT_OK;
        }
    }
}
