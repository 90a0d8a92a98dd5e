package dev.vlm4j.language.tokenizer;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** llama.cpp's tokenizer test vectors ({@code fixtures/tokenizer/*.inp/.out}, format in FORMAT.md) and vocab loading. */
final class TokenizerVectors {
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(int index, String text, int[] ids) {}

    private TokenizerVectors() {}

    /** The cases of {@code tokenizer/<name>.inp} and {@code .out}, e.g. name "ggml-vocab-llama-spm.gguf". */
    static List<Case> cases(String name) {
        try {
            String inp = Files.readString(Fixtures.require("tokenizer/" + name + ".inp"), StandardCharsets.UTF_8);
            List<String> out = Files.readAllLines(Fixtures.require("tokenizer/" + name + ".out"), StandardCharsets.US_ASCII);
            List<String> texts = new ArrayList<>();
            int pos = 0;
            while (pos < inp.length()) {
                int next = inp.indexOf(SEPARATOR, pos);
                if (next < 0) {
                    texts.add(inp.substring(pos));
                    break;
                }
                texts.add(inp.substring(pos, next));
                pos = next + SEPARATOR.length();
            }
            if (texts.size() != out.size()) {
                throw new IllegalStateException(name + ": " + texts.size() + " inputs but " + out.size() + " output lines");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = out.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(i, texts.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loaded once per test run: tokenizers are immutable, and loading the large ones takes a while. */
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    /** The tokenizer of a fixture GGUF (path relative to fixtures/). */
    static Tokenizer gguf(String relative) {
        Path path = Fixtures.require(relative);
        return LOADED.computeIfAbsent(relative, r -> {
            try (GgufFile file = GgufFile.open(path)) {
                return Tokenizer.fromGguf(file);
            }
        });
    }

    /** Llama 3's tokenizer.json (gzip) with its tokenizer_config.json. */
    static Tokenizer llama3Json() {
        Path json = Fixtures.require("tokenizer/llama3-tokenizer.json.gz");
        Path config = Fixtures.require("tokenizer/llama3-tokenizer_config.json");
        return LOADED.computeIfAbsent("llama3-tokenizer.json", r -> Tokenizer.fromHuggingFace(json, config));
    }

    static String show(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp < 0x20) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }
}
