package dev.vlm4j.cli;

import dev.vlm4j.language.sampling.SamplingParams;
import dev.vlm4j.sdk.GenerationOptions;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Generation flags shared by caption, ask, chat, batch and generate. */
final class GenerationFlags {
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Most tokens to generate (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0", description = "Temperature; 0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Top-k when sampling; 0 = off (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Top-p when sampling; 1 = off (default ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "Min-p when sampling; 0 = off (default ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "Repetition penalty; 1 = off (default ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", description = "Tokens the repetition penalty looks back (default ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop generating after this many seconds")
    Double timeoutSeconds;

    GenerationOptions options() {
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed);
        Duration timeout = timeoutSeconds == null ? null : Duration.ofMillis((long) (timeoutSeconds * 1000));
        return new GenerationOptions(maxTokens, sampling, stops, timeout);
    }
}
