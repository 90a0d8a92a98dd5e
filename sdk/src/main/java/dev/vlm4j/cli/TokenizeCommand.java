package dev.vlm4j.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.Vlm4jException;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.language.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlm4j tokenize}: a model's token ids for a text (like llama-tokenize), or for every line of a JSON Lines
 * file of strings.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Show the token ids (and pieces) a model's tokenizer gives a text, as llama.cpp tokenizes it.")
final class TokenizeCommand implements Callable<Integer> {
    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to tokenize")
        String text;

        @Option(names = "--input-jsonl", paramLabel = "FILE",
                description = "Tokenize each line (a JSON string) of FILE ('-' for standard input); prints one JSON array of ids per line")
        String inputJsonl;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "GGUF model (its tokenizer.ggml.* metadata), or a Hugging Face tokenizer.json[.gz]")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--no-bos", description = "Do not add BOS/EOS even if the model adds them (add_special = false)")
    boolean noBos;

    @Option(names = "--special", description = "Recognise special-token text like <|eot_id|> as those tokens (parse_special = true)")
    boolean special;

    @Option(names = "--json", description = "Print {\"tokens\":[...],\"pieces\":[...]} instead of one line per token")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Tokenizer tokenizer = load(model);
        PrintWriter out = spec.commandLine().getOut();
        if (input.text != null) {
            int[] ids = tokenizer.encode(input.text, !noBos, special);
            if (json) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("tokens", ids);
                List<String> pieces = new ArrayList<>();
                for (int id : ids) {
                    pieces.add(tokenizer.piece(id));
                }
                result.put("pieces", pieces);
                out.println(JSON.writeValueAsString(result));
            } else {
                for (int id : ids) {
                    out.printf("%7d -> '%s'%n", id, printable(tokenizer.piece(id)));
                }
            }
            out.flush();
            return Main.EXIT_OK;
        }
        String problem = tokenizeLines(tokenizer, out);
        out.flush();
        if (problem != null) {
            spec.commandLine().getErr().println("vlm4j: " + problem);
            return Main.EXIT_USAGE;
        }
        return Main.EXIT_OK;
    }

    /** Prints the ids of each line; returns what is wrong with the input file, or null. */
    private String tokenizeLines(Tokenizer tokenizer, PrintWriter out) throws IOException {
        String name = input.inputJsonl;
        try (BufferedReader reader = name.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(name), StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JacksonException e) {
                    node = null;
                }
                if (node == null || !node.isTextual()) {
                    return name + ":" + number + ": expected a JSON string, got: " + (line.length() > 80 ? line.substring(0, 77) + "..." : line);
                }
                out.println(JSON.writeValueAsString(tokenizer.encode(node.asText(), !noBos, special)));
            }
            return null;
        } catch (NoSuchFileException e) {
            return name + ": no such file";
        }
    }

    static Tokenizer load(Path model) {
        String file = model.getFileName() == null ? "" : model.getFileName().toString();
        if (file.endsWith(".json") || file.endsWith(".json.gz")) {
            Path config = model.resolveSibling("tokenizer_config.json");
            return Tokenizer.fromHuggingFace(model, Files.exists(config) ? config : null);
        }
        if (!Files.exists(model)) {
            throw new Vlm4jException(model + ": no such file");
        }
        try (GgufFile gguf = GgufFile.open(model)) {
            return Tokenizer.fromGguf(gguf);
        }
    }

    /** Line breaks, tabs and other control characters written as escapes so that each token stays on its line. */
    static String printable(String piece) {
        StringBuilder sb = new StringBuilder(piece.length());
        piece.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (cp < 0x20 || cp == 0x7F) {
                        sb.append(String.format("\\x%02x", cp));
                    } else {
                        sb.appendCodePoint(cp);
                    }
                }
            }
        });
        return sb.toString();
    }
}
