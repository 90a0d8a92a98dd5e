package dev.vlm4j.language.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * What a tokenizer file says, before llama.cpp's defaults and derived settings are applied: the
 * {@code tokenizer.ggml.*} keys of a GGUF file, or the same facts taken from a Hugging Face {@code tokenizer.json}.
 * Readers check shapes and ranges (and name the file and key when they are wrong); {@link Tokenizer} does the rest.
 *
 * @param source        the file, for messages
 * @param model         {@code tokenizer.ggml.model}: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
 * @param pre           {@code tokenizer.ggml.pre}, or null when absent
 * @param tokens        token texts by id
 * @param scores        one per token, or null when absent (all 0)
 * @param typeCodes     {@code tokenizer.ggml.token_type} codes, one per token, or null when absent (all normal)
 * @param merges        BPE merges "left right" by rank (null for SentencePiece)
 * @param specialIds    the special token ids present in the file, by role
 * @param addBos        {@code tokenizer.ggml.add_bos_token}, or null when absent
 * @param addEos        {@code tokenizer.ggml.add_eos_token}, or null when absent
 * @param addSpacePrefix {@code tokenizer.ggml.add_space_prefix}, or null when absent
 * @param modelName     {@code general.name} (llama.cpp keys a few per-model token attributes on it), or ""
 */
record TokenizerSpec(String source, String model, String pre, List<String> tokens, float[] scores, int[] typeCodes,
                     List<String> merges, Map<Role, Integer> specialIds, Boolean addBos, Boolean addEos,
                     Boolean addSpacePrefix, String modelName) {

    /** The special token roles the metadata can name, with their GGUF keys. */
    enum Role {
        BOS("tokenizer.ggml.bos_token_id"),
        EOS("tokenizer.ggml.eos_token_id"),
        EOT("tokenizer.ggml.eot_token_id"),
        EOM("tokenizer.ggml.eom_token_id"),
        UNK("tokenizer.ggml.unknown_token_id"),
        SEP("tokenizer.ggml.seperator_token_id"), // sic: llama.cpp's spelling of the key
        PAD("tokenizer.ggml.padding_token_id");

        final String key;

        Role(String key) {
            this.key = key;
        }
    }
}
