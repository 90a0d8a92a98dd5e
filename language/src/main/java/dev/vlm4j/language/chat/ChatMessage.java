package dev.vlm4j.language.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** One turn of a conversation: a role and its parts, text and images in order. */
public record ChatMessage(Role role, List<Part> parts) {
    /** A piece of a message. Images are numbered in the order they appear in the whole conversation. */
    public sealed interface Part {
        record Text(String text) implements Part {
            public Text {
                Objects.requireNonNull(text, "text");
            }
        }

        /** An image slot; {@code index} counts images from the start of the conversation. */
        record Image(int index) implements Part {
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        parts = List.copyOf(parts);
    }

    public static ChatMessage text(Role role, String text) {
        return new ChatMessage(role, List.of(new Part.Text(text)));
    }

    /** The message's text parts joined, images left out. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Part.Text t) sb.append(t.text());
        }
        return sb.toString();
    }

    public List<Integer> imageIndexes() {
        List<Integer> out = new ArrayList<>();
        for (Part p : parts) {
            if (p instanceof Part.Image i) out.add(i.index());
        }
        return out;
    }
}
