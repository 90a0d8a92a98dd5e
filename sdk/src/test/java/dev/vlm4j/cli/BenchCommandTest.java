package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench} runs and reports sane numbers on the tiny fixtures (speed itself is never asserted). */
class BenchCommandTest {
    @Test
    void textModelReportsPrefillDecodeAndWarmup() throws Exception {
        JsonNode j = benchTextModel("-p", "16", "-n", "4", "-r", "2", "-t", "2", "--backend", "cpu");
        assertEquals(16, j.at("/prefill/tokens").asInt());
        assertTrue(j.at("/prefill/tokensPerSecond").asDouble() > 0, j.toString());
        assertTrue(j.at("/decode/tokensPerSecond").asDouble() > 0, j.toString());
        assertTrue(j.at("/decode/warmupMillis").asDouble() > 0, "warm-up time is reported apart: " + j);
        int warmupRuns = j.at("/prefill/warmupRuns").asInt();
        assertTrue(warmupRuns >= 1 && warmupRuns <= WarmUp.MAX_RUNS, "at least the one warm-up run asked for, at most the cap: " + j);
        assertTrue(j.get("decodeGigabytesPerSecond").asDouble() > 0, j.toString());
        assertEquals(2, j.at("/prefill/runs").size(), "every timed run is listed: " + j);
        double lo = Math.min(j.at("/prefill/runs/0").asDouble(), j.at("/prefill/runs/1").asDouble());
        double hi = Math.max(j.at("/prefill/runs/0").asDouble(), j.at("/prefill/runs/1").asDouble());
        assertEquals((lo + hi) / 2, j.at("/prefill/medianTokensPerSecond").asDouble(), 1e-9 * hi, "median of two runs");
    }

    @Test
    void noWarmupRunWhenAskedForNone() throws Exception {
        JsonNode j = benchTextModel("-p", "0", "-n", "2", "-r", "1", "--warmup", "0", "-t", "1");
        assertEquals(0.0, j.at("/decode/warmupMillis").asDouble(), 1.0, "no warm-up run: " + j);
        assertEquals(0, j.at("/decode/warmupRuns").asInt(), "no warm-up run: " + j);
        assertEquals(1, j.at("/decode/runs").size());
        assertEquals(2, VlmCommandsTest.cli("bench", "-m", "x.gguf", "--warmup", "-1").exit(), "negative warm-up is a usage error");
    }

