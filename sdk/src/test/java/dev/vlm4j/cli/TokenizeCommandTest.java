package dev.vlm4j.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.testing.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vlm4j tokenize} on the Llama 3 fixture model: text and JSON output, JSON Lines input, exit codes. */
class TokenizeCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void printsIdsAndPiecesLikeLlamaTokenize() {
        String model = Fixtures.require("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf").toString();
        Run json = run("tokenize", "-m", model, "--text", "Hello world<|eot_id|>", "--special", "--json");
        Run plain = run("tokenize", "-m", model, "--text", "Hello\nworld", "--no-bos");
        Run unparsed = run("tokenize", "-m", model, "--text", "<|eot_id|>", "--no-bos", "--json");
        assertAll(
                () -> assertEquals(0, json.exit(), json.err()),
                () -> assertEquals("{\"tokens\":[128000,9906,1917,128009],\"pieces\":[\"<|begin_of_text|>\",\"Hello\",\" world\",\"<|eot_id|>\"]}",
                        json.out().strip()),
                () -> assertEquals(0, plain.exit(), plain.err()),
                () -> assertEquals(String.join("\n", "   9906 -> 'Hello'", "    198 -> '\\n'", "  14957 -> 'world'"),
                        plain.out().replace("\r", "").stripTrailing()),
                () -> assertTrue(!unparsed.out().contains("128009"), "without --special the markup is plain text: " + unparsed.out()));
    }

    @Test
    void tokenizesJsonLinesOneArrayPerLine() throws IOException {
        String model = Fixtures.require("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf").toString();
        Path input = Files.writeString(dir.resolve("in.jsonl"), "\"Hello world\"\n\"\"\n\"a\\nb\"\n", StandardCharsets.UTF_8);
        Run r = run("tokenize", "-m", model, "--input-jsonl", input.toString(), "--no-bos");
        assertEquals(0, r.exit(), r.err());
        assertEquals("[9906,1917]\n[]\n[64,198,65]", r.out().strip().replace("\r", ""));

        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "\"ok\"\n{\"text\": 1}\n", StandardCharsets.UTF_8);
        Run b = run("tokenize", "-m", model, "--input-jsonl", bad.toString());
        assertEquals(Main.EXIT_USAGE, b.exit());
        assertTrue(b.err().contains("bad.jsonl:2") && b.err().contains("JSON string"), b.err());
    }

    @Test
    void badModelsAndMissingOptionsGiveTheDocumentedExitCodes() {
        Run noTokenizer = run("tokenize", "-m", Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f16.gguf").toString(), "--text", "hi");
        Run missing = run("tokenize", "-m", dir.resolve("none.gguf").toString(), "--text", "hi");
        Run usage = run("tokenize", "-m", "x.gguf");
        assertAll(
                () -> assertEquals(Main.EXIT_MODEL_ERROR, noTokenizer.exit()),
                () -> assertTrue(noTokenizer.err().contains("tokenizer.ggml.model"), noTokenizer.err()),
                () -> assertEquals(Main.EXIT_MODEL_ERROR, missing.exit()),
                () -> assertTrue(missing.err().contains("no such file"), missing.err()),
                () -> assertEquals(Main.EXIT_USAGE, usage.exit(), "--text or --input-jsonl is required"));
    }
}
