package dev.vlm4j.language.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The pre-tokenizers of byte-level BPE vocabularies, chosen by {@code tokenizer.ggml.pre} as llama.cpp chooses
 * them: each cuts the text into words with llama.cpp's list of splitting passes for that type, and carries the
 * flags llama.cpp sets with it: whether a word found whole in the vocabulary skips the merges
 * ({@code ignore_merges}), whether BOS is added when the file does not say, and whether decoding cleans up
 * spaces before punctuation ({@code clean_spaces}).
 */
enum PreTokenizer {
    DEFAULT(Flags.CLEAN_SPACES, List.of("default"),
            SplitStep.regex("[\\p{P}\\$\\+<=>\\^~\\|]+"),
            new SplitStep.Gpt2(),
            SplitStep.regex("\\p{N}+"),
            SplitStep.regex("[0-9][0-9][0-9]")),
    LLAMA3(Flags.IGNORE_MERGES | Flags.ADD_BOS | Flags.CLEAN_SPACES, List.of("llama3", "llama-v3", "llama-bpe", "falcon3"),
            new SplitStep.Llama3()),
    /** DBRX and Smaug: Llama 3's split without its flags. */
    DBRX(Flags.CLEAN_SPACES, List.of("dbrx", "smaug-bpe"),
            new SplitStep.Llama3()),
    QWEN2(0, List.of("qwen2", "deepseek-r1-qwen"),
            SplitStep.regex(Regexes.QWEN2)),
    /** StableLM 2 and Megrez: Qwen2's split, spaces cleaned on decode. */
    STABLELM2(Flags.CLEAN_SPACES, List.of("stablelm2", "megrez"),
            SplitStep.regex(Regexes.QWEN2)),
    GPT2(Flags.CLEAN_SPACES, List.of("gpt-2", "phi-2", "mpt", "olmo", "jais"),
            new SplitStep.Gpt2()),
    /*
     * DeepSeek LLM's own split (its tokenizer.json): line breaks; an optional space plus a run of cased letters
     * (the Unicode "LC" ranges written out below); ASCII / full-width punctuation; trailing whitespace; CJK;
     * digits. These regexes have no \p{..} so llama.cpp runs them on code points; they are written in Java
     * syntax here with the code point ranges spelled as escapes.
     */
    DEEPSEEK_LLM(0, List.of("deepseek-llm"),
            SplitStep.regex("[\\r\\n]"),
            SplitStep.regex("\\s?[" + Regexes.DEEPSEEK_CASED_LETTERS + "]+"),
            SplitStep.regex("\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+"),
            SplitStep.regex("\\s+$"),
            SplitStep.regex("[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+"),
            SplitStep.regex("\\p{N}+")),
    FALCON(Flags.CLEAN_SPACES, List.of("falcon"),
            SplitStep.regex("[\\p{P}\\$\\+<=>\\^~\\|`]+"),
            new SplitStep.Gpt2(),
            SplitStep.regex("[0-9][0-9][0-9]")),
    STARCODER(Flags.CLEAN_SPACES, List.of("starcoder", "refact", "codeshell", "exaone", "minerva-7b"),
            SplitStep.regex("\\p{N}"),
            new SplitStep.Gpt2()),
    /** SmolLM and Command-R: StarCoder's split without the space clean-up. */
    SMOLLM(0, List.of("smollm", "command-r"),
            SplitStep.regex("\\p{N}"),
            new SplitStep.Gpt2());

    private final int flags;
    private final List<String> names;
    private final List<SplitStep> steps;

    PreTokenizer(int flags, List<String> names, SplitStep... steps) {
        this.flags = flags;
        this.names = names;
        this.steps = List.of(steps);
    }

    static Optional<PreTokenizer> forName(String name) {
        return Arrays.stream(values()).filter(p -> p.names.contains(name)).findFirst();
    }

    /** llama.cpp's main name for this type ({@code tokenizer.ggml.pre}). */
    String llamaName() {
        return names.get(0);
    }

    static String supportedNames() {
        return Arrays.stream(values()).flatMap(p -> p.names.stream()).collect(Collectors.joining(", "));
    }

    boolean ignoreMerges() {
        return (flags & Flags.IGNORE_MERGES) != 0;
    }

    boolean addBosByDefault() {
        return (flags & Flags.ADD_BOS) != 0;
    }

    boolean cleanSpaces() {
        return (flags & Flags.CLEAN_SPACES) != 0;
    }

    /** The words of {@code text} as consecutive lengths in code points (they add up to the whole text). */
    IntBuffer split(SplitText text) {
        IntBuffer pieces = new IntBuffer(16);
        if (text.cps.length > 0) {
            pieces.add(text.cps.length);
        }
        for (SplitStep step : steps) {
            IntBuffer next = new IntBuffer(pieces.size() * 2 + 8);
            int pos = 0;
            for (int i = 0; i < pieces.size(); i++) {
                int len = pieces.get(i);
                step.split(text, pos, pos + len, next);
                pos += len;
            }
            pieces = next;
        }
        return pieces;
    }

    private static final class Flags {
        static final int IGNORE_MERGES = 1;
        static final int ADD_BOS = 2;
        static final int CLEAN_SPACES = 4;
    }

    private static final class Regexes {
        /** Qwen2's tokenizer.json regex with the case-insensitive group spelled out, as llama.cpp runs it. */
        static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

        /** The cased-letter ("LC") ranges of DeepSeek LLM's word regex. */
        static final String DEEPSEEK_CASED_LETTERS = "\\x{41}-\\x{5A}\\x{61}-\\x{7A}\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
                + "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}"
                + "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}"
                + "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
                + "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
                + "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
                + "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
                + "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
                + "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
                + "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
                + "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
                + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
                + "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
                + "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
                + "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
                + "\\x{1E900}-\\x{1E943}";
    }
}
