package dev.vlm4j.language.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja), as stored in {@code tokenizer.chat_template}, rendered with Jinjava the
 * way {@code transformers}' {@code apply_chat_template} does (trim_blocks, lstrip_blocks, {@code raise_exception}).
 *
 * <p>Images go into the message content as a marker string, which is split out again after rendering; templates
 * that read typed content ({@code message['content'][0]['type']}) get a list of parts with the marker in a text part,
 * as llama.cpp does. A leading BOS and trailing EOS in the rendered text are dropped because the tokenizer adds
 * them itself (llama.cpp does the same to avoid doubling them).
 */
public final class JinjaChatFormat implements ChatFormat {
    /** Where an image goes in the rendered text; the same marker llama.cpp's mtmd uses. */
    public static final String IMAGE_MARKER = "<__media__>";

    private final String name;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final boolean typedContent;
    private final Jinjava jinjava;

    public JinjaChatFormat(String name, String template, String bosToken, String eosToken) {
        this.name = name;
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.typedContent = template.contains("['type']") || template.contains(".type");
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        // Fail now, not on the first prompt, when the template does not even parse.
        render(List.of(ChatMessage.text(Role.USER, "hi")), true);
    }

    @Override
    public String name() {
        return name;
    }

    public String template() {
        return template;
    }

    @Override
    public List<String> stopStrings() {
        return eosToken.isEmpty() ? List.of() : List.of(eosToken);
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> jinjaMessages = new ArrayList<>();
        List<Integer> imageOrder = new ArrayList<>();
        for (ChatMessage m : messages) {
            StringBuilder text = new StringBuilder();
            List<Map<String, Object>> typed = new ArrayList<>();
            for (ChatMessage.Part p : m.parts()) {
                String piece = switch (p) {
                    case ChatMessage.Part.Text t -> t.text();
                    case ChatMessage.Part.Image img -> {
                        imageOrder.add(img.index());
                        yield IMAGE_MARKER;
                    }
                };
                text.append(piece);
                typed.add(Map.of("type", "text", "text", piece));
            }
            Map<String, Object> jm = new HashMap<>();
            jm.put("role", m.role().templateName());
            jm.put("content", typedContent ? typed : text.toString());
            jinjaMessages.add(jm);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", jinjaMessages);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);

        RenderResult result;
        try {
            result = jinjava.renderForResult(template, context);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template '" + name + "' failed to render: " + e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                    if (t instanceof ChatTemplateException refused) throw refused;
                }
                throw new ChatTemplateException("chat template '" + name + "' failed to render: " + error.getMessage()
                        + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""));
            }
        }
        String out = result.getOutput();
        if (!bosToken.isEmpty() && out.startsWith(bosToken)) out = out.substring(bosToken.length());
        if (!eosToken.isEmpty() && !addGenerationPrompt && out.endsWith(eosToken)) {
            out = out.substring(0, out.length() - eosToken.length());
        }
        return split(out, imageOrder);
    }

    private RenderedPrompt split(String rendered, List<Integer> imageOrder) {
        RenderedPrompt.Builder b = new RenderedPrompt.Builder();
        int from = 0;
        int next = 0;
        for (int at = rendered.indexOf(IMAGE_MARKER); at >= 0; at = rendered.indexOf(IMAGE_MARKER, from)) {
            if (next >= imageOrder.size()) {
                throw new ChatTemplateException("chat template '" + name + "' placed more images than the prompt has");
            }
            b.text(rendered.substring(from, at)).image(imageOrder.get(next++));
            from = at + IMAGE_MARKER.length();
        }
        if (next != imageOrder.size()) {
            throw new ChatTemplateException("chat template '" + name + "' dropped " + (imageOrder.size() - next)
                    + " of the prompt's " + imageOrder.size() + " images");
        }
        return b.text(rendered.substring(from)).build();
    }

    /** Functions HF templates call. Public because Jinjava binds them by name. */
    public static final class TemplateFunctions {
        private TemplateFunctions() {
        }

        public static String raiseException(String message) {
            throw new ChatTemplateException("the chat template refused the conversation: " + message);
        }
    }
}
