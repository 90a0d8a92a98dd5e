package dev.vlm4j.language.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatFormatTest {
    private static final ChatMessage DESCRIBE = new ChatMessage(Role.USER, List.of(
            new ChatMessage.Part.Image(0), new ChatMessage.Part.Text("Describe the image.")));

    private static List<RenderedPrompt.Segment> segments(Object... items) {
        return java.util.Arrays.stream(items).map(o -> o instanceof Integer i
                ? (RenderedPrompt.Segment) new RenderedPrompt.Segment.Image(i)
                : new RenderedPrompt.Segment.Text((String) o)).toList();
    }

    @Test
    void llavaLayoutIsWhatLlavaCliFeeds() throws IOException {
        RenderedPrompt p = BuiltinChatFormat.LLAVA_1_5.render(List.of(DESCRIBE), true);
        String system = "A chat between a curious human and an artificial intelligence assistant. The assistant gives"
                + " helpful, detailed, and polite answers to the human's questions.\nUSER:";
        assertEquals(segments(system, 0, "Describe the image.\nASSISTANT:"), p.segments());

        Path ref = Fixtures.require("reference/llava/llava-text-f32-mmproj-f32.json");
        JsonNode run = new ObjectMapper().readTree(ref.toFile()).get("runs").get(0);
        assertEquals(run.get("system_prompt").asText(), system, "system part as llava-cli tokenizes it");
        assertEquals(run.get("user_prompt").asText(), "Describe the image.\nASSISTANT:", "user part as llava-cli tokenizes it");
    }

    @Test
    void llavaTextOnlyAndMultiTurn() {
        var conversation = List.of(
                ChatMessage.text(Role.SYSTEM, "Be brief."),
                DESCRIBE,
                ChatMessage.text(Role.ASSISTANT, " A dog."),
                ChatMessage.text(Role.USER, "What colour?"));
        assertEquals("Be brief.\nUSER:<img>Describe the image.\nASSISTANT: A dog.</s>USER: What colour?\nASSISTANT:",
                BuiltinChatFormat.LLAVA_1_5.render(conversation, true).toDisplayString("<img>"));
    }

    @Test
    void llama3JinjaTemplateFromTheFixtureRendersLikeTheBuiltin() throws IOException {
        Path config = Fixtures.require("tokenizer/llama3-tokenizer_config.json");
        String template = new ObjectMapper().readTree(config.toFile()).get("chat_template").asText();
        var jinja = new JinjaChatFormat("llama3", template, "<|begin_of_text|>", "<|end_of_text|>");
        var conversation = List.of(ChatMessage.text(Role.SYSTEM, " Be brief. "), ChatMessage.text(Role.USER, "Hi"));
        String expected = "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, jinja.render(conversation, true).toDisplayString(""), "BOS text is dropped: the tokenizer adds it");
        assertEquals(List.of(ChatMessage.text(Role.SYSTEM, "Be brief."), ChatMessage.text(Role.USER, "Hi")).size(), 2);
        assertEquals(BuiltinChatFormat.LLAMA3.render(List.of(ChatMessage.text(Role.SYSTEM, "Be brief."),
                ChatMessage.text(Role.USER, "Hi")), true).toDisplayString(""), expected);
    }

    static final String CHATML = """
            {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}\
            {{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}\
            {{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}""";

    @Test
    void chatmlJinjaPlacesImagesWhereTheMessageHasThem() {
        var jinja = new JinjaChatFormat("qwen2", CHATML, "", "<|im_end|>");
        RenderedPrompt p = jinja.render(List.of(new ChatMessage(Role.USER, List.of(
                new ChatMessage.Part.Text("Compare "), new ChatMessage.Part.Image(0),
                new ChatMessage.Part.Text(" and "), new ChatMessage.Part.Image(1)))), true);
        assertEquals(segments("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nCompare ",
                0, " and ", 1, "<|im_end|>\n<|im_start|>assistant\n"), p.segments());
        assertEquals(BuiltinChatFormat.CHATML.render(List.of(ChatMessage.text(Role.SYSTEM, "You are a helpful assistant."),
                        ChatMessage.text(Role.USER, "x")), true).toDisplayString(""),
                jinja.render(List.of(ChatMessage.text(Role.USER, "x")), true).toDisplayString(""));
    }

    /** The SmolVLM template reads typed content parts; images arrive as the marker inside a text part. */
    static final String SMOLVLM = "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
            + "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
            + "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
            + "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
            + "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

    @Test
    void typedContentTemplates() {
        var jinja = new JinjaChatFormat("smolvlm", SMOLVLM, "<|im_start|>", "<end_of_utterance>");
        RenderedPrompt p = jinja.render(List.of(new ChatMessage(Role.USER, List.of(
                new ChatMessage.Part.Text("What is in "), new ChatMessage.Part.Image(0), new ChatMessage.Part.Text("?")))), true);
        assertEquals(segments("User: What is in ", 0, "?<end_of_utterance>\nAssistant:"), p.segments(),
                "leading <|im_start|> equals the BOS text and is left to the tokenizer");
    }

    @Test
    void templateErrorsAreTyped() {
        String refusing = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{% for m in messages %}{{ m['content'] }}{% endfor %}";
        var jinja = new JinjaChatFormat("no-system", refusing, "", "");
        var e = assertThrows(ChatTemplateException.class,
                () -> jinja.render(List.of(ChatMessage.text(Role.SYSTEM, "x")), true));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());

        var dropping = new JinjaChatFormat("drops-images", "{% for m in messages %}{{ m['role'] }}{% endfor %}", "", "");
        assertThrows(ChatTemplateException.class, () -> dropping.render(List.of(DESCRIBE), true));
        assertThrows(ChatTemplateException.class, () -> new JinjaChatFormat("broken", "{% for m in messages %}", "", ""));
        assertThrows(ChatTemplateException.class, () -> BuiltinChatFormat.byName("nope"));
    }

    @Test
    void selectionOverrideTemplateAndFallback(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        var withTemplate = new dev.vlm4j.gguf.GgufMetadata(Path.of("m.gguf"), java.util.Map.of(
                ChatFormats.TEMPLATE_KEY, new dev.vlm4j.gguf.GgufValue.Str(CHATML)));
        var without = new dev.vlm4j.gguf.GgufMetadata(Path.of("m.gguf"), java.util.Map.of());
        assertTrue(ChatFormats.select(withTemplate, null, BuiltinChatFormat.LLAVA_1_5) instanceof JinjaChatFormat,
                "the file's template decides");
        assertEquals(BuiltinChatFormat.LLAVA_1_5, ChatFormats.select(without, null, BuiltinChatFormat.LLAVA_1_5),
                "no template: the caller's fallback");
        assertEquals(BuiltinChatFormat.LLAMA3, ChatFormats.select(withTemplate, "llama3", BuiltinChatFormat.LLAVA_1_5),
                "--chat-template NAME overrides the file");
        Path file = dir.resolve("t.jinja");
        java.nio.file.Files.writeString(file, "{% for m in messages %}[{{ m['content'] }}]{% endfor %}");
        ChatFormat custom = ChatFormats.select(without, file.toString(), BuiltinChatFormat.LLAVA_1_5);
        assertEquals("[hi]", custom.render(List.of(ChatMessage.text(Role.USER, "hi")), true).toDisplayString(""),
                "--chat-template FILE is a Jinja template");
        var broken = new dev.vlm4j.gguf.GgufMetadata(Path.of("m.gguf"), java.util.Map.of(
                ChatFormats.TEMPLATE_KEY, new dev.vlm4j.gguf.GgufValue.Str("<|im_start|>{% for m in messages %}")));
        assertEquals(BuiltinChatFormat.CHATML, ChatFormats.select(broken, null, BuiltinChatFormat.LLAVA_1_5),
                "a template Jinjava cannot parse falls back to the built-in format it evidently is");
    }

    @Test
    void detection() {
        assertEquals(BuiltinChatFormat.SMOLVLM, ChatFormats.detect(SMOLVLM).orElseThrow());
        assertEquals(BuiltinChatFormat.CHATML, ChatFormats.detect(CHATML).orElseThrow());
        assertEquals(BuiltinChatFormat.LLAVA_1_5, BuiltinChatFormat.byName("vicuna"));
    }
}
