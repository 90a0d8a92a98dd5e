package dev.vlm4j.language.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation laid out by a chat format: text segments and image slots in order. Each text segment is tokenized
 * on its own (with BOS only on the first, when the vocabulary adds one), which is how llama.cpp's llava CLI feeds
 * the text around an image.
 */
public record RenderedPrompt(List<Segment> segments) {
    public sealed interface Segment {
        record Text(String text) implements Segment {
        }

        record Image(int index) implements Segment {
        }
    }

    public RenderedPrompt {
        segments = List.copyOf(segments);
    }

    /** The prompt as one string with {@code marker} where the images go, for display and tests. */
    public String toDisplayString(String marker) {
        StringBuilder sb = new StringBuilder();
        for (Segment s : segments) {
            switch (s) {
                case Segment.Text t -> sb.append(t.text());
                case Segment.Image i -> sb.append(marker);
            }
        }
        return sb.toString();
    }

    /** Builds segments, merging adjacent text and dropping empty text. */
    static final class Builder {
        private final List<Segment> segments = new ArrayList<>();
        private final StringBuilder text = new StringBuilder();

        Builder text(String s) {
            text.append(s);
            return this;
        }

        Builder image(int index) {
            flush();
            segments.add(new Segment.Image(index));
            return this;
        }

        RenderedPrompt build() {
            flush();
            return new RenderedPrompt(segments);
        }

        private void flush() {
            if (!text.isEmpty()) segments.add(new Segment.Text(text.toString()));
            text.setLength(0);
        }
    }
}
