package dev.vlm4j.language.tokenizer;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufMetadata;
import dev.vlm4j.gguf.GgufMetadataException;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Reads the {@code tokenizer.ggml.*} metadata of a GGUF file into a {@link TokenizerSpec}, checking types and sizes. */
final class GgufTokenizerReader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    private GgufTokenizerReader() {}

    static TokenizerSpec read(GgufFile file) {
        GgufMetadata md = file.metadata();
        String source = String.valueOf(file.path());
        try {
            String model = md.optString(MODEL).orElseThrow(() -> new TokenizerException(
                    source + ": metadata '" + MODEL + "' is missing (the file has no tokenizer)"));
            List<String> tokens = stringArray(md, source, TOKENS);
            if (tokens.isEmpty()) {
                throw new TokenizerException(source + ": metadata '" + TOKENS + "' is empty");
            }
            float[] scores = md.contains(SCORES) ? scores(md, source, tokens.size()) : null;
            int[] types = null;
            if (md.contains(TOKEN_TYPE)) {
                types = md.intArray(TOKEN_TYPE);
                checkLength(source, TOKEN_TYPE, types.length, tokens.size());
            }
            List<String> merges = model.equals("gpt2") ? stringArray(md, source, MERGES) : null;
            Map<TokenizerSpec.Role, Integer> ids = new EnumMap<>(TokenizerSpec.Role.class);
            for (TokenizerSpec.Role role : TokenizerSpec.Role.values()) {
                OptionalLong id = md.optLong(role.key);
                if (id.isPresent()) {
                    long v = id.getAsLong();
                    if (v < 0 || v >= tokens.size()) {
                        throw new TokenizerException(source + ": metadata '" + role.key + "' is " + v
                                + ", outside the vocabulary of " + tokens.size() + " tokens");
                    }
                    ids.put(role, (int) v);
                }
            }
            return new TokenizerSpec(source, model, md.optString(PRE).orElse(null), tokens, scores, types, merges, ids,
                    md.optBool(ADD_BOS).orElse(null), md.optBool(ADD_EOS).orElse(null),
                    md.optBool(ADD_SPACE_PREFIX).orElse(null), md.optString("general.name").orElse(""));
        } catch (GgufMetadataException e) {
            throw new TokenizerException(e.getMessage(), e);
        }
    }

    private static List<String> stringArray(GgufMetadata md, String source, String key) {
        if (!md.contains(key)) {
            throw new TokenizerException(source + ": metadata '" + key + "' is missing");
        }
        return md.stringArray(key);
    }

    /** FLOAT32 scores (or INT32, which llama.cpp also accepts), one per token. */
    private static float[] scores(GgufMetadata md, String source, int tokens) {
        GgufValue v = md.get(SCORES).orElseThrow();
        float[] scores;
        if (v instanceof GgufValue.Array a && a.elementType() == GgufValueType.INT32) {
            int[] ints = md.intArray(SCORES);
            scores = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                scores[i] = ints[i];
            }
        } else {
            scores = md.floatArray(SCORES);
        }
        checkLength(source, SCORES, scores.length, tokens);
        return scores;
    }

    private static void checkLength(String source, String key, int length, int tokens) {
        if (length != tokens) {
            throw new TokenizerException(source + ": metadata '" + key + "' has " + length + " entries but '" + TOKENS
                    + "' has " + tokens + " tokens");
        }
    }
}
