package dev.vlm4j.sdk;

import dev.vlm4j.language.chat.ChatMessage;
import dev.vlm4j.language.chat.Role;
import dev.vlm4j.language.generate.GenerationRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation with the model. Every turn re-renders the whole history through the chat template, and the KV
 * cache keeps what the previous turns computed: a follow-up question about the same image neither re-encodes the
 * image nor recomputes the earlier turns, only the new text.
 *
 * <pre>{@code
 * try (ChatSession chat = model.chat()) {
 *     chat.prompt().image(photo).text("What is in the picture?").generate();
 *     chat.prompt().text("What colour is it?").generate();
 * }
 * }</pre>
 *
 * Not thread-safe: one conversation, one thread at a time (other sessions of the same model may run in parallel).
 */
public final class ChatSession implements AutoCloseable {
    private final VisionLanguageModel model;
    private final KvSequence kv;
    private final List<ChatMessage> history = new ArrayList<>();
    private final List<ImageInput> images = new ArrayList<>();

    ChatSession(VisionLanguageModel model) {
        this.model = model;
        this.kv = model.newSequence();
    }

    /** The next user turn. */
    public Prompt prompt() {
        return new Prompt(model, this);
    }

    /** Asks a text question (a shortcut for {@code prompt().text(question).generate()}). */
    public GenerationResult ask(String question) {
        return prompt().text(question).generate();
    }

    /** The conversation so far. */
    public List<ChatMessage> history() {
        return List.copyOf(history);
    }

    /** Positions held in this conversation's KV cache. */
    public int cachedPositions() {
        return kv.cachedPositions();
    }

    /** Forgets the conversation (history, images and KV cache). */
    public void clear() {
        history.clear();
        images.clear();
        kv.clear();
    }

    GenerationResult turn(String system, List<ChatMessage.Part> parts, List<ImageInput> newImages, GenerationRequest request) {
        if (system != null && history.isEmpty()) history.add(ChatMessage.text(Role.SYSTEM, system));
        ChatMessage user = new ChatMessage(Role.USER, Prompt.numbered(parts, images.size()));
        List<ChatMessage> messages = new ArrayList<>(history);
        messages.add(user);
        List<ImageInput> allImages = new ArrayList<>(images);
        allImages.addAll(newImages);
        GenerationResult result = model.respond(kv, messages, allImages, request);
        history.add(user);
        images.addAll(newImages);
        history.add(ChatMessage.text(Role.ASSISTANT, result.text()));
        return result;
    }

    @Override
    public void close() {
        kv.close();
    }
}
