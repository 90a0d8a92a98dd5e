package dev.vlm4j.language.chat;

import java.util.List;
import java.util.Locale;

/** Chat formats built into vlm4j, for model files that carry no {@code tokenizer.chat_template}. */
public enum BuiltinChatFormat implements ChatFormat {
    /**
     * LLaVA-1.5 / Vicuna v1.1, laid out exactly as llama.cpp's llava CLI does: the system line, {@code "\nUSER:"},
     * the images, the question, {@code "\nASSISTANT:"}. The text after an image is its own segment, so an SPM
     * vocabulary gives it the leading-space token ({@code ▁Describe}) just as llava-cli's separate tokenize call.
     */
    LLAVA_1_5("llava-1.5", List.of("</s>", "USER:", "###")) {
        static final String DEFAULT_SYSTEM = "A chat between a curious human and an artificial intelligence assistant."
                + " The assistant gives helpful, detailed, and polite answers to the human's questions.";

        @Override
        void layout(List<ChatMessage> messages, boolean addGenerationPrompt, RenderedPrompt.Builder out) {
            boolean hasSystem = !messages.isEmpty() && messages.getFirst().role() == Role.SYSTEM;
            out.text(hasSystem ? messages.getFirst().text() : DEFAULT_SYSTEM).text("\n");
            for (ChatMessage m : messages) {
                switch (m.role()) {
                    case SYSTEM -> { }
                    case USER -> {
                        out.text("USER:");
                        boolean afterImage = false;
                        for (ChatMessage.Part p : m.parts()) {
                            switch (p) {
                                case ChatMessage.Part.Image img -> {
                                    out.image(img.index());
                                    afterImage = true;
                                }
                                case ChatMessage.Part.Text t -> out.text(afterImage ? t.text() : " " + t.text());
                            }
                        }
                        out.text("\n");
                    }
                    // The answer exactly as generated after "ASSISTANT:", so the next turn's prompt starts with the
                    // tokens already in the KV cache.
                    case ASSISTANT -> out.text("ASSISTANT:" + m.text() + "</s>");
                }
            }
            if (addGenerationPrompt) out.text("ASSISTANT:");
        }
    },

    /** ChatML ({@code <|im_start|>role ... <|im_end|>}), as Qwen2 and SmolLM use. */
    CHATML("chatml", List.of("<|im_end|>")) {
        @Override
        void layout(List<ChatMessage> messages, boolean addGenerationPrompt, RenderedPrompt.Builder out) {
            for (ChatMessage m : messages) {
                out.text("<|im_start|>" + m.role().templateName() + "\n");
                parts(m, out);
                out.text("<|im_end|>\n");
            }
            if (addGenerationPrompt) out.text("<|im_start|>assistant\n");
        }
    },

    /** Llama 3 headers; the BOS token comes from the tokenizer. */
    LLAMA3("llama3", List.of("<|eot_id|>")) {
        @Override
        void layout(List<ChatMessage> messages, boolean addGenerationPrompt, RenderedPrompt.Builder out) {
            for (ChatMessage m : messages) {
                out.text("<|start_header_id|>" + m.role().templateName() + "<|end_header_id|>\n\n");
                parts(m, out);
                out.text("<|eot_id|>");
            }
            if (addGenerationPrompt) out.text("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
    },

    /** SmolVLM / Idefics3: {@code User:<image>question<end_of_utterance>\nAssistant:}. */
    SMOLVLM("smolvlm", List.of("<end_of_utterance>")) {
        @Override
        void layout(List<ChatMessage> messages, boolean addGenerationPrompt, RenderedPrompt.Builder out) {
            out.text("<|im_start|>");
            for (ChatMessage m : messages) {
                String role = m.role().templateName();
                boolean startsWithImage = !m.parts().isEmpty() && m.parts().getFirst() instanceof ChatMessage.Part.Image;
                out.text(Character.toUpperCase(role.charAt(0)) + role.substring(1) + (startsWithImage ? ":" : ": "));
                parts(m, out);
                out.text("<end_of_utterance>\n");
            }
            if (addGenerationPrompt) out.text("Assistant:");
        }
    };

    private final String templateName;
    private final List<String> stopStrings;

    BuiltinChatFormat(String templateName, List<String> stopStrings) {
        this.templateName = templateName;
        this.stopStrings = stopStrings;
    }

    abstract void layout(List<ChatMessage> messages, boolean addGenerationPrompt, RenderedPrompt.Builder out);

    static void parts(ChatMessage m, RenderedPrompt.Builder out) {
        for (ChatMessage.Part p : m.parts()) {
            switch (p) {
                case ChatMessage.Part.Text t -> out.text(t.text());
                case ChatMessage.Part.Image img -> out.image(img.index());
            }
        }
    }

    /** The name {@code --chat-template} takes. */
    public String templateName() {
        return templateName;
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        RenderedPrompt.Builder out = new RenderedPrompt.Builder();
        layout(messages, addGenerationPrompt, out);
        return out.build();
    }

    @Override
    public List<String> stopStrings() {
        return stopStrings;
    }

    /** The format called {@code name} ({@code llava-1.5}/{@code vicuna}, {@code chatml}, {@code llama3}, {@code smolvlm}). */
    public static BuiltinChatFormat byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("vicuna") || n.equals("llava") || n.equals("llava-1.5")) return LLAVA_1_5;
        for (BuiltinChatFormat f : values()) {
            if (f.templateName.equals(n)) return f;
        }
        throw new ChatTemplateException("unknown chat template '" + name + "'; built-in ones are llava-1.5 (vicuna), "
                + "chatml, llama3, smolvlm, or pass a Jinja template file");
    }
}
