package dev.vlm4j.language.tokenizer;

import dev.vlm4j.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Text to token ids and back, exactly as llama.cpp does it for the same vocabulary ({@code src/llama-vocab.cpp}
 * at the commit the fixtures were made with): SentencePiece-style vocabularies ({@code tokenizer.ggml.model =
 * llama}: score-driven merges, byte fallback, the dummy-prefix space, spaces written as U+2581) and byte-level BPE
 * ({@code gpt2}: merges by rank after the pre-tokenizer named by {@code tokenizer.ggml.pre}).
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizer.fromGguf(gguf);
 * int[] ids = tok.encode("Hello world", true, false);   // BOS if the model adds one, special text not parsed
 * String text = tok.decode(ids);
 * }</pre>
 *
 * <p>Immutable and safe to use from many threads.
 */
public final class Tokenizer {
    /** The two tokenizer algorithms. */
    public enum Kind {
        /** {@code tokenizer.ggml.model = llama}: SentencePiece-style BPE with scores and byte fallback. */
        SENTENCEPIECE,
        /** {@code tokenizer.ggml.model = gpt2}: byte-level BPE with ranked merges and a pre-tokenizer. */
        BYTE_LEVEL_BPE
    }

    private final Vocabulary vocab;
    /** Null for SentencePiece. */
    private final BpeEncoder bpe;

    private Tokenizer(TokenizerSpec spec) {
        this.vocab = Vocabulary.build(spec);
        this.bpe = vocab.kind == Kind.BYTE_LEVEL_BPE ? new BpeEncoder(vocab, spec.merges()) : null;
    }

    /** The tokenizer described by a GGUF file's {@code tokenizer.ggml.*} metadata. */
    public static Tokenizer fromGguf(GgufFile file) {
        return new Tokenizer(GgufTokenizerReader.read(file));
    }

    /**
     * The tokenizer of a Hugging Face {@code tokenizer.json} (byte-level BPE; gzip-compressed files are read too),
     * set up as llama.cpp's converter would write it to a GGUF file. BOS/EOS and whether they are added come from
     * {@code tokenizer_config.json} when given; without it no BOS or EOS is set.
     */
    public static Tokenizer fromHuggingFace(Path tokenizerJson, Path tokenizerConfigJsonOrNull) {
        return new Tokenizer(HuggingFaceTokenizerReader.read(tokenizerJson, tokenizerConfigJsonOrNull));
    }

    /**
     * Token ids of {@code text}, as llama.cpp's {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS / EOS when the vocabulary says to ({@link #addBos()}, {@link #addEos()})
     * @param parseSpecial recognise the text of control tokens (like {@code <|eot_id|>}) as those tokens; when
     *                     false such text is tokenized as ordinary characters (user-defined tokens are always
     *                     recognised)
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        String clean = replaceLoneSurrogates(text);
        List<SpecialTokenSplitter.Fragment> fragments = SpecialTokenSplitter.split(vocab, clean, parseSpecial);
        IntBuffer out = new IntBuffer(clean.length() / 3 + 8);
        if (addSpecial && vocab.addBos) {
            out.add(vocab.bos);
        }
        if (vocab.kind == Kind.SENTENCEPIECE) {
            SpmEncoder spm = new SpmEncoder(vocab);
            boolean afterSpecial = true; // the dummy-prefix space goes before the first text and after each special token
            for (SpecialTokenSplitter.Fragment f : fragments) {
                switch (f) {
                    case SpecialTokenSplitter.Fragment.Special(int id) -> {
                        out.add(id);
                        afterSpecial = true;
                    }
                    case SpecialTokenSplitter.Fragment.Text(int start, int end) -> {
                        String part = clean.substring(start, end);
                        if (vocab.addSpacePrefix && afterSpecial) {
                            part = " " + part;
                        }
                        spm.encode(part.replace(" ", Vocabulary.SPM_SPACE).getBytes(StandardCharsets.UTF_8), out);
                        afterSpecial = false;
                    }
                }
            }
        } else {
            for (SpecialTokenSplitter.Fragment f : fragments) {
                switch (f) {
                    case SpecialTokenSplitter.Fragment.Special(int id) -> out.add(id);
                    case SpecialTokenSplitter.Fragment.Text(int start, int end) -> bpe.encode(clean.substring(start, end), out);
                }
            }
        }
        if (addSpecial && vocab.addEos) {
            out.add(vocab.eos);
        }
        return out.toArray();
    }

    /**
     * The text of token ids, as llama.cpp's {@code llama_detokenize(remove_special = false, unparse_special =
     * false)}: control tokens render as nothing, a leading space the tokenizer added is dropped, and (for
     * vocabularies that ask for it) spaces before punctuation are cleaned up. Bytes that are not valid UTF-8
     * become U+FFFD.
     */
    public String decode(int[] ids) {
        return decode(ids, false, false);
    }

    /**
     * @param removeSpecial drop a leading BOS and a trailing EOS when the vocabulary adds them
     * @param renderSpecial show control tokens as their text instead of nothing
     */
    public String decode(int[] ids, boolean removeSpecial, boolean renderSpecial) {
        return new String(decodeBytes(ids, removeSpecial, renderSpecial), StandardCharsets.UTF_8);
    }

