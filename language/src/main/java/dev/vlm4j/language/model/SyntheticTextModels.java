package dev.vlm4j.language.model;

import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import dev.vlm4j.gguf.GgufWriter;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Random-weight llama models of a given shape, written with the project's GGUF writer: benchmark models (speed
 * depends on shape and type, not on what the weights say) and test models of shapes no fixture has.
 * Deterministic for a given seed. Each file carries a made-up SentencePiece vocabulary of its size (see
 * {@link #syntheticVocabulary}), so that llama.cpp loads it too ({@code llama-bench}, {@code bench --llama-bench}).
 */
public final class SyntheticTextModels {
    /** A llama-architecture shape. */
    public record Spec(String name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int contextLength) {}

    /** The benchmark shape of {@code ../shared/BENCHMARKS.md}: 124.67M parameters, separate output matrix. */
    public static final Spec SPEED_LLAMA_125M = new Spec("speed-llama-125m", 768, 12, 12, 4, 2048, 32000, 2048);

    private SyntheticTextModels() {}

    public static Spec byName(String name) {
        if (name.equals(SPEED_LLAMA_125M.name())) {
            return SPEED_LLAMA_125M;
        }
        throw new IllegalArgumentException("unknown synthetic model '" + name + "' (known: " + SPEED_LLAMA_125M.name() + ")");
    }

    /**
     * Writes {@code spec} with every 2-D weight in {@code type} and norms in F32. Weights are N(0, 0.02²) (embeddings
     * N(0,1)), norms 1, so activations stay in a realistic range.
     */
    public static void write(Spec spec, GgmlType type, long seed, Path out) {
        SplittableRandom random = new SplittableRandom(seed);
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.str("llama"))
                .put("general.name", GgufValue.str(spec.name() + "-" + type.name().toLowerCase(Locale.ROOT)))
                .put("general.description", GgufValue.str("vlm4j synthetic random-weight model (made-up vocabulary)"))
                .put("llama.context_length", GgufValue.u32(spec.contextLength()))
                .put("llama.embedding_length", GgufValue.u32(spec.dim()))
                .put("llama.block_count", GgufValue.u32(spec.layers()))
                .put("llama.feed_forward_length", GgufValue.u32(spec.ffn()))
                .put("llama.attention.head_count", GgufValue.u32(spec.heads()))
                .put("llama.attention.head_count_kv", GgufValue.u32(spec.kvHeads()))
                .put("llama.rope.freq_base", GgufValue.f32(10000f))
                .put("llama.rope.dimension_count", GgufValue.u32(spec.dim() / spec.heads()))
                .put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f))
                .put("llama.vocab_size", GgufValue.u32(spec.vocab()))
                .put("general.file_type", new GgufValue.Int(GgufValueType.UINT32, fileType(type)));
        syntheticVocabulary(w, spec.vocab());
        int kvWidth = spec.dim() / spec.heads() * spec.kvHeads();
        w.tensor(matrix("token_embd.weight", type, spec.vocab(), spec.dim(), 1.0f, random));
        for (int l = 0; l < spec.layers(); l++) {
            String p = "blk." + l + ".";
            w.tensor(ones(p + "attn_norm.weight", spec.dim()));
            w.tensor(matrix(p + "attn_q.weight", type, spec.dim(), spec.dim(), 0.02f, random));
            w.tensor(matrix(p + "attn_k.weight", type, kvWidth, spec.dim(), 0.02f, random));
            w.tensor(matrix(p + "attn_v.weight", type, kvWidth, spec.dim(), 0.02f, random));
            w.tensor(matrix(p + "attn_output.weight", type, spec.dim(), spec.dim(), 0.02f, random));
            w.tensor(ones(p + "ffn_norm.weight", spec.dim()));
            w.tensor(matrix(p + "ffn_gate.weight", type, spec.ffn(), spec.dim(), 0.02f, random));
            w.tensor(matrix(p + "ffn_up.weight", type, spec.ffn(), spec.dim(), 0.02f, random));
            w.tensor(matrix(p + "ffn_down.weight", type, spec.dim(), spec.ffn(), 0.02f, random));
        }
        w.tensor(ones("output_norm.weight", spec.dim()));
        w.tensor(matrix("output.weight", type, spec.vocab(), spec.dim(), 0.02f, random));
        w.write(out);
    }

    /**
     * A SentencePiece ({@code llama}) vocabulary of {@code size} tokens that means nothing: {@code <unk>}, {@code <s>},
     * {@code </s>}, the 256 byte tokens {@code <0xNN>}, {@code ▁}, then {@code ▁tokN} with falling scores. llama.cpp
     * refuses a model without {@code tokenizer.ggml.model}; with this one, any text round-trips through byte fallback.
     */
    private static void syntheticVocabulary(GgufWriter w, int size) {
        int fixed = 3 + 256 + 1;
        if (size < fixed) {
            throw new IllegalArgumentException("a synthetic vocabulary needs at least " + fixed + " tokens, got " + size);
        }
        java.util.List<String> tokens = new java.util.ArrayList<>(size);
        float[] scores = new float[size];
        long[] types = new long[size];
        tokens.addAll(java.util.List.of("<unk>", "<s>", "</s>"));
        types[0] = 2; // unknown
        types[1] = types[2] = 3; // control
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
            types[3 + b] = 6; // byte
        }
        tokens.add("\u2581");
        types[fixed - 1] = 1; // normal
        for (int i = fixed; i < size; i++) {
            tokens.add("\u2581tok" + i);
            scores[i] = -(i - fixed + 1);
            types[i] = 1;
        }
        w.put("tokenizer.ggml.model", GgufValue.str("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.strings(tokens))
                .put("tokenizer.ggml.scores", GgufValue.floats(scores))
                .put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, types))
                .put("tokenizer.ggml.bos_token_id", GgufValue.u32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.u32(2))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.u32(0))
                .put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
    }

    /** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_*) for an all-{@code type} model. */
    private static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no synthetic models of type " + type);
        };
    }

    private static Tensor matrix(String name, GgmlType type, int rows, int cols, float std, SplittableRandom random) {
        float[] values = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return new Tensor(name, type, Shape.matrix(rows, cols), TensorCodecs.quantize(type, values, 0, values.length));
    }

    private static Tensor ones(String name, int n) {
        float[] values = new float[n];
        java.util.Arrays.fill(values, 1f);
        return new Tensor(name, GgmlType.F32, Shape.of(n), TensorCodecs.quantize(GgmlType.F32, values, 0, n));
    }
}
