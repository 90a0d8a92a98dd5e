package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.sdk.TinyLlava;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** caption / ask / batch / generate as a user runs them, on the tiny fixtures, against llama.cpp's outputs. */
class VlmCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exit, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void captionJsonEqualsLlavaCli() throws Exception {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        Run r = cli("caption", "--model", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(),
                "--image", TinyLlava.image("coffee-rgba.png").toString(), "-n", "24", "--backend", "cpu", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = JSON.readTree(r.out());
        assertEquals(pair.llavaCliPrints("coffee-rgba.png"), json.get("text").asText());
        List<Integer> tokens = new ArrayList<>();
        json.get("tokens").forEach(t -> tokens.add(t.asInt()));
        assertEquals(pair.greedyIds("coffee-rgba.png"), tokens);
        for (String key : List.of("image_encode_ms", "prompt_tokens_per_s", "decode_tokens_per_s", "backend_warmup_ms")) {
            assertTrue(json.get("timings").get(key).isNumber(), key + " in " + r.out());
        }
        assertEquals(0.0, json.get("timings").get("backend_warmup_ms").asDouble(), "the CPU backend keeps no warm-up counters");
    }

    @Test
    void askPrintsTheStreamedAnswer() {
        // the F32 pair: its caption is llava-cli's with any vector width (the quantised ones part at a near-tie on AVX2)
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        Run r = cli("ask", "-m", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(),
                "-i", TinyLlava.image("coffee-rgba.png").toString(), "-q", "Describe the image.", "-n", "24");
        assertEquals(0, r.exit(), r.err());
        assertEquals(pair.llavaCliPrints("coffee-rgba.png") + System.lineSeparator(), r.out());
    }

    @Test
    void errorsHaveExitCodes() {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        Run corrupt = cli("caption", "-m", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(),
                "-i", Fixtures.require("images/corrupt-truncated.png").toString());
        assertEquals(3, corrupt.exit(), corrupt.err());
        assertTrue(corrupt.err().contains("corrupt-truncated.png"), corrupt.err());
        Run usage = cli("ask", "-m", pair.textPath().toString(), "-i", "x.png");
        assertEquals(2, usage.exit(), "missing --question is a usage error: " + usage.err());
    }

    @Test
    void defaultModelFailsFastOfflineWithAHint(@TempDir Path cache) {
        long t0 = System.nanoTime();
        Run r = cli("caption", "-i", "x.png", "--offline", "--cache-dir", cache.toString());
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("--model"), "says what to pass instead: " + r.err());
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "fails fast");
    }

    @Test
    void generateJsonMatchesLlamaCpp() throws Exception {
        JsonNode ref = JSON.readTree(Fixtures.require("reference/text/tiny-llama3-bpe-q8_0.json").toFile());
        JsonNode p2 = ref.get("prompts").get(1);
        Run r = cli("generate", "-m", Fixtures.require("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf").toString(),
                "-p", p2.get("prompt").asText(), "-n", "24", "--backend", "cpu", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = JSON.readTree(r.out());
        assertEquals(p2.get("prompt_ids"), json.get("prompt_tokens"));
        assertEquals(p2.at("/greedy/ids"), json.get("tokens"));
        assertTrue(json.at("/timings/decode_tokens_per_s").asDouble() > 0);
    }

    @Test
    void chatAnswersTurnsFromStdinAndReusesTheImage() {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(
                    "Describe the image.\nWhat else?\n/image nope.png\n/clear\nHi\n/quit\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            Run r = cli("chat", "-m", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(),
                    "-i", TinyLlava.image("coffee-rgba.png").toString(), "-n", "24", "--backend", "cpu");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains(pair.llavaCliPrints("coffee-rgba.png")), "first turn is llava-cli's caption: " + r.out());
            assertTrue(r.out().contains("(no such file: nope.png)"), r.out());
            assertTrue(r.out().contains("(conversation cleared)"), r.out());
            long answers = r.err().lines().filter(l -> l.startsWith("(") && l.contains("tokens, prompt")).count();
            assertEquals(3, answers, "three questions answered: " + r.err());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void generateChatUsesTheFilesTemplate() throws Exception {
        Run r = cli("generate", "-m", Fixtures.require("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf").toString(),
                "-p", "Hi", "--chat", "-n", "4", "--backend", "cpu", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode ids = JSON.readTree(r.out()).get("prompt_tokens");
        // <|begin_of_text|> <|start_header_id|> user <|end_header_id|> ... : the Llama 3 template from the GGUF, BOS once
        assertEquals(128000, ids.get(0).asInt(), "BOS first: " + ids);
        assertEquals(128006, ids.get(1).asInt(), "<|start_header_id|> second, BOS not doubled: " + ids);
        assertTrue(ids.toString().contains("128007"), "<|end_header_id|> present: " + ids);
        assertEquals(128006, ids.get(ids.size() - 4).asInt(), "ends with the assistant header: " + ids);
        assertTrue(r.err().contains("chat format m.gguf") || r.err().contains("tokenizer.chat_template"), r.err());
    }

    /** A batch killed mid-run and started again ends with every image answered exactly once. */
    @Test
    void batchResumesAfterAKill(@TempDir Path dir) throws Exception {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        Path images = Files.createDirectories(dir.resolve("images"));
        String[] sources = {"coffee-rgba.png", "camera-gray.png", "astronaut.gif", "hubble.bmp"};
        for (int i = 0; i < 40; i++) {
            String name = sources[i % sources.length];
            Files.copy(TinyLlava.image(name), images.resolve(String.format("%02d-%s", i, name)));
        }
        Path out = dir.resolve("results.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "batch",
                "-m", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(), "--backend", "cpu",
                "--images", images.toString(), "-n", "24", "--out", out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive() && (!Files.exists(out) || Files.readAllLines(out).size() < 3)) {
            Thread.sleep(5);
        }
        boolean killedMidRun = p.isAlive();
        p.destroyForcibly().waitFor();
        int before = Files.exists(out) ? Files.readAllLines(out).size() : 0;
        assertTrue(killedMidRun && before < 40, "the batch was killed mid-run (" + before + " of 40 lines): "
                + Files.readString(dir.resolve("log.txt")));

        Run again = cli("batch", "-m", pair.textPath().toString(), "--mmproj", pair.mmprojPath().toString(),
                "--backend", "cpu", "--images", images.toString(), "-n", "24", "--out", out.toString());
        assertEquals(0, again.exit(), again.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(40, lines.size(), "every image exactly once");
        Set<String> seen = new HashSet<>();
        for (String line : lines) {
            JsonNode n = JSON.readTree(line);
            assertTrue(seen.add(n.get("image").asText()), "duplicate " + n.get("image"));
            assertTrue(n.has("answer") && n.has("tokens") && n.has("ms"), line);
            if (n.get("image").asText().endsWith("coffee-rgba.png")) {
                assertEquals(pair.llavaCliPrints("coffee-rgba.png"), n.get("answer").asText());
            }
        }
    }
}
