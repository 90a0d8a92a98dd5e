package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm4j.sdk.GenerationResult;
import dev.vlm4j.sdk.VisionLanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code vlm4j generate}: text generation with the text model alone. Without {@code --chat} the prompt is
 * continued as it is (BOS added as the vocabulary says, special tokens recognised), as llama.cpp's
 * {@code llama-cli -no-cnv} does; with {@code --chat} it is the user turn of the model's chat template.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text with the text model alone.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt in the model's chat template as a user turn")
    boolean chat;

    @Option(names = "--json", description = "Print {\"prompt_tokens\",\"tokens\",\"text\",\"finish_reason\",\"timings\"} as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (VisionLanguageModel model = modelOptions.load(err, false)) {
            GenerationResult r;
            if (chat) {
                var p = model.prompt().text(prompt).options(generation.options());
                r = json ? p.generate() : p.stream(piece -> {
                    out.print(piece);
                    out.flush();
                });
            } else {
                r = model.complete(prompt, generation.options(), json ? piece -> { } : piece -> {
                    out.print(piece);
                    out.flush();
                });
            }
            if (json) {
                ObjectNode root = (ObjectNode) new ObjectMapper().readTree(ImageAnswerCommand.toJson(r));
                ObjectNode ordered = new ObjectMapper().createObjectNode();
                var arr = ordered.putArray("prompt_tokens");
                r.promptTokens().forEach(arr::add);
                ordered.setAll(root);
                ((ObjectNode) ordered.get("timings")).remove("image_encode_ms");
                out.println(ordered);
            } else {
                out.println();
                err.printf("vlm4j: %d tokens, %s; prompt %.1f tok/s, decode %.1f tok/s%n", r.tokens().size(),
                        r.finishReason(), r.timings().promptTokensPerSecond(), r.timings().decodeTokensPerSecond());
            }
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return Main.EXIT_OK;
    }
}
