package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.Vlm4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's {@code llama-bench}, run once per call as a subprocess on {@code model}: {@code bench --llama-bench}
 * runs it after each of its own timed repetitions, so that both engines are measured at the same moment of a
 * machine whose speed drifts from minute to minute.
 */
record LlamaBench(Path executable, Path model, int threads) {
    /** Longest one run may take before it is killed (a hung subprocess must not hang bench). */
    static final long TIMEOUT_SECONDS = 600;

    /**
     * Tokens/s of one llama-bench repetition ({@code -r 1}; llama-bench does its own warm-up run first): prefill of
     * {@code promptTokens} with {@code genTokens} 0, or decode of {@code genTokens}, after {@code depth} tokens.
     */
    double tokensPerSecond(int promptTokens, int genTokens, int depth) {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "-m", model.toString(),
                "-p", Integer.toString(promptTokens), "-n", Integer.toString(genTokens), "-t", Integer.toString(threads),
                "-r", "1", "-o", "json"));
        if (depth > 0) { // older llama-bench builds have no -d
            command.addAll(List.of("-d", Integer.toString(depth)));
        }
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("vlm4j-llama-bench", ".json");
            err = Files.createTempFile("vlm4j-llama-bench", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Vlm4jException(executable + " did not finish within " + TIMEOUT_SECONDS + " s: " + String.join(" ", command));
            }
            if (p.exitValue() != 0) {
                throw new Vlm4jException(executable + " exited with " + p.exitValue() + ": " + tail(err));
            }
            return averageTokensPerSecond(Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Vlm4jException("cannot run " + executable + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Vlm4jException("interrupted while " + executable + " ran", e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    /** {@code avg_ts} of the one test in llama-bench's {@code -o json} output. */
    private double averageTokensPerSecond(String json) {
        JsonNode tests;
        try {
            tests = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new Vlm4jException(executable + " printed no JSON (" + e.getMessage() + "): " + clip(json));
        }
        if (tests == null || !tests.isArray() || tests.size() != 1 || !tests.get(0).path("avg_ts").isNumber()) {
            throw new Vlm4jException(executable + " printed no single test with avg_ts: " + clip(json));
        }
        return tests.get(0).get("avg_ts").asDouble();
    }

    private static String tail(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? "(nothing on stderr)" : s.substring(Math.max(0, s.length() - 500));
    }

    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }
}
