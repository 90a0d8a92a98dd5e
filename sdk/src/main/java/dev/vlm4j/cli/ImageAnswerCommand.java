package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.VisionLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** What {@code caption} and {@code ask} share: load, one image, one prompt, print the answer or JSON. */
abstract class ImageAnswerCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Option(names = {"-i", "--image"}, required = true, paramLabel = "IMAGE", description = "Image file (PNG, JPEG, GIF, BMP, TIFF, ...)")
    Path image;

    @Option(names = "--json", description = "Print {\"text\",\"tokens\",\"finish_reason\",\"timings\"} as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    abstract String promptText();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (VisionLanguageModel model = modelOptions.load(err, true)) {
            var prompt = model.prompt().image(image).text(promptText()).options(generation.options());
            GenerationResult r;
            if (json) {
                r = prompt.generate();
                out.println(toJson(r));
            } else {
                r = prompt.stream(piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                err.printf("vlm4j: %d tokens, %s; image %.0f ms, prompt %.1f tok/s, decode %.1f tok/s%n",
                        r.tokens().size(), r.finishReason(), r.timings().imageEncodeMillis(),
                        r.timings().promptTokensPerSecond(), r.timings().decodeTokensPerSecond());
            }
            out.flush();
            err.flush();
        }
        return Main.EXIT_OK;
    }

    static String toJson(GenerationResult r) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("text", r.text());
        ArrayNode tokens = root.putArray("tokens");
        r.tokens().forEach(tokens::add);
        root.put("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        ObjectNode t = root.putObject("timings");
        t.put("image_encode_ms", r.timings().imageEncodeMillis());
        t.put("prompt_tokens", r.timings().promptTokens());
        t.put("prompt_tokens_per_s", r.timings().promptTokensPerSecond());
        t.put("generated_tokens", r.timings().generatedTokens());
        t.put("decode_tokens_per_s", r.timings().decodeTokensPerSecond());
        t.put("backend_warmup_ms", r.timings().backendWarmUpMillis());
        return root.toString();
    }

    @Command(name = "caption", mixinStandardHelpOptions = true, description = "Describe an image.")
    static final class Caption extends ImageAnswerCommand {
        @Option(names = {"-p", "--prompt"}, defaultValue = "Describe the image.", description = "The instruction (default: ${DEFAULT-VALUE})")
        String prompt;

        @Override
        String promptText() {
            return prompt;
        }
    }

    @Command(name = "ask", mixinStandardHelpOptions = true, description = "Answer a question about an image (VQA).")
    static final class Ask extends ImageAnswerCommand {
        @Option(names = {"-q", "--question"}, required = true, description = "The question")
        String question;

        @Override
        String promptText() {
            return question;
        }
    }
}
