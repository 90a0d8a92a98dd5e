package dev.vlm4j.language.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads a Hugging Face {@code tokenizer.json} (and optionally its {@code tokenizer_config.json}) into the same
 * {@link TokenizerSpec} llama.cpp's {@code convert_hf_to_gguf.py} would write: tokens by id (gaps filled with
 * unused {@code [PADn]} tokens), added tokens typed control (special, or looking special like {@code <|...|>}) or
 * user-defined, merges as "left right" strings, and the pre-tokenizer recognised from its regex. Only byte-level
 * BPE is supported.
 */
final class HuggingFaceTokenizerReader {
    /** Llama 3's split regex as it appears in its tokenizer.json. */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's (one digit per word instead of up to three). */
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceTokenizerReader() {}

    static TokenizerSpec read(Path tokenizerJson, Path configJson) {
        String source = tokenizerJson.toString();
        JsonNode root = readJson(tokenizerJson);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new TokenizerException(source + ": model type '" + model.path("type").asText()
                    + "' is not supported (only byte-level BPE tokenizer.json files are)");
        }
        String pre = preTokenizerName(source, root);

        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Boolean> addedSpecial = new HashMap<>();
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new TokenizerException(source + ": model.vocab is missing or empty");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            putToken(source, byId, id(source, "model.vocab['" + e.getKey() + "']", e.getValue()), e.getKey());
        }
        for (JsonNode added : root.path("added_tokens")) {
            int id = id(source, "added_tokens[].id", added.path("id"));
            String content = added.path("content").asText();
            byId.put(id, content);
            addedSpecial.put(id, added.path("special").asBoolean(false));
        }
        int n = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<String> tokens = new ArrayList<>(n);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String text = byId.get(i);
            if (text == null) {
                tokens.add("[PAD" + i + "]");
                types[i] = TokenType.UNUSED.code();
            } else if (addedSpecial.containsKey(i)) {
                boolean control = addedSpecial.get(i) || looksSpecial(text);
                tokens.add(control ? text : text.replace(Vocabulary.SPM_SPACE, " "));
                types[i] = (control ? TokenType.CONTROL : TokenType.USER_DEFINED).code();
            } else {
                tokens.add(text);
                types[i] = TokenType.NORMAL.code();
            }
        }

        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) {
                merges.add(m.asText());
            } else if (m.isArray() && m.size() == 2) {
                merges.add(m.get(0).asText() + " " + m.get(1).asText());
            } else {
                throw new TokenizerException(source + ": model.merges entry " + m + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }

        Map<TokenizerSpec.Role, Integer> ids = new EnumMap<>(TokenizerSpec.Role.class);
        Boolean addBos = null;
        Boolean addEos = null;
        if (configJson != null) {
            JsonNode config = readJson(configJson);
            Map<String, Integer> textToId = new HashMap<>();
            for (int i = 0; i < n; i++) {
                textToId.put(tokens.get(i), i);
            }
            putSpecial(configJson, config, "bos_token", TokenizerSpec.Role.BOS, textToId, ids);
            putSpecial(configJson, config, "eos_token", TokenizerSpec.Role.EOS, textToId, ids);
            putSpecial(configJson, config, "unk_token", TokenizerSpec.Role.UNK, textToId, ids);
            putSpecial(configJson, config, "pad_token", TokenizerSpec.Role.PAD, textToId, ids);
            addBos = config.has("add_bos_token") ? config.get("add_bos_token").asBoolean() : null;
            addEos = config.has("add_eos_token") ? config.get("add_eos_token").asBoolean() : null;
        }
        if (!ids.containsKey(TokenizerSpec.Role.BOS)) {
            addBos = false; // llama.cpp's BPE default BOS (id 11) is meaningless for a converted vocabulary
        }
        return new TokenizerSpec(source, "gpt2", pre, tokens, null, types, merges, ids, addBos, addEos, null, "");
    }

    /** llama.cpp's pre-tokenizer name for the tokenizer.json's pre_tokenizer, or an error saying it is unsupported. */
    private static String preTokenizerName(String source, JsonNode root) {
        JsonNode pre = root.path("pre_tokenizer");
        if ("ByteLevel".equals(pre.path("type").asText()) && pre.path("use_regex").asBoolean(true)
                && !pre.path("add_prefix_space").asBoolean(false)) {
            return "gpt-2";
        }
        if ("Sequence".equals(pre.path("type").asText()) && pre.path("pretokenizers").size() == 2) {
            JsonNode split = pre.path("pretokenizers").get(0);
            JsonNode byteLevel = pre.path("pretokenizers").get(1);
            boolean shape = "Split".equals(split.path("type").asText()) && "Isolated".equals(split.path("behavior").asText())
                    && !split.path("invert").asBoolean(false) && "ByteLevel".equals(byteLevel.path("type").asText())
                    && !byteLevel.path("use_regex").asBoolean(true) && !byteLevel.path("add_prefix_space").asBoolean(false);
            String regex = split.path("pattern").path("Regex").asText("");
            if (shape && regex.equals(LLAMA3_REGEX)) {
                return "llama-bpe";
            }
            if (shape && regex.equals(QWEN2_REGEX)) {
                return "qwen2";
            }
        }
        String shown = pre.toString();
        throw new TokenizerException(source + ": pre_tokenizer " + (shown.length() > 300 ? shown.substring(0, 300) + "..." : shown)
                + " is not supported (supported: GPT-2's ByteLevel, and the Llama 3 and Qwen2 split regexes)");
    }

    /** convert_hf_to_gguf.py's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<｜") && t.endsWith("｜>"))
                || (t.startsWith("<start_of_") && t.endsWith(">"))
                || (t.startsWith("<end_of_") && t.endsWith(">"));
    }

    private static void putToken(String source, Map<Integer, String> byId, int id, String text) {
        String old = byId.put(id, text);
        if (old != null) {
            throw new TokenizerException(source + ": token id " + id + " is given to both '" + old + "' and '" + text + "'");
        }
    }

    private static int id(String source, String field, JsonNode node) {
        if (!node.canConvertToInt() || node.asInt() < 0) {
            throw new TokenizerException(source + ": " + field + " is " + node + ", not a token id");
        }
        return node.asInt();
    }

    private static void putSpecial(Path config, JsonNode root, String field, TokenizerSpec.Role role,
                                   Map<String, Integer> textToId, Map<TokenizerSpec.Role, Integer> ids) {
        JsonNode node = root.path(field);
        String text = node.isTextual() ? node.asText() : node.path("content").isTextual() ? node.path("content").asText() : null;
        if (text == null) {
            return;
        }
        Integer id = textToId.get(text);
        if (id == null) {
            throw new TokenizerException(config + ": " + field + " '" + text + "' is not in the vocabulary");
        }
        ids.put(role, id);
    }

    private static JsonNode readJson(Path path) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1F && raw.read() == 0x8B;
            raw.reset();
            try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
                JsonNode node = JSON.readTree(in);
                if (node == null || !node.isObject()) {
                    throw new TokenizerException(path + ": not a JSON object");
                }
                return node;
            }
        } catch (NoSuchFileException e) {
            throw new TokenizerException(path + ": no such file");
        } catch (JacksonException e) {
            throw new TokenizerException(path + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(path + ": cannot read: " + e.getMessage(), e);
        }
    }
}
