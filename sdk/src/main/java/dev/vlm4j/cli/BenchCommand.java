package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendStatistics;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.kernels.ProfilingBackend;
import dev.vlm4j.kernels.cpu.MemoryBandwidth;
import dev.vlm4j.language.model.DecoderInput;
import dev.vlm4j.language.model.DecoderSession;
import dev.vlm4j.language.model.SyntheticTextModels;
import dev.vlm4j.language.model.TextModel;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.vision.encoder.VisionBenchmark;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlm4j bench}: prompt-prefill and decode speed of a text model, measured like llama-bench (pp: one batch
 * of P prompt tokens into an empty context; tg: N single-token steps from an empty context, logits each step; with
 * {@code -d D}, both after D context tokens filled untimed),
 * with decode's weight traffic as GB/s and as a fraction of this machine's measured read bandwidth; or the encode
 * time and GFLOP/s of an mmproj's ViT and projector for one image.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill/decode tokens/s of a text model (like llama-bench), or image encode time of an mmproj.")
final class BenchCommand implements Callable<Integer> {
    static final class ModelChoice {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "Text model to measure")
        Path model;

        @Option(names = "--mmproj", paramLabel = "FILE.gguf", description = "Vision projector to measure (image encode)")
        Path mmproj;

        @Option(names = "--synthetic", paramLabel = "NAME",
                description = "Generate (once, cached) a random-weight model of a named shape: speed-llama-125m (text, --type), "
                        + "speed-clip-vitb16 (ViT-B/16 mmproj, F16)")
        String synthetic;
    }

    static final String SPEED_CLIP = "speed-clip-vitb16";

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelChoice choice;

    @Option(names = "--type", defaultValue = "Q8_0", description = "Weight type of a --synthetic model: F32, F16, BF16, Q8_0, Q4_0 (default ${DEFAULT-VALUE})")
    GgmlType type;

    @Option(names = "--cache-dir", description = "Where --synthetic models are written (default ~/.cache/vlm4j/synthetic)")
    Path cacheDir;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512", description = "Prefill batch size (default ${DEFAULT-VALUE}; 0 skips)")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "64", description = "Decode steps (default ${DEFAULT-VALUE}; 0 skips)")
    int genTokens;

    @Option(names = {"-d", "--depth"}, defaultValue = "0", description = "Tokens already in the context before each pp "
            + "and tg run, like llama-bench -d: decode after a 576-token image, for instance. Filled untimed (default ${DEFAULT-VALUE})")
    int depth;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Timed repetitions after the warm-up (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up runs before the timed ones: JIT, "
            + "device kernel compilation, first touch of the weights (default ${DEFAULT-VALUE}; their time is reported). "
            + "With 1 or more, runs are added (up to " + WarmUp.MAX_RUNS + " in all) while the JIT or the backend is still compiling")
    int warmup;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "CPU threads (default: all cores)")
    int threads;

    @Option(names = "--backend", defaultValue = "CPU", description = "AUTO, CPU, OPENCL, TORNADOVM (default ${DEFAULT-VALUE})")
    BackendKind backend;

    @Option(names = "--device", description = "Device index or name substring for OPENCL / TORNADOVM")
    String device;

    @Option(names = "--no-bandwidth", description = "Skip the memory bandwidth probe")
    boolean noBandwidth;

    @Option(names = "--profile", description = "Also print the time spent in each kernel (one extra run)")
    boolean profile;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Option(names = "--llama-bench", paramLabel = "PATH", description = "llama.cpp's llama-bench: run it once (-r 1, same "
            + "-p/-n/-d/-t) after each timed repetition and print its speed and the ratio per pair of runs, a same-moment "
            + "comparison on a machine whose speed drifts (text models only)")
    Path llamaBench;

    @Option(names = "--llama-model", paramLabel = "FILE.gguf", description = "The model llama-bench runs (default: the "
            + "model measured; a --synthetic one is a GGUF that llama.cpp reads)")
    Path llamaModel;

    @Spec
    CommandSpec spec;

    record Rate(int tokens, double tokensPerSecond, double stddev, double medianTokensPerSecond, double warmupMillis,
                int warmupRuns, double[] runs, LlamaBenchPairs llamaBench) {}

    /**
     * llama-bench's tokens/s, one run after each of ours ({@code runs[i]} after our run i), and our speed over
     * theirs per pair of runs.
     */
    record LlamaBenchPairs(double[] runs, double medianTokensPerSecond, double[] ratios, double medianRatio,
                           double minRatio, double maxRatio) {}

    record Report(String model, long modelBytes, long parameters, String backend, int threads, int depth, Rate prefill, Rate decode,
                  long decodeWeightBytesPerToken, double decodeGigabytesPerSecond, Double memoryReadGigabytesPerSecond,
                  Double decodeFractionOfBandwidth, Map<String, Double> profileMillis, BackendStatistics backendStatistics) {}

    record VisionReport(String model, String backend, int threads, int imageSize, int outputTokens, double[] encodeMillis,
                        double medianMillis, double minMillis, double gflop, double gflopsPerSecond, int warmupRuns,
                        double warmupMillis, Map<String, Double> profileMillis, BackendStatistics backendStatistics) {}

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 0 || genTokens < 0 || depth < 0 || repetitions < 1 || warmup < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-p, -n, -d and --warmup must be >= 0 and -r >= 1");
        }
        BackendOptions options = new BackendOptions(backend, threads, device);
        boolean vision = choice.mmproj != null || SPEED_CLIP.equals(choice.synthetic);
        if (vision && (llamaBench != null || llamaModel != null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--llama-bench compares text models only");
        }
        if (llamaModel != null && llamaBench == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--llama-model needs --llama-bench");
        }
        if (vision) {
            return benchVision(choice.mmproj != null ? choice.mmproj : syntheticMmproj(), options);
        }
        Path modelPath = choice.model != null ? choice.model : synthetic();
        try (GgufFile file = GgufFile.open(modelPath); Backend b = Backends.create(options)) {
            TextModel model = TextModel.load(file, b);
            int vocab = model.config().vocabSize();
            int trained = model.config().contextLength();
            if (depth + Math.max(promptTokens, genTokens) > trained) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-d " + depth + " plus -p " + promptTokens
                        + " or -n " + genTokens + " exceeds the model's context length " + trained);
            }
            LlamaBench llama = llamaBench == null ? null
                    : new LlamaBench(llamaBench, llamaModel != null ? llamaModel : modelPath, options.effectiveThreads());
            SplittableRandom random = new SplittableRandom(42);
            int[] context = random.ints(depth, 0, vocab).toArray();
            Rate prefill = null;
            if (promptTokens > 0) {
                int[] prompt = random.ints(promptTokens, 0, vocab).toArray();
                prefill = measure(b, promptTokens, llama == null ? null : () -> llama.tokensPerSecond(promptTokens, 0, depth), () -> {
                    try (DecoderSession s = model.newSession(depth + promptTokens)) {
                        fill(s, context);
                        long start = System.nanoTime();
                        s.append(DecoderInput.tokens(prompt));
                        s.argmax();
                        return System.nanoTime() - start;
                    }
                });
            }
            Rate decode = null;
            if (genTokens > 0) {
                int[] tokens = random.ints(genTokens, 0, vocab).toArray();
                decode = measure(b, genTokens, llama == null ? null : () -> llama.tokensPerSecond(0, genTokens, depth), () -> {
                    try (DecoderSession s = model.newSession(depth + genTokens)) {
                        fill(s, context);
                        long start = System.nanoTime();
                        for (int token : tokens) {
                            s.append(DecoderInput.tokens(token));
                            s.argmax();
                        }
                        return System.nanoTime() - start;
                    }
                });
            }
            long params = 0;
            long bytes = 0;
            long embeddingBytes = 0;
            for (var t : file.tensorInfos()) {
                params += t.parameters();
                bytes += t.byteSize();
                if (t.name().equals("token_embd.weight")) {
                    embeddingBytes = t.byteSize();
                }
            }
            // A decode step reads every weight once, except the embedding table (one row), which tied models
            // read whole as their output matrix.
            long perToken = model.config().tiedOutput() ? bytes : bytes - embeddingBytes;
            double decodeGbs = decode == null ? 0 : perToken * decode.tokensPerSecond() / 1e9;
            Double bandwidth = null;
            Double fraction = null;
            if (!noBandwidth && decode != null) {
                bandwidth = MemoryBandwidth.measureRead(1L << 30, options.effectiveThreads(), 5).gigabytesPerSecond();
                fraction = decodeGbs / bandwidth;
            }
            BackendStatistics statistics = b.statistics().orElse(null); // before the profiled run, which runs call by call
            Map<String, Double> kernels = null;
            if (profile) {
                ProfilingBackend profiled = new ProfilingBackend(b);
                TextModel profiledModel = TextModel.load(file, profiled);
                int[] prompt = random.ints(depth + Math.max(1, promptTokens), 0, vocab).toArray();
                try (DecoderSession s = profiledModel.newSession(prompt.length + genTokens)) {
                    s.append(DecoderInput.tokens(prompt));
                    for (int i = 0; i < genTokens; i++) {
                        s.append(DecoderInput.tokens(s.argmax()));
                    }
                }
                kernels = millis(profiled);
            }
            Report report = new Report(file.path().getFileName().toString(), file.fileSize(), params, b.name(),
                    options.effectiveThreads(), depth, prefill, decode, perToken, decodeGbs, bandwidth, fraction, kernels, statistics);
            print(report);
        }
        return Main.EXIT_OK;
    }

    private int benchVision(Path mmproj, BackendOptions options) throws Exception {
        try (Backend b = Backends.create(options)) {
            WarmUp[] warm = new WarmUp[1];
            VisionBenchmark.Result r = VisionBenchmark.run(mmproj, b, encode -> warm[0] = WarmUp.run(warmup, b, encode), repetitions);
            BackendStatistics statistics = b.statistics().orElse(null);
            Map<String, Double> kernels = null;
            if (profile) {
                ProfilingBackend profiled = new ProfilingBackend(b);
                VisionBenchmark.run(mmproj, profiled, encode -> { }, 1);
                kernels = millis(profiled);
            }
            double gflop = (r.vitFlop() + r.projectorFlop()) / 1e9;
            VisionReport report = new VisionReport(r.model(), r.backend(), options.effectiveThreads(), r.config().imageSize(),
                    r.config().outputTokens(), r.millis(), r.medianMillis(), r.minMillis(), gflop, r.gflopsPerSecond(),
                    warm[0].runs(), warm[0].millis(), kernels, statistics);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } else {
                out.printf("mmproj: %s (image %dpx -> %d tokens), backend: %s%n", report.model(), report.imageSize(),
                        report.outputTokens(), report.backend());
                out.printf("encode one image: median %.1f ms, min %.1f ms over %d runs (%.2f GFLOP: %.1f GFLOP/s; warm-up, not counted: %s)%n",
                        report.medianMillis(), report.minMillis(), repetitions, gflop, report.gflopsPerSecond(), warm[0]);
                printStatistics(out, statistics);
                printProfile(out, kernels);
            }
            out.flush();
        }
        return Main.EXIT_OK;
    }

    private static Map<String, Double> millis(ProfilingBackend profiled) {
        Map<String, Double> out = new LinkedHashMap<>();
        profiled.nanos().entrySet().stream().sorted((a, c) -> Long.compare(c.getValue()[0], a.getValue()[0]))
                .forEach(e -> out.put(e.getKey(), e.getValue()[0] / 1e6));
        return out;
    }

    private static void printProfile(PrintWriter out, Map<String, Double> kernels) {
        if (kernels == null) {
            return;
        }
        double total = kernels.values().stream().mapToDouble(Double::doubleValue).sum();
        out.println("time per kernel (one profiled run):");
        kernels.forEach((k, ms) -> out.printf("  %-10s %10.1f ms %5.1f%%%n", k, ms, 100 * ms / total));
    }

    private Path syntheticMmproj() {
        Path file = cacheDirectory().resolve(SPEED_CLIP + "-f16.gguf");
        if (!Files.exists(file)) {
            createCacheDirectory();
            spec.commandLine().getErr().println("vlm4j: writing " + file + " (random weights, once)");
        }
        return VisionBenchmark.ensureClipVitB16(file);
    }

    private Path synthetic() {
        SyntheticTextModels.Spec s = SyntheticTextModels.byName(choice.synthetic);
        Path file = cacheDirectory().resolve(s.name() + "-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
        boolean stale = Files.exists(file) && !hasVocabulary(file);
        if (!Files.exists(file) || stale) {
            createCacheDirectory();
            spec.commandLine().getErr().println("vlm4j: writing " + file + (stale
                    ? " again (written without a vocabulary, which llama.cpp needs, by an older vlm4j)" : " (random weights, once)"));
            SyntheticTextModels.write(s, type, 1234, file);
        }
        return file;
    }

    /** Whether a cached synthetic model has a tokenizer (files from before 2026-12-06 had none). */
    private static boolean hasVocabulary(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            return f.metadata().contains("tokenizer.ggml.model");
        }
    }

    private Path cacheDirectory() {
        return cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "vlm4j", "synthetic");
    }

    private void createCacheDirectory() {
        try {
            Files.createDirectories(cacheDirectory());
        } catch (java.io.IOException e) {
            throw new dev.vlm4j.Vlm4jException("cannot create " + cacheDirectory() + ": " + e.getMessage(), e);
        }
    }

    /** The {@code depth} context tokens, appended before a timed pp or tg run. */
    private static void fill(DecoderSession s, int[] context) {
        if (context.length > 0) {
            s.append(DecoderInput.tokens(context));
        }
    }

    /**
     * {@code run} does one repetition and returns the nanoseconds of its timed part (set-up such as the depth fill
     * excluded); {@code llamaRun}, when not null, runs llama-bench once after each timed repetition.
     */
    private Rate measure(Backend backend, int tokens, java.util.function.DoubleSupplier llamaRun, java.util.function.LongSupplier run) {
        WarmUp warm = WarmUp.run(warmup, backend, run::getAsLong);
        double backendWarmUp = WarmUp.backendWarmUpMillis(backend);
        double[] rates = new double[repetitions];
        double[] llamaRates = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            if (llamaRun != null && i > 0) {
                // llama-bench ran in between and left our threads parked and the caches its own; it warms up with
                // one untimed run before its timed one, so we do the same (pp128 read ~10 % low without it).
                run.getAsLong();
            }
            rates[i] = tokens / (run.getAsLong() / 1e9);
            if (llamaRun != null) {
                llamaRates[i] = llamaRun.getAsDouble();
            }
        }
        double lateWarmUp = WarmUp.backendWarmUpMillis(backend) - backendWarmUp;
        if (lateWarmUp > 100) { // e.g. TornadoVM compiling stage graphs adopted late in the warm-up runs
            spec.commandLine().getErr().printf("vlm4j: %.0f ms of the backend's warm-up (plan builds, JIT) fell into the timed runs; "
                    + "raise --warmup%n", lateWarmUp);
        }
        double mean = java.util.Arrays.stream(rates).average().orElse(0);
        double var = java.util.Arrays.stream(rates).map(r -> (r - mean) * (r - mean)).sum() / Math.max(1, rates.length - 1);
        LlamaBenchPairs pairs = null;
        if (llamaRun != null) {
            double[] ratios = new double[repetitions];
            for (int i = 0; i < repetitions; i++) {
                ratios[i] = rates[i] / llamaRates[i];
            }
            pairs = new LlamaBenchPairs(llamaRates, VisionBenchmark.median(llamaRates), ratios, VisionBenchmark.median(ratios),
                    java.util.Arrays.stream(ratios).min().orElseThrow(), java.util.Arrays.stream(ratios).max().orElseThrow());
        }
        return new Rate(tokens, mean, Math.sqrt(var), VisionBenchmark.median(rates), warm.millis(), warm.runs(), rates, pairs);
    }

    private void print(Report r) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        } else {
            out.printf("model: %s (%.1f MiB, %.2fM parameters), backend: %s%n", r.model(), r.modelBytes() / 1048576.0,
                    r.parameters() / 1e6, r.backend());
            out.printf("%-8s %12s%n", "test", "t/s");
            String at = r.depth() > 0 ? " @ d" + r.depth() : ""; // llama-bench's label for a test at a depth
            if (r.prefill() != null) {
                out.printf("%-8s %8.1f ± %.1f   (median %.1f; warm-up, not counted: %s)%n", "pp" + r.prefill().tokens() + at,
                        r.prefill().tokensPerSecond(), r.prefill().stddev(), r.prefill().medianTokensPerSecond(),
                        warmUp(r.prefill()));
                printPairs(out, r.prefill());
            }
            if (r.decode() != null) {
                out.printf("%-8s %8.1f ± %.1f   (median %.1f; %.1f MiB of weights per token: %.1f GB/s", "tg" + r.decode().tokens() + at,
                        r.decode().tokensPerSecond(), r.decode().stddev(), r.decode().medianTokensPerSecond(),
                        r.decodeWeightBytesPerToken() / 1048576.0,
                        r.decodeGigabytesPerSecond());
                if (r.memoryReadGigabytesPerSecond() != null) {
                    out.printf(" = %.0f%% of measured read bandwidth %.1f GB/s", 100 * r.decodeFractionOfBandwidth(),
                            r.memoryReadGigabytesPerSecond());
                }
                out.printf("; warm-up, not counted: %s)%n", warmUp(r.decode()));
                printPairs(out, r.decode());
            }
            printStatistics(out, r.backendStatistics());
            printProfile(out, r.profileMillis());
        }
        out.flush();
    }

    private static void printPairs(PrintWriter out, Rate rate) {
        LlamaBenchPairs p = rate.llamaBench();
        if (p != null) {
            out.printf("         llama-bench, one run after each: median %.1f t/s; vlm4j / llama.cpp per pair: median %.3f (%.3f-%.3f)%n",
                    p.medianTokensPerSecond(), p.medianRatio(), p.minRatio(), p.maxRatio());
        }
    }

    private static String warmUp(Rate rate) {
        return new WarmUp(rate.warmupRuns(), rate.warmupMillis()).toString();
    }

    private static void printStatistics(PrintWriter out, BackendStatistics statistics) {
        if (statistics != null) {
            out.println("backend counters (all runs, warm-up included): " + statistics.summary());
        }
    }
}
