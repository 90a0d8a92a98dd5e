package dev.vlm4j.language.chat;

import dev.vlm4j.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Chooses the chat format for a model: an explicit override, the file's own template, or a built-in fallback. */
public final class ChatFormats {
    public static final String TEMPLATE_KEY = "tokenizer.chat_template";

    private ChatFormats() {
    }

    /**
     * The format for the text model described by {@code metadata}.
     *
     * @param override  {@code null}, a built-in name ({@code llava-1.5}, {@code chatml}, {@code llama3},
     *                  {@code smolvlm}) or the path of a Jinja template file
     * @param fallback  the built-in format when the file carries no template (llava-1.5 for a LLaVA pair, as
     *                  llama.cpp's llava CLI; chatml for a text model, as llama.cpp's chat mode)
     */
    public static ChatFormat select(GgufMetadata metadata, String override, BuiltinChatFormat fallback) {
        String bos = tokenText(metadata, "tokenizer.ggml.bos_token_id");
        String eos = tokenText(metadata, "tokenizer.ggml.eos_token_id");
        if (override != null && !override.isBlank()) return fromOverride(override, bos, eos);
        Optional<String> template = metadata.optString(TEMPLATE_KEY);
        if (template.isEmpty() || template.get().isBlank()) return fallback;
        try {
            return new JinjaChatFormat(metadata.file().getFileName() + " " + TEMPLATE_KEY, template.get(), bos, eos);
        } catch (ChatTemplateException e) {
            // A template Jinjava cannot render: use the built-in format it evidently is, like llama.cpp's detection.
            return detect(template.get()).orElseThrow(() -> new ChatTemplateException(e.getMessage()
                    + "; pass --chat-template llava-1.5|chatml|llama3|smolvlm or a template file", e));
        }
    }

    private static ChatFormat fromOverride(String override, String bos, String eos) {
        Path file = Path.of(override);
        if (Files.isRegularFile(file)) {
            try {
                return new JinjaChatFormat(file.toString(), Files.readString(file, StandardCharsets.UTF_8), bos, eos);
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read chat template file " + file + ": " + e.getMessage(), e);
            }
        }
        return BuiltinChatFormat.byName(override);
    }

    /** The built-in format a template is an instance of, judged by its distinctive markers. */
    public static Optional<BuiltinChatFormat> detect(String template) {
        if (template.contains("<end_of_utterance>")) return Optional.of(BuiltinChatFormat.SMOLVLM);
        if (template.contains("<|im_start|>")) return Optional.of(BuiltinChatFormat.CHATML);
        if (template.contains("<|start_header_id|>")) return Optional.of(BuiltinChatFormat.LLAMA3);
        if (template.contains("USER:") && template.contains("ASSISTANT:")) return Optional.of(BuiltinChatFormat.LLAVA_1_5);
        return Optional.empty();
    }

    private static String tokenText(GgufMetadata metadata, String idKey) {
        var id = metadata.optLong(idKey);
        if (id.isEmpty() || !metadata.contains("tokenizer.ggml.tokens")) return "";
        List<String> tokens = metadata.stringArray("tokenizer.ggml.tokens");
        long i = id.getAsLong();
        return i >= 0 && i < tokens.size() ? tokens.get((int) i) : "";
    }
}
