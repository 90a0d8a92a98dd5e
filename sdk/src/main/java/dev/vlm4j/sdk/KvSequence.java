package dev.vlm4j.sdk;

import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.language.model.DecoderInput;
import dev.vlm4j.language.model.DecoderSession;
import dev.vlm4j.language.model.PromptTooLongException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A decoder session plus a record of what each cached position holds, so a new prompt that starts like the cached
 * one (the next turn of a chat: same system text, same image, same earlier turns) only computes what is new.
 * Positions are compared one by one: a token id, or a row of a particular image's embedding.
 */
final class KvSequence implements AutoCloseable {
    /** What one position of the prompt holds. */
    sealed interface Position {
        record Token(int id) implements Position {
        }

        record ImageRow(String imageKey, int row) implements Position {
        }
    }

    /** A run of prompt positions to feed: token ids, or the rows of an image embedding. */
    sealed interface Chunk {
        int length();

        record Tokens(int[] ids) implements Chunk {
            @Override
            public int length() {
                return ids.length;
            }
        }

        /** The rows of an image embedding, on the backend the session runs on. */
        record Image(String key, Matrix rows) implements Chunk {
            @Override
            public int length() {
                return rows.rows();
            }
        }
    }

    private final DecoderSession session;
    private final List<Position> cached = new ArrayList<>();

    KvSequence(DecoderSession session) {
        this.session = session;
    }

    DecoderSession session() {
        return session;
    }

    /**
     * Makes the session hold exactly {@code prompt}, reusing the longest cached prefix; returns how many positions
     * were computed. At least one position is always computed so the session has logits for the last one. Throws
     * {@link PromptTooLongException} before any compute when the prompt does not fit.
     */
    int sync(List<Chunk> prompt) {
        List<Position> wanted = positions(prompt);
        if (wanted.isEmpty()) throw new IllegalArgumentException("the prompt is empty");
        if (wanted.size() > session.contextLength()) {
            throw new PromptTooLongException(wanted.size(), session.contextLength());
        }
        int common = 0;
        int limit = Math.min(cached.size(), wanted.size());
        while (common < limit && cached.get(common).equals(wanted.get(common))) common++;
        if (common == wanted.size()) common--; // recompute the last position to get its logits
        session.truncate(common);
        cached.subList(common, cached.size()).clear();

        List<DecoderInput> inputs = new ArrayList<>();
        int at = 0;
        for (Chunk chunk : prompt) {
            int start = Math.max(common - at, 0);
            if (start < chunk.length()) {
                inputs.add(switch (chunk) {
                    case Chunk.Tokens t -> new DecoderInput.Tokens(Arrays.copyOfRange(t.ids(), start, t.ids().length));
                    case Chunk.Image img -> new DecoderInput.Embeddings(img.rows().rows(start, img.length() - start));
                });
            }
            at += chunk.length();
        }
        session.append(inputs);
        cached.addAll(wanted.subList(common, wanted.size()));
        return wanted.size() - common;
    }

    /** Records generated tokens the session has fed since the last {@link #sync}. */
    void recordGenerated(int[] generated) {
        int fed = session.position() - cached.size();
        for (int i = 0; i < fed; i++) cached.add(new Position.Token(generated[i]));
    }

    int cachedPositions() {
        return cached.size();
    }

    void clear() {
        session.truncate(0);
        cached.clear();
    }

    private static List<Position> positions(List<Chunk> prompt) {
        List<Position> out = new ArrayList<>();
        for (Chunk c : prompt) {
            switch (c) {
                case Chunk.Tokens t -> {
                    for (int id : t.ids()) out.add(new Position.Token(id));
                }
                case Chunk.Image img -> {
                    for (int r = 0; r < img.length(); r++) out.add(new Position.ImageRow(img.key(), r));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        session.close();
    }
}
