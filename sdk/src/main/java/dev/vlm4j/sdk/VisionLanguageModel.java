package dev.vlm4j.sdk;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.BackendStatistics;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.language.chat.BuiltinChatFormat;
import dev.vlm4j.language.chat.ChatFormat;
import dev.vlm4j.language.chat.ChatFormats;
import dev.vlm4j.language.chat.ChatMessage;
import dev.vlm4j.language.chat.RenderedPrompt;
import dev.vlm4j.language.generate.Completion;
import dev.vlm4j.language.generate.GenerationRequest;
import dev.vlm4j.language.generate.Generator;
import dev.vlm4j.language.model.TextModel;
import dev.vlm4j.language.tokenizer.Tokenizer;
import dev.vlm4j.sdk.hub.ModelResolver;
import dev.vlm4j.sdk.hub.ModelSource;
import dev.vlm4j.vision.encoder.ImageEmbedding;
import dev.vlm4j.vision.encoder.ProjectorType;
import dev.vlm4j.vision.encoder.VisionEncoder;
import dev.vlm4j.vision.image.PixelTensor;
import dev.vlm4j.vision.image.PreprocessMode;
import dev.vlm4j.vision.image.PreprocessedImage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A loaded vision-language model: a text GGUF, its vision projector ("mmproj") GGUF, and the backend they compute
 * on. Load once, then ask as many questions as you like, from as many threads as you like:
 *
 * <pre>{@code
 * try (var model = VisionLanguageModel.builder().model(textGguf).projector(mmprojGguf).build()) {
 *     String caption = model.prompt().image(photo).text("Describe the image.").generate().text();
 * }
 * }</pre>
 *
 * <p>Each {@link #prompt()} and {@link #chat()} has its own KV cache; all of them share the weights, the backend and
 * an LRU cache of image embeddings. Backend work is serialised through a fair lock, one token step at a time, so
 * concurrent sessions interleave instead of queueing behind a whole answer.
 */
public final class VisionLanguageModel implements AutoCloseable {
    private final GgufFile textFile;
    private final GgufFile projectorFile;
    private final dev.vlm4j.kernels.Backend backend;
    private final TextModel textModel;
    private final Tokenizer tokenizer;
    private final VisionEncoder encoder;
    private final ChatFormat chatFormat;
    private final int contextLength;
    private final ImagePreparation images;
    private final ReentrantLock computeLock = new ReentrantLock(true);
    private final ImageEmbeddingCache imageCache;
    private final AtomicLong imagesEncoded = new AtomicLong();
    private volatile boolean closed;

    private VisionLanguageModel(Builder b, Path textPath, Path projectorPath) {
        GgufFile text = null;
        GgufFile proj = null;
        dev.vlm4j.kernels.Backend be = null;
        try {
            text = open(textPath, "text model");
            proj = projectorPath == null ? null : open(projectorPath, "projector");
            be = Backends.create(new BackendOptions(b.backend.kind(), b.threads, b.device));
            this.textModel = TextModel.load(text, be);
            this.tokenizer = Tokenizer.fromGguf(text);
            this.encoder = proj == null ? null : VisionEncoder.load(proj, be);
            if (encoder != null) {
                encoder.requireOutputWidth(textModel.config().embeddingLength(), textPath.toString());
            }
            BuiltinChatFormat fallback = encoder == null ? BuiltinChatFormat.CHATML : BuiltinChatFormat.LLAVA_1_5;
            this.chatFormat = ChatFormats.select(text.metadata(), b.chatTemplate, fallback);
            int fileContext = textModel.config().contextLength();
            this.contextLength = b.contextLength > 0 ? b.contextLength : Math.min(fileContext, DEFAULT_CONTEXT);
            this.images = encoder == null ? null : new ImagePreparation(encoder.config(), b.preprocessMode, b.maxImagePixels);
            this.imageCache = new ImageEmbeddingCache(b.imageCacheSize);
        } catch (Vlm4jException e) {
            closeQuietly(be, text, proj);
            if (e instanceof ModelLoadException) throw e;
            throw new ModelLoadException("cannot load " + textPath + (projectorPath == null ? "" : " + " + projectorPath)
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(be, text, proj);
            throw e;
        }
        this.textFile = text;
        this.projectorFile = proj;
        this.backend = be;
    }

    /** Contexts above this are opt-in: the KV cache is F32 and grows with the context. */
    static final int DEFAULT_CONTEXT = 4096;

    private static GgufFile open(Path path, String role) {
        try {
            return GgufFile.open(path);
        } catch (Vlm4jException e) {
            throw new ModelLoadException("cannot open the " + role + " " + path + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable... things) {
        for (AutoCloseable c : things) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception ignored) {
                // already failing; the original error matters
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A one-shot prompt: system text, images and text in order, then generate. */
    public Prompt prompt() {
        ensureOpen();
        return new Prompt(this, null);
    }

    /** A conversation that keeps its history and KV cache between turns. Close it when done. */
    public ChatSession chat() {
        ensureOpen();
        return new ChatSession(this);
    }

    /** What was loaded, for logs and the CLI. */
    public ModelInfo info() {
        return new ModelInfo(textFile.path(), Optional.ofNullable(projectorFile).map(GgufFile::path),
                textModel.config().architecture().toString(), encoder == null ? null : encoder.projectorType().toString(),
                backend.name(), contextLength, chatFormat.name(), encoder == null ? 0 : encoder.outputTokens());
    }

    /** How many images went through the encoder since loading (cache hits excluded). */
    public long imagesEncoded() {
        return imagesEncoded.get();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public boolean hasVision() {
        return encoder != null;
    }

    int contextLength() {
        return contextLength;
    }

    KvSequence newSequence() {
        computeLock.lock();
        try {
            return new KvSequence(textModel.newSession(contextLength));
        } finally {
            computeLock.unlock();
        }
    }

    /**
     * Renders {@code messages}, brings {@code kv} to that prompt (reusing its cached prefix), and generates the
     * assistant's answer.
     */
    GenerationResult respond(KvSequence kv, List<ChatMessage> messages, List<ImageInput> imageInputs,
                             GenerationRequest request) {
        ensureOpen();
        RenderedPrompt rendered = chatFormat.render(messages, true);
        double warmUpBefore = backendWarmUpMillis();
        long t0 = System.nanoTime();
        int encodedBefore = (int) imagesEncoded.get();
        List<KvSequence.Chunk> chunks = new ArrayList<>();
        boolean first = true;
        for (RenderedPrompt.Segment segment : rendered.segments()) {
            switch (segment) {
                case RenderedPrompt.Segment.Text t -> chunks.add(new KvSequence.Chunk.Tokens(tokenizer.encode(t.text(), first, true)));
                case RenderedPrompt.Segment.Image img -> {
                    if (first && tokenizer.addBos()) chunks.add(new KvSequence.Chunk.Tokens(new int[]{tokenizer.bosId()}));
                    addImage(chunks, imageInputs.get(img.index()));
                }
            }
            first = false;
        }
        double imageMillis = (System.nanoTime() - t0) / 1e6;
        return run(kv, chunks, request, imageMillis, (int) imagesEncoded.get() - encodedBefore, warmUpBefore);
    }

    /**
     * Plain text completion: {@code text} is tokenized as it is (BOS as the vocabulary says, special tokens
     * recognised), no chat template, and the model continues it. What {@code ./vlm4j generate} does without
     * {@code --chat}, and what llama.cpp's reference runs do.
     */
    public GenerationResult complete(String text, GenerationOptions options) {
        return complete(text, options, piece -> { });
    }

    /** As {@link #complete(String, GenerationOptions)}, streaming text pieces to {@code onText}. */
    public GenerationResult complete(String text, GenerationOptions options, java.util.function.Consumer<String> onText) {
        ensureOpen();
        long deadline = options.timeout() == null ? Long.MAX_VALUE : System.nanoTime() + options.timeout().toNanos();
        GenerationRequest request = new GenerationRequest(options.maxTokens(), options.sampling(), options.stops(),
                deadline, () -> false, onText);
        double warmUpBefore = backendWarmUpMillis();
        try (KvSequence kv = newSequence()) {
            return run(kv, List.of(new KvSequence.Chunk.Tokens(tokenizer.encode(text, true, true))), request, 0, 0, warmUpBefore);
        }
    }

    private GenerationResult run(KvSequence kv, List<KvSequence.Chunk> chunks, GenerationRequest request,
                                 double imageMillis, int imagesEncodedNow, double warmUpBefore) {
        int[] promptIds = chunks.stream()
                .flatMapToInt(c -> c instanceof KvSequence.Chunk.Tokens t ? java.util.Arrays.stream(t.ids()) : java.util.stream.IntStream.empty())
                .toArray();
        long t1 = System.nanoTime();
        int computed;
        computeLock.lock();
        try {
            computed = kv.sync(chunks);
        } finally {
            computeLock.unlock();
        }
        long t2 = System.nanoTime();
        Completion completion = Generator.run(kv.session(), tokenizer, request, promptIds, computeLock);
        kv.recordGenerated(completion.tokens());
        List<Integer> tokens = java.util.Arrays.stream(completion.tokens()).boxed().toList();
        Timings timings = new Timings(imageMillis, imagesEncodedNow, computed, (t2 - t1) / 1e6,
                tokens.size(), completion.decodeNanos() / 1e6, backendWarmUpMillis() - warmUpBefore);
        return new GenerationResult(completion.text(), tokens, java.util.Arrays.stream(promptIds).boxed().toList(),
                completion.finishReason(), timings);
    }

    /**
     * Adds an image's embedding rows, wrapped in the text the projector's model expects around them. LLaVA: the rows
     * alone. Idefics3 (SmolVLM), as its HF processor lays it out: each tile as
     * {@code <fake_token_around_image><row_R_col_C>} + rows, a newline after each tile row, then
     * {@code \n<fake_token_around_image><global-img>} + the whole image's rows + {@code <fake_token_around_image>}.
     */
    private void addImage(List<KvSequence.Chunk> chunks, ImageInput input) {
        if (encoder == null) {
            throw new ModelLoadException("the prompt has an image but " + textFile.path().getFileName()
                    + " was loaded without a projector (mmproj): pass one to builder().projector(...)");
        }
        ImagePreparation.Prepared prepared = images.prepare(input);
        PreprocessedImage image = prepared.image();
        boolean idefics3 = encoder.projectorType() == ProjectorType.IDEFICS3;
        if (idefics3) {
            for (int r = 0; r < image.rows(); r++) {
                for (int c = 0; c < image.cols(); c++) {
                    text(chunks, "<fake_token_around_image><row_" + (r + 1) + "_col_" + (c + 1) + ">");
                    chunks.add(embed(prepared.key() + "#" + r + "," + c, image.tile(r, c)));
                }
                text(chunks, "\n");
            }
            text(chunks, (image.tiled() ? "\n" : "") + "<fake_token_around_image><global-img>");
        }
        chunks.add(embed(prepared.key(), image.global()));
        if (idefics3) text(chunks, "<fake_token_around_image>");
    }

    private void text(List<KvSequence.Chunk> chunks, String text) {
        chunks.add(new KvSequence.Chunk.Tokens(tokenizer.encode(text, false, true)));
    }

    /** The embedding of one encoder input, from the cache or the encoder. */
    private KvSequence.Chunk embed(String key, PixelTensor pixels) {
        Matrix rows;
        computeLock.lock();
        try {
            rows = imageCache.get(key, () -> {
                ImageEmbedding emb = encoder.encode(pixels);
                imagesEncoded.incrementAndGet();
                return emb.matrix(); // stays on the backend: no round trip
            });
        } finally {
            computeLock.unlock();
        }
        return new KvSequence.Chunk.Image(key, rows);
    }

    /** The backend's warm-up so far (plan builds, uploads, JIT), 0 where it keeps no counters. */
    private double backendWarmUpMillis() {
        return backend.statistics().map(BackendStatistics::warmUpMillis).orElse(0.0);
    }

    List<String> formatStopStrings() {
        return chatFormat.stopStrings();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the model is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        computeLock.lock();
        try {
            closed = true;
            closeQuietly(backend, textFile, projectorFile);
        } finally {
            computeLock.unlock();
        }
    }

    /** What {@link #builder()} loaded. */
    public record ModelInfo(Path textModel, Optional<Path> projector, String architecture, String projectorType,
                            String backend, int contextLength, String chatFormat, int imageTokens) {
    }

    /** Options for loading a model; {@link #model} is the only required one. */
    public static final class Builder {
        private String modelSource;
        private String projectorSource;
        private Backend backend = Backend.AUTO;
        private String device;
        private int threads;
        private int contextLength;
        private String chatTemplate;
        private int imageCacheSize = 32;
        private long maxImagePixels = ImagePreparation.DEFAULT_MAX_PIXELS;
        private PreprocessMode preprocessMode = PreprocessMode.LLAMA_CPP;
        private ModelResolver.Options hub = ModelResolver.Options.fromEnvironment(System.getenv());

        private Builder() {
        }

        /** The text model: a local {@code .gguf} file. */
        public Builder model(Path path) {
            this.modelSource = path.toString();
            return this;
        }

        /** The text model: a local path or {@code hf:owner/repo[:file|:QUANT][@revision]}. */
        public Builder model(String source) {
            this.modelSource = Objects.requireNonNull(source, "source");
            return this;
        }

        /** The vision projector (mmproj) file; without one, {@code hf:} repositories are searched for it. */
        public Builder projector(Path path) {
            this.projectorSource = path.toString();
            return this;
        }

        public Builder projector(String source) {
            this.projectorSource = source;
            return this;
        }

        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** The device of the backend: an index or part of its name ({@code ./vlm4j devices} lists them). */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /** CPU threads; 0 (the default) uses every core. */
        public Builder threads(int threads) {
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            this.threads = threads;
            return this;
        }

        /** Context length in positions (text tokens plus image rows); default: the model's, at most 4096. */
        public Builder contextLength(int contextLength) {
            if (contextLength < 0) throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
            this.contextLength = contextLength;
            return this;
        }

        /** A built-in chat format name ({@code llava-1.5}, {@code chatml}, {@code llama3}, {@code smolvlm}) or a Jinja file. */
        public Builder chatTemplate(String nameOrFile) {
            this.chatTemplate = nameOrFile;
            return this;
        }

        /** How many image embeddings to keep for reuse (0 disables the cache). */
        public Builder imageCacheSize(int entries) {
            if (entries < 0) throw new IllegalArgumentException("image cache size must be >= 0, got " + entries);
            this.imageCacheSize = entries;
            return this;
        }

        /** The largest image, in pixels, that is decoded at all (a guard against decompression bombs). */
        public Builder maxImagePixels(long pixels) {
            if (pixels <= 0) throw new IllegalArgumentException("max image pixels must be > 0, got " + pixels);
            this.maxImagePixels = pixels;
            return this;
        }

        /**
         * How images are resized and normalised: {@code LLAMA_CPP} (default; the same files give llama.cpp's answers)
         * or {@code HF} (the Hugging Face processor: centred padding, bicubic resize).
         */
        public Builder preprocessing(PreprocessMode mode) {
            this.preprocessMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Where {@code hf:} sources are cached and whether the network may be used. */
        public Builder hub(ModelResolver.Options options) {
            this.hub = Objects.requireNonNull(options, "options");
            return this;
        }

        public VisionLanguageModel build() {
            if (modelSource == null) throw new IllegalStateException("builder().model(...) is required");
            ModelResolver resolver = new ModelResolver(hub);
            ModelResolver.ResolvedModel resolved = resolver.resolve(ModelSource.parse(modelSource),
                    Optional.ofNullable(projectorSource).map(ModelSource::parse));
            return new VisionLanguageModel(this, resolved.model(), resolved.projector().orElse(null));
        }
    }
}
