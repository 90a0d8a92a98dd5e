package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench} runs and reports sane numbers on the tiny fixtures (speed itself is never asserted). */
class BenchCommandTest {
    @Test
    void textModelReportsPrefillDecodeAndWarmup() throws Exception {
        var r = VlmCommandsTest.cli("bench", "-m", Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString(),
                "-p", "16", "-n", "4", "-r", "2", "-t", "2", "--backend", "cpu", "--no-bandwidth", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(16, j.at("/prefill/tokens").asInt());
        assertTrue(j.at("/prefill/tokensPerSecond").asDouble() > 0, r.out());
        assertTrue(j.at("/decode/tokensPerSecond").asDouble() > 0, r.out());
        assertTrue(j.at("/decode/warmupMillis").asDouble() > 0, "warm-up time is reported apart: " + r.out());
        assertTrue(j.get("decodeGigabytesPerSecond").asDouble() > 0, r.out());
        assertEquals(2, j.at("/prefill/runs").size(), "every timed run is listed: " + r.out());
        double lo = Math.min(j.at("/prefill/runs/0").asDouble(), j.at("/prefill/runs/1").asDouble());
        double hi = Math.max(j.at("/prefill/runs/0").asDouble(), j.at("/prefill/runs/1").asDouble());
        assertEquals((lo + hi) / 2, j.at("/prefill/medianTokensPerSecond").asDouble(), 1e-9 * hi, "median of two runs");
    }

    @Test
    void noWarmupRunWhenAskedForNone() throws Exception {
        var r = VlmCommandsTest.cli("bench", "-m", Fixtures.require("models/tiny-llava/tiny-llava-text-q8_0.gguf").toString(),
                "-p", "0", "-n", "2", "-r", "1", "--warmup", "0", "-t", "1", "--no-bandwidth", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(0.0, j.at("/decode/warmupMillis").asDouble(), 1.0, "no warm-up run: " + r.out());
        assertEquals(1, j.at("/decode/runs").size());
        assertEquals(2, VlmCommandsTest.cli("bench", "-m", "x.gguf", "--warmup", "-1").exit(), "negative warm-up is a usage error");
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
