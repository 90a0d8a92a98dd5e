package dev.vlm4j.language.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A loaded vocabulary with llama.cpp's defaults and derived settings applied ({@code llama_vocab::impl::load}):
 * token texts, scores and types, the special token ids, the flags that steer encoding and decoding, the special
 * tokens in the order they are cut out of text, and every token's rendered piece. Immutable once built.
 */
final class Vocabulary {
    /** U+2581, SentencePiece's stand-in for a space. */
    static final String SPM_SPACE = "\u2581";

    /**
     * Texts llama.cpp takes for an end-of-turn token when the file names none. llama.cpp takes whichever its hash
     * map lists first; this list's order decides instead, so that the choice is stable.
     */
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    /** Texts that end generation wherever they are in the vocabulary (llama.cpp's special_eog_ids). */
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");

    final String source;
    final Tokenizer.Kind kind;
    /** Null for SentencePiece. */
    final PreTokenizer pre;
    final String[] texts;
    final byte[][] textBytes;
    final float[] scores;
    final TokenType[] types;
    /** Special tokens that swallow the whitespace after them when cut out of text (llama.cpp's RSTRIP attribute). */
    final boolean[] rstrip;
    final ByteStrings index;
    final int maxTokenBytes;

    final int bos;
    final int eos;
    final int eot;
    final int eom;
    final int unk;
    final int sep;
    final int pad;
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    final boolean cleanSpaces;
    final BitSet endOfGeneration;
    /** Control, user-defined and unknown tokens, longest text first: the order they are cut out of text. */
    final int[] specialTokens;
    /** Each token rendered with special tokens shown (llama.cpp's token-to-piece cache). */
    final byte[][] pieces;
    /** SentencePiece byte fallback: the token for each byte value, or -1. */
    final int[] byteTokens;

    private Vocabulary(TokenizerSpec spec) {
        source = spec.source();
        kind = switch (spec.model()) {
            case "llama" -> Tokenizer.Kind.SENTENCEPIECE;
            case "gpt2" -> Tokenizer.Kind.BYTE_LEVEL_BPE;
            default -> throw new TokenizerException(source + ": tokenizer model '" + spec.model()
                    + "' is not supported (supported: 'llama' SentencePiece, 'gpt2' byte-level BPE)");
        };
        int n = spec.tokens().size();
        texts = new String[n];
        textBytes = new byte[n][];
        scores = spec.scores() != null ? spec.scores().clone() : new float[n];
        types = new TokenType[n];
        rstrip = new boolean[n];
        index = new ByteStrings();
        int maxLen = 0;
        for (int i = 0; i < n; i++) {
            String text = spec.tokens().get(i);
            if (text.isEmpty()) {
                text = "[EMPTY_" + i + "]"; // as llama.cpp, so that no token matches the empty string
            }
            texts[i] = text;
            textBytes[i] = text.getBytes(StandardCharsets.UTF_8);
            maxLen = Math.max(maxLen, textBytes[i].length);
            types[i] = spec.typeCodes() != null ? TokenType.fromCode(spec.typeCodes()[i]) : TokenType.NORMAL;
            index.add(textBytes[i]);
        }
        maxTokenBytes = maxLen;

        // llama.cpp's defaults per tokenizer model, then per pre-tokenizer type
        boolean defaultAddBos;
        boolean defaultAddSpacePrefix;
        int defaultBos;
        int defaultEos;
        int defaultUnk;
        if (kind == Tokenizer.Kind.SENTENCEPIECE) {
            pre = null;
            defaultBos = 1;
            defaultEos = 2;
            defaultUnk = 0;
            defaultAddBos = true;
            defaultAddSpacePrefix = true;
            cleanSpaces = false;
        } else {
            String preName = spec.pre() == null || spec.pre().isEmpty() ? "default" : spec.pre();
            pre = PreTokenizer.forName(preName).orElseThrow(() -> new TokenizerException(source
                    + ": pre-tokenizer type '" + preName + "' (tokenizer.ggml.pre) is not supported; supported: "
                    + PreTokenizer.supportedNames()));
            defaultBos = 11;
            defaultEos = 11;
            defaultUnk = -1;
            defaultAddBos = pre.addBosByDefault();
            defaultAddSpacePrefix = false;
            cleanSpaces = pre.cleanSpaces();
        }
        addSpacePrefix = spec.addSpacePrefix() != null ? spec.addSpacePrefix() : defaultAddSpacePrefix;
        Map<TokenizerSpec.Role, Integer> ids = spec.specialIds();
        bos = id(ids, TokenizerSpec.Role.BOS, defaultBos, n);
        eos = id(ids, TokenizerSpec.Role.EOS, defaultEos, n);
        unk = id(ids, TokenizerSpec.Role.UNK, defaultUnk, n);
        sep = id(ids, TokenizerSpec.Role.SEP, -1, n);
        pad = id(ids, TokenizerSpec.Role.PAD, -1, n);
        addBos = spec.addBos() != null ? spec.addBos() : defaultAddBos;
        addEos = spec.addEos() != null ? spec.addEos() : false;
        if (addBos && bos < 0) {
            throw new TokenizerException(source + ": BOS is to be added (tokenizer.ggml.add_bos_token) but no BOS token is set");
        }
        if (addEos && eos < 0) {
            throw new TokenizerException(source + ": EOS is to be added (tokenizer.ggml.add_eos_token) but no EOS token is set");
        }

        // end-of-turn / end-of-message by text when the file names none; such tokens become control tokens
        int eotId = id(ids, TokenizerSpec.Role.EOT, -1, n);
        int eomId = id(ids, TokenizerSpec.Role.EOM, -1, n);
        for (String text : EOT_TEXTS) {
            int id = find(text.getBytes(StandardCharsets.UTF_8));
            if (eotId < 0 && id >= 0) {
                eotId = id;
                types[id] = TokenType.CONTROL;
            }
        }
        int eomFound = find("<|eom_id|>".getBytes(StandardCharsets.UTF_8));
        if (eomId < 0 && eomFound >= 0) {
            eomId = eomFound;
            types[eomId] = TokenType.CONTROL;
        }
        eot = eotId;
        eom = eomId;
        endOfGeneration = new BitSet(n);
        for (String text : EOG_TEXTS) {
            int id = find(text.getBytes(StandardCharsets.UTF_8));
            if (id >= 0) {
                endOfGeneration.set(id);
                types[id] = TokenType.CONTROL;
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) {
                endOfGeneration.set(id);
            }
        }

        specialTokens = IntStream.range(0, n).filter(i -> types[i].isSpecial()).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> -textBytes[i].length).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();