    @Test
    void depthFillsTheContextBeforeEachRun() throws Exception {
        JsonNode j = benchTextModel("-p", "8", "-n", "4", "-d", "40", "-r", "1", "-t", "2");
        assertEquals(40, j.get("depth").asInt(), j.toString());
        assertTrue(j.at("/prefill/tokensPerSecond").asDouble() > 0, j.toString());
        assertTrue(j.at("/decode/tokensPerSecond").asDouble() > 0, j.toString());
        String model = Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString();
        var text = VlmCommandsTest.cli("bench", "-m", model, "-p", "8", "-n", "2", "-d", "16", "-r", "1", "-t", "1", "--no-bandwidth");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("pp8 @ d16") && text.out().contains("tg2 @ d16"), "llama-bench's labels: " + text.out());
        // the tiny model's context is 4096 positions: a depth that leaves no room is refused before any compute
        var tooDeep = VlmCommandsTest.cli("bench", "-m", model, "-p", "8", "-n", "2", "-d", "4090", "--no-bandwidth");
        assertEquals(2, tooDeep.exit(), tooDeep.out());
        assertTrue(tooDeep.err().contains("exceeds the model's context length 4096"), tooDeep.err());
        assertEquals(2, VlmCommandsTest.cli("bench", "-m", model, "-d", "-1").exit(), "a negative depth is a usage error");
    }

    /** {@code bench --json} on the tiny Q8_0 text model with {@code args}, which must succeed. */
    private static JsonNode benchTextModel(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bench", "-m",
                Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString(), "--no-bandwidth", "--json"));
        command.addAll(List.of(args));
        var r = VlmCommandsTest.cli(command.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    /**
     * {@code --llama-bench} runs the given program once after each timed run, with the same shape and threads, and
     * pairs the speeds run by run. A shell script stands in for llama-bench: it logs its arguments and prints
     * llama-bench's {@code -o json} form with a fixed speed.
     */
    @Test
    void llamaBenchRunsOnceAfterEachTimedRunAndIsPairedRunByRun(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("args.txt");
        Path fake = script(dir, "echo \"$@\" >> '" + log + "'\necho '[{\"n_prompt\": 0, \"avg_ts\": 50.0}]'");
        String model = Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString();
        JsonNode j = benchTextModel("-p", "8", "-n", "4", "-d", "16", "-r", "3", "-t", "1", "--warmup", "0", "--llama-bench", fake.toString());
        List<String> calls = Files.readAllLines(log);
        assertEquals(6, calls.size(), "three prefill and three decode runs: " + calls);
        for (int i = 0; i < 6; i++) {
            String shape = i < 3 ? "-p 8 -n 0" : "-p 0 -n 4";
            assertEquals("-m " + model + " " + shape + " -t 1 -r 1 -o json -d 16", calls.get(i), "call " + i);
        }
        for (String test : List.of("prefill", "decode")) {
            JsonNode pairs = j.at("/" + test + "/llamaBench");
            assertEquals(50.0, pairs.get("medianTokensPerSecond").asDouble(), 0.0, j.toString());
            for (int i = 0; i < 3; i++) {
                assertEquals(50.0, pairs.at("/runs/" + i).asDouble(), 0.0);
                assertEquals(j.at("/" + test + "/runs/" + i).asDouble() / 50.0, pairs.at("/ratios/" + i).asDouble(), 1e-12,
                        test + " pair " + i + ": our run over llama-bench's");
            }
        }
        var text = VlmCommandsTest.cli("bench", "-m", model, "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--warmup", "0",
                "--no-bandwidth", "--llama-bench", fake.toString(), "--llama-model", "/elsewhere/theirs.gguf");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("llama-bench, one run after each: median 50.0 t/s"), text.out());
        assertTrue(Files.readAllLines(log).getLast().startsWith("-m /elsewhere/theirs.gguf -p 0 -n 2"), "--llama-model is passed on");
    }

    @Test
    void llamaBenchFailuresAreNamed(@TempDir Path dir) throws Exception {
        String model = Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString();
        Path failing = script(dir, "echo 'model not found' >&2\nexit 7");
        var r = VlmCommandsTest.cli("bench", "-m", model, "-p", "0", "-n", "2", "-r", "1", "--warmup", "0", "--no-bandwidth",
                "--llama-bench", failing.toString());
        assertEquals(Main.EXIT_MODEL_ERROR, r.exit(), r.out());
        assertTrue(r.err().contains("exited with 7: model not found"), r.err());
        Path chatty = script(dir, "echo 'hello'");
        r = VlmCommandsTest.cli("bench", "-m", model, "-p", "0", "-n", "2", "-r", "1", "--warmup", "0", "--no-bandwidth",
                "--llama-bench", chatty.toString());
        assertEquals(Main.EXIT_MODEL_ERROR, r.exit(), r.out());
        assertTrue(r.err().contains("printed no JSON") && r.err().contains("hello"), r.err());
        assertEquals(2, VlmCommandsTest.cli("bench", "-m", model, "--llama-model", "x.gguf").exit(), "--llama-model alone");
        assertEquals(2, VlmCommandsTest.cli("bench", "--synthetic", "speed-clip-vitb16", "--llama-bench", "x").exit(),
                "no llama-bench comparison for an mmproj");
    }

    /** An executable shell script in {@code dir} with {@code body}. */
    private static Path script(Path dir, String body) throws Exception {
        Path file = Files.createTempFile(dir, "llama-bench", ".sh");
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        assertTrue(file.toFile().setExecutable(true));
        return file;
    }

    @Test
    void mmprojReportsEncodeTime() {
        var r = VlmCommandsTest.cli("bench", "--mmproj", Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f16.gguf").toString(),
                "-r", "2", "-t", "2", "--backend", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("encode one image"), r.out());
        assertTrue(r.out().contains("GFLOP/s"), r.out());
    }

    @Test
    void usageErrors() {
        assertEquals(2, VlmCommandsTest.cli("bench").exit(), "a model, an mmproj or --synthetic is required");
        assertEquals(2, VlmCommandsTest.cli("bench", "--synthetic", "x", "--type", "nope").exit());
    }
}
