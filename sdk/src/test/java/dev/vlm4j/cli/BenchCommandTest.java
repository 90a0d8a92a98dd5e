package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

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