        // Phi-3: special tokens swallow the whitespace after them, except <unk>, <s> and <|endoftext|>
        String name = spec.modelName().toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) {
                rstrip[id] = true;
            }
            setRstrip("</s>", true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) {
                setRstrip(t, false);
            }
        }

        byteTokens = new int[256];
        if (kind == Tokenizer.Kind.SENTENCEPIECE) {
            for (int b = 0; b < 256; b++) {
                int id = find(String.format("<0x%02X>", b).getBytes(StandardCharsets.US_ASCII));
                byteTokens[b] = id >= 0 ? id : find(new byte[] {(byte) b});
            }
        } else {
            for (int b = 0; b < 256; b++) {
                byteTokens[b] = find(new byte[] {(byte) b}); // llama.cpp's fallback for a symbol that is no token
            }
        }
        pieces = new byte[n][];
        for (int i = 0; i < n; i++) {
            pieces[i] = renderPiece(i);
        }
    }

    static Vocabulary build(TokenizerSpec spec) {
        return new Vocabulary(spec);
    }

    private int id(Map<TokenizerSpec.Role, Integer> ids, TokenizerSpec.Role role, int defaultId, int n) {
        Integer id = ids.get(role);
        if (id != null) {
            return id;
        }
        return defaultId < n ? defaultId : -1; // a default outside a small vocabulary means "none"
    }

    private void setRstrip(String text, boolean value) {
        int id = find(text.getBytes(StandardCharsets.UTF_8));
        if (id >= 0) {
            rstrip[id] = value;
        }
    }

    int size() {
        return texts.length;
    }

    int find(byte[] text) {
        return index.find(text, 0, text.length);
    }

    int find(byte[] buf, int off, int len) {
        return index.find(buf, off, len);
    }

    /** llama.cpp's token_to_piece with special tokens shown: what one token stands for, as bytes. */
    private byte[] renderPiece(int id) {
        TokenType type = types[id];
        byte[] text = textBytes[id];
        if (type.isSpecial()) {
            return text;
        }
        if (kind == Tokenizer.Kind.SENTENCEPIECE) {
            return switch (type) {
                case NORMAL -> texts[id].replace(SPM_SPACE, " ").getBytes(StandardCharsets.UTF_8);
                case BYTE -> new byte[] {(byte) byteValue(id)};
                default -> new byte[0];
            };
        }
        return type == TokenType.NORMAL ? ByteLevel.decodeLikeLlamaCpp(texts[id]) : new byte[0];
    }

    /** The byte a {@code <0xNN>} token stands for. */
    private int byteValue(int id) {
        String t = texts[id];
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return hi * 16 + lo;
            }
        }
        throw new TokenizerException(source + ": token " + id + " '" + t + "' has type BYTE but is not of the form <0xNN>");
    }

    @Override
    public String toString() {
        return "Vocabulary[" + source + ", " + kind + ", " + texts.length + " tokens" + (pre != null ? ", pre " + pre : "")
                + ", bos " + bos + ", eos " + eos + ", add_bos " + addBos + "]";
    }
}
