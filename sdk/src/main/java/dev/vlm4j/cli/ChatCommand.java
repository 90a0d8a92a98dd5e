package dev.vlm4j.cli;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.sdk.ChatSession;
import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.Prompt;
import dev.vlm4j.sdk.VisionLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code vlm4j chat}: an interactive conversation, answers streamed as they are generated. Lines starting with
 * {@code /} are commands: {@code /image PATH} attaches an image to the next question, {@code /clear} starts over,
 * {@code /quit} (or end of input) leaves. The KV cache carries over between turns.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat about images interactively (/image PATH, /clear, /quit).")
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Option(names = {"-i", "--image"}, paramLabel = "IMAGE", description = "An image for the first question")
    Path image;

    @Option(names = "--system", description = "System instructions")
    String system;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (VisionLanguageModel model = modelOptions.load(err, modelOptions.mmproj != null || modelOptions.model == null);
             ChatSession chat = model.chat()) {
            Path pending = image;
            boolean first = true;
            out.println("Type a question; /image PATH, /clear, /quit.");
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/quit")) break;
                line = line.strip();
                if (line.isEmpty()) continue;
                if (line.equals("/clear")) {
                    chat.clear();
                    pending = null;
                    first = true;
                    out.println("(conversation cleared)");
                    continue;
                }
                if (line.startsWith("/image")) {
                    Path p = Path.of(line.substring("/image".length()).strip());
                    if (!Files.isRegularFile(p)) {
                        out.println("(no such file: " + p + ")");
                    } else {
                        pending = p;
                        out.println("(image attached to the next question: " + p + ")");
                    }
                    continue;
                }
                Prompt prompt = chat.prompt().options(generation.options());
                if (first && system != null) prompt.system(system);
                if (pending != null) prompt.image(pending);
                prompt.text(line);
                try {
                    GenerationResult r = prompt.stream(piece -> {
                        out.print(piece);
                        out.flush();
                    });
                    out.println();
                    err.printf("(%d tokens, prompt %d positions at %.1f tok/s, decode %.1f tok/s)%n", r.tokens().size(),
                            r.timings().promptTokens(), r.timings().promptTokensPerSecond(),
                            r.timings().decodeTokensPerSecond());
                    err.flush();
                    pending = null;
                    first = false;
                } catch (Vlm4jException e) {
                    out.println();
                    out.println("(error: " + e.getMessage() + ")");
                }
            }
        }
        return Main.EXIT_OK;
    }
}
