package dev.vlm4j.sdk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.language.chat.ChatMessage;
import dev.vlm4j.language.chat.Role;
import dev.vlm4j.language.generate.GenerationRequest;
import dev.vlm4j.language.sampling.SamplingParams;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One request to the model, built fluently: optional system text, then images and text in the order they should
 * appear, then generation settings, then {@link #generate()}, {@link #stream} or {@link #json}. Defaults: greedy
 * decoding (temperature 0), 256 tokens at most, no timeout.
 *
 * <p>A prompt is used once and by one thread. From {@link ChatSession#prompt()} it becomes the next turn of that
 * conversation.
 */
public final class Prompt {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final VisionLanguageModel model;
    private final ChatSession chat;
    private String system;
    private final List<ChatMessage.Part> parts = new ArrayList<>();
    private final List<ImageInput> images = new ArrayList<>();
    private int maxTokens = 256;
    private SamplingParams sampling = SamplingParams.GREEDY;
    private final List<String> stops = new ArrayList<>();
    private Duration timeout;
    private CancellationToken cancellation;
    private boolean used;

    Prompt(VisionLanguageModel model, ChatSession chat) {
        this.model = model;
        this.chat = chat;
    }

    /** System instructions (in a chat, only the first turn's count). */
    public Prompt system(String text) {
        this.system = Objects.requireNonNull(text, "text");
        return this;
    }

    public Prompt image(Path file) {
        return image(ImageInput.of(file));
    }

    /** Encoded image bytes (PNG, JPEG, GIF, BMP, TIFF, ...). */
    public Prompt image(byte[] encoded) {
        return image(ImageInput.of(encoded));
    }

    public Prompt image(BufferedImage image) {
        return image(ImageInput.of(image));
    }

    /** A {@code data:image/...;base64,...} URI. */
    public Prompt imageDataUri(String uri) {
        return image(ImageInput.ofDataUri(uri));
    }

    public Prompt image(ImageInput image) {
        Objects.requireNonNull(image, "image");
        parts.add(new ChatMessage.Part.Image(-1)); // numbered when the turn is placed in its conversation
        images.add(image);
        return this;
    }

    public Prompt text(String text) {
        parts.add(new ChatMessage.Part.Text(Objects.requireNonNull(text, "text")));
        return this;
    }

    public Prompt maxTokens(int n) {
        if (n < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + n);
        this.maxTokens = n;
        return this;
    }

    /** 0 is greedy (the default); above 0 samples with llama.cpp's default top-k 40, top-p 0.95, min-p 0.05. */
    public Prompt temperature(float t) {
        sampling = t > 0 && sampling.greedy()
                ? SamplingParams.defaults(sampling.seed()).withTemperature(t).withRepeatPenalty(sampling.repeatPenalty(), sampling.repeatLastN())
                : sampling.withTemperature(t);
        return this;
    }

    public Prompt topK(int k) {
        sampling = sampling.withTopK(k);
        return this;
    }

    public Prompt topP(float p) {
        sampling = sampling.withTopP(p);
        return this;
    }

    public Prompt minP(float p) {
        sampling = sampling.withMinP(p);
        return this;
    }

    public Prompt repeatPenalty(float penalty) {
        sampling = sampling.withRepeatPenalty(penalty, sampling.repeatLastN());
        return this;
    }

    public Prompt seed(long seed) {
        sampling = sampling.withSeed(seed);
        return this;
    }

    /** Everything about sampling at once. */
    public Prompt sampling(SamplingParams params) {
        this.sampling = Objects.requireNonNull(params, "params");
        return this;
    }

    /** Applies all of {@code options} (token limit, sampling, stop strings, timeout) at once. */
    public Prompt options(GenerationOptions options) {
        this.maxTokens = options.maxTokens();
        this.sampling = options.sampling();
        this.stops.clear();
        this.stops.addAll(options.stops());
        this.timeout = options.timeout();
        return this;
    }

    /** Generation ends before this text; it is not part of the answer. */
    public Prompt stop(String... texts) {
        for (String s : texts) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
            stops.add(s);
        }
        return this;
    }

    /** Generation ends with {@code TIMEOUT} once this much time has passed (image encoding and prefill included). */
    public Prompt timeout(Duration timeout) {
        if (timeout.isNegative()) throw new IllegalArgumentException("timeout must not be negative");
        this.timeout = timeout;
        return this;
    }

    /** Generation ends with {@code CANCELLED} within one token of {@link CancellationToken#cancel()}. */
    public Prompt cancellation(CancellationToken token) {
        this.cancellation = token;
        return this;
    }

    public GenerationResult generate() {
        return stream(piece -> { });
    }

    /** Generates, handing each piece of text to {@code onText} as soon as it is complete UTF-8. */
    public GenerationResult stream(Consumer<String> onText) {
        Objects.requireNonNull(onText, "onText");
        if (used) throw new IllegalStateException("a Prompt generates once; start another with prompt()");
        used = true;
        if (parts.isEmpty()) throw new IllegalArgumentException("the prompt has neither text nor images");
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        CancellationToken token = cancellation;
        List<String> allStops = new ArrayList<>(stops);
        allStops.addAll(model.formatStopStrings());
        GenerationRequest request = new GenerationRequest(maxTokens, sampling, allStops,
                deadline, () -> token != null && token.isCancelled(), onText);
        if (chat != null) return chat.turn(system, parts, images, request);
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) messages.add(ChatMessage.text(Role.SYSTEM, system));
        messages.add(new ChatMessage(Role.USER, numbered(parts, 0)));
        try (KvSequence kv = model.newSequence()) {
            return model.respond(kv, messages, images, request);
        }
    }

    /**
     * Generates and parses the answer as JSON into {@code type} (a record or bean) with Jackson; code fences and
     * text around the JSON value are ignored. Throws {@link JsonOutputException} when it does not parse.
     */
    public <T> T json(Class<T> type) {
        GenerationResult result = generate();
        String answer = result.text();
        String json = extractJson(answer);
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new JsonOutputException(type, answer, e);
        }
    }

    /** The outermost JSON object or array in {@code text}, or the text itself when it has none. */
    static String extractJson(String text) {
        int start = -1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{' || c == '[') {
                start = i;
                break;
            }
        }
        if (start < 0) return text.strip();
        char open = text.charAt(start);
        char close = open == '{' ? '}' : ']';
        int end = text.lastIndexOf(close);
        return end > start ? text.substring(start, end + 1) : text.substring(start);
    }

    /** {@code parts} with image slots numbered from {@code firstIndex}. */
    static List<ChatMessage.Part> numbered(List<ChatMessage.Part> parts, int firstIndex) {
        List<ChatMessage.Part> out = new ArrayList<>();
        int next = firstIndex;
        for (ChatMessage.Part p : parts) {
            out.add(p instanceof ChatMessage.Part.Image ? new ChatMessage.Part.Image(next++) : p);
        }
        return out;
    }
}
