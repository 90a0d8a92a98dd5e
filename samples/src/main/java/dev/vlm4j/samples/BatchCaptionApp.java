package dev.vlm4j.samples;

import dev.vlm4j.sdk.GenerationOptions;
import dev.vlm4j.sdk.VisionLanguageModel;
import dev.vlm4j.sdk.pipeline.BatchRunner;
import dev.vlm4j.sdk.pipeline.Captioner;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Captions every image in a directory (or glob) into a JSON Lines file. Run it again and it skips the images
 * already captioned; an unreadable image is recorded as an error and the run goes on.
 *
 * <pre>BatchCaptionApp TEXT.gguf MMPROJ.gguf DIR|GLOB OUT.jsonl</pre>
 */
public final class BatchCaptionApp {
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) {
        if (args.length != 4) {
            out.println("usage: BatchCaptionApp TEXT.gguf MMPROJ.gguf DIR|GLOB OUT.jsonl");
            return 2;
        }
        try (VisionLanguageModel model = VisionLanguageModel.builder().model(Path.of(args[0])).projector(Path.of(args[1])).build()) {
            Captioner captioner = new Captioner(model, Captioner.DEFAULT_PROMPT, GenerationOptions.DEFAULTS.withMaxTokens(24));
            BatchRunner.Summary summary = captioner.captionAll(args[2], Path.of(args[3]),
                    (done, total, failed) -> out.printf("%d/%d (%d failed)%n", done, total, failed));
            out.printf("captioned %d, skipped %d, failed %d in %d ms%n", summary.succeeded(), summary.skipped(),
                    summary.failed(), summary.elapsed().toMillis());
        }
        return 0;
    }
}
