package dev.vlm4j.cli;

import dev.vlm4j.sdk.Backend;
import dev.vlm4j.sdk.ModelLoadException;
import dev.vlm4j.sdk.VisionLanguageModel;
import dev.vlm4j.sdk.hub.ModelResolver;
import dev.vlm4j.sdk.hub.TerminalProgressBar;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The flags that say which model to load and where it runs; shared by caption, ask, chat, batch and generate. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "M",
            description = "Text model: FILE.gguf or hf:owner/repo[:file|:QUANT] (default: " + ModelResolver.DEFAULT_MODEL + ")")
    String model;

    @Option(names = "--mmproj", paramLabel = "P",
            description = "Vision projector: FILE.gguf or hf:...; found automatically in an hf: repository")
    String mmproj;

    @Option(names = "--backend", defaultValue = "AUTO", description = "AUTO, CPU, OPENCL, TORNADOVM (default ${DEFAULT-VALUE})")
    Backend backend;

    @Option(names = "--device", description = "Device index or name substring (see ./vlm4j devices)")
    String device;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "CPU threads (default: all cores)")
    int threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "Context length (default: the model's, at most 4096)")
    int contextLength;

    @Option(names = "--chat-template", paramLabel = "NAME|FILE",
            description = "Override the chat template: llava-1.5, chatml, llama3, smolvlm, or a Jinja file")
    String chatTemplate;

    @Option(names = "--offline", description = "Use only files already in the model cache")
    boolean offline;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Model cache for hf: sources (default $VLM4J_CACHE or ~/.cache/vlm4j)")
    java.nio.file.Path cacheDir;

    /** Loads the model, with a progress bar for downloads; {@code withProjector=false} loads the text model only. */
    VisionLanguageModel load(PrintWriter log, boolean withProjector) {
        String source = model != null ? model : ModelResolver.DEFAULT_MODEL;
        ModelResolver.Options env = ModelResolver.Options.fromEnvironment(System.getenv());
        ModelResolver.Options hub = env.withOffline(offline || env.offline()).withProgress(TerminalProgressBar.forStderr());
        if (cacheDir != null) hub = hub.withCacheDir(cacheDir);
        VisionLanguageModel.Builder b = VisionLanguageModel.builder().model(source).backend(backend).device(device)
                .threads(threads).contextLength(contextLength).chatTemplate(chatTemplate).hub(hub);
        if (withProjector && mmproj != null) b.projector(mmproj);
        long t0 = System.nanoTime();
        VisionLanguageModel loaded;
        try {
            loaded = b.build();
        } catch (ModelLoadException e) {
            if (model != null) throw e;
            throw new ModelLoadException("no --model given, and the default model " + ModelResolver.DEFAULT_MODEL
                    + " is not available: " + e.getMessage()
                    + "\nPass local files instead: --model TEXT.gguf --mmproj MMPROJ.gguf", e);
        }
        if (withProjector && !loaded.hasVision()) {
            loaded.close();
            throw new ModelLoadException("no vision projector for " + source + ": pass --mmproj MMPROJ.gguf");
        }
        var info = loaded.info();
        log.printf("vlm4j: loaded %s%s on %s in %d ms (context %d, chat format %s)%n", info.textModel().getFileName(),
                info.projector().map(p -> " + " + p.getFileName()).orElse(""), info.backend(),
                (System.nanoTime() - t0) / 1_000_000, info.contextLength(), info.chatFormat());
        log.flush();
        return loaded;
    }
}