    /** The exact bytes of {@link #decode(int[], boolean, boolean)}, before any UTF-8 decoding. */
    public byte[] decodeBytes(int[] ids, boolean removeSpecial, boolean renderSpecial) {
        for (int id : ids) {
            checkId(id);
        }
        int from = 0;
        int to = ids.length;
        boolean removeSpace = vocab.addSpacePrefix;
        if (removeSpecial && vocab.addBos && to > 0 && ids[0] == vocab.bos) {
            removeSpace = false; // as llama.cpp: with the BOS dropped, the next token keeps its space
            from = 1;
        }
        if (removeSpecial && vocab.addEos && to > from && ids[to - 1] == vocab.eos) {
            to--;
        }
        byte[] out = new byte[64];
        int len = 0;
        for (int i = from; i < to; i++) {
            byte[] piece = piece(ids[i], renderSpecial);
            int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            removeSpace = false;
            if (out.length < len + piece.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, len + piece.length));
            }
            System.arraycopy(piece, skip, out, len, piece.length - skip);
            len += piece.length - skip;
        }
        if (vocab.cleanSpaces) {
            len = SpaceCleanup.apply(out, len);
        }
        return Arrays.copyOf(out, len);
    }

    /** What token {@code id} stands for, as bytes, special tokens shown as their text (llama.cpp's token_to_piece). */
    public byte[] pieceBytes(int id) {
        return pieceBytes(id, true);
    }

    /** As {@link #pieceBytes(int)}; with {@code renderSpecial} false, control and unknown tokens give no bytes. */
    public byte[] pieceBytes(int id, boolean renderSpecial) {
        checkId(id);
        return piece(id, renderSpecial).clone();
    }

    /** {@link #pieceBytes(int)} as text (a lone byte of a multi-byte character becomes U+FFFD). */
    public String piece(int id) {
        checkId(id);
        return new String(piece(id, true), StandardCharsets.UTF_8);
    }

    /** The token's text as the vocabulary spells it (for example {@code ▁Hello}, {@code Ġworld}, {@code <0x0A>}). */
    public String tokenText(int id) {
        checkId(id);
        return vocab.texts[id];
    }

    /** The id of the token spelled exactly {@code text} in the vocabulary, or -1. */
    public int tokenId(String text) {
        return vocab.find(text.getBytes(StandardCharsets.UTF_8));
    }

    public TokenType type(int id) {
        checkId(id);
        return vocab.types[id];
    }

    /** The token's score (SentencePiece merge priority; 0 for BPE vocabularies without scores). */
    public float score(int id) {
        checkId(id);
        return vocab.scores[id];
    }

    public int vocabSize() {
        return vocab.size();
    }

    public Kind kind() {
        return vocab.kind;
    }

    /** The pre-tokenizer of a byte-level BPE vocabulary (llama.cpp's name for it), or "" for SentencePiece. */
    public String preTokenizer() {
        return vocab.pre == null ? "" : vocab.pre.llamaName();
    }

    /** Beginning-of-sequence token, or -1 if none. */
    public int bosId() {
        return vocab.bos;
    }

    /** End-of-sequence token, or -1 if none. */
    public int eosId() {
        return vocab.eos;
    }

    /** End-of-turn token (named in the file or found by its text, like {@code <|eot_id|>}), or -1 if none. */
    public int eotId() {
        return vocab.eot;
    }

    /** Padding token, or -1 if none. */
    public int padId() {
        return vocab.pad;
    }

    /** Unknown token, or -1 if none. */
    public int unknownId() {
        return vocab.unk;
    }

    /** Whether {@code encode(text, true, ...)} starts with BOS. */
    public boolean addBos() {
        return vocab.addBos;
    }

    /** Whether {@code encode(text, true, ...)} ends with EOS. */
    public boolean addEos() {
        return vocab.addEos;
    }

    /** Whether SentencePiece text gets a leading space (the dummy prefix) before the first text and after special tokens. */
    public boolean addSpacePrefix() {
        return vocab.addSpacePrefix;
    }

    /** Whether generation stops at this token: EOS, EOT, EOM and the usual end-of-turn texts (llama_vocab_is_eog). */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && vocab.endOfGeneration.get(id);
    }

    /** A decoder for generated tokens that emits text only once its UTF-8 is complete. */
    public StreamingDetokenizer streamingDetokenizer() {
        return new StreamingDetokenizer(this, false);
    }

    /** Where the vocabulary came from. */
    public String source() {
        return vocab.source;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + vocab.source + ", " + vocab.kind + (bpe != null ? " " + preTokenizer() : "") + ", "
                + vocab.size() + " tokens, bos " + vocab.bos + ", eos " + vocab.eos + "]";
    }

    /** The piece without a defensive copy (callers must not change it). */
    byte[] piece(int id, boolean renderSpecial) {
        TokenType type = vocab.types[id];
        if (!renderSpecial && (type == TokenType.CONTROL || type == TokenType.UNKNOWN)) {
            return EMPTY;
        }
        return vocab.pieces[id];
    }

    void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new TokenizerException("token id " + id + " is outside the vocabulary of " + vocab.size()
                    + " tokens (" + vocab.source + ")");
        }
    }

    private static final byte[] EMPTY = new byte[0];

    /** Unpaired surrogates have no UTF-8 form; they are tokenized as U+FFFD. */
    private static String replaceLoneSurrogates(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
                if (!paired) {
                    StringBuilder sb = new StringBuilder(s.length());
                    s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isSurrogate((char) cp) && cp < 0x10000 ? 0xFFFD : cp));
                    return sb.toString();
                }
                i++;
            }
        }
        return s;
    }
}
