package dev.vlm4j.samples;

import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.VisionLanguageModel;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Captions images, streaming each caption as it is generated.
 *
 * <pre>CaptionApp TEXT.gguf MMPROJ.gguf IMAGE...</pre>
 */
public final class CaptionApp {
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) {
        if (args.length < 3) {
            out.println("usage: CaptionApp TEXT.gguf MMPROJ.gguf IMAGE...");
            return 2;
        }
        try (VisionLanguageModel model = VisionLanguageModel.builder()
                .model(Path.of(args[0]))
                .projector(Path.of(args[1]))
                .build()) {
            for (int i = 2; i < args.length; i++) {
                out.print(args[i] + ": ");
                GenerationResult caption = model.prompt()
                        .image(Path.of(args[i]))
                        .text("Describe the image.")
                        .maxTokens(24)
                        .stream(out::print);
                out.printf("%n  (%d tokens, %.1f tokens/s)%n", caption.tokens().size(), caption.timings().decodeTokensPerSecond());
            }
        }
        return 0;
    }
}
