package dev.vlm4j.samples;

import dev.vlm4j.sdk.ChatSession;
import dev.vlm4j.sdk.VisionLanguageModel;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Asks questions about one image in a conversation: the image is encoded once, follow-up questions reuse it.
 *
 * <pre>VqaApp TEXT.gguf MMPROJ.gguf IMAGE QUESTION [FOLLOW-UP...]</pre>
 */
public final class VqaApp {
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) {
        if (args.length < 4) {
            out.println("usage: VqaApp TEXT.gguf MMPROJ.gguf IMAGE QUESTION [FOLLOW-UP...]");
            return 2;
        }
        try (VisionLanguageModel model = VisionLanguageModel.builder().model(Path.of(args[0])).projector(Path.of(args[1])).build();
             ChatSession chat = model.chat()) {
            out.println("Q: " + args[3]);
            out.println("A: " + chat.prompt().image(Path.of(args[2])).text(args[3]).maxTokens(24).generate().text());
            for (int i = 4; i < args.length; i++) {
                out.println("Q: " + args[i]);
                out.println("A: " + chat.prompt().text(args[i]).maxTokens(24).generate().text());
            }
            out.println("(images encoded: " + model.imagesEncoded() + ")");
        }
        return 0;
    }
}
