package dev.vlm4j.language.model;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufMetadata;
import dev.vlm4j.gguf.GgufMetadataException;
import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Rope;
import dev.vlm4j.tensor.Tensor;

/**
 * The hyper-parameters of a decoder-only text model, all read from GGUF metadata ({@code <arch>.*} keys) and
 * tensor shapes; nothing model-specific is assumed that the file can tell.
 */
public record TextModelConfig(
        TextArchitecture architecture,
        String name,
        int embeddingLength,
        int blockCount,
        int headCount,
        int headCountKv,
        int headDim,
        int feedForwardLength,
        int vocabSize,
        int contextLength,
        float rmsEpsilon,
        Rope rope,
        boolean tiedOutput) {

    public AttentionShape attentionShape() {
        return new AttentionShape(headCount, headCountKv, headDim);
    }

    public int queryWidth() {
        return headCount * headDim;
    }

    public int kvWidth() {
        return headCountKv * headDim;
    }

    public static TextModelConfig fromGguf(GgufFile file) {
        GgufMetadata md = file.metadata();
        String archName = md.string("general.architecture");
        TextArchitecture arch = TextArchitecture.fromGgufName(archName)
                .orElseThrow(() -> new GgufMetadataException(file.path(), "general.architecture",
                        "is '" + archName + "'; supported text architectures: " + TextArchitecture.supportedNames()));
        String p = archName + ".";
        int dim = md.intValue(p + "embedding_length");
        int heads = md.intValue(p + "attention.head_count");
        int kvHeads = md.intValue(p + "attention.head_count_kv", heads);
        int headDim = md.intValue(p + "attention.key_length", heads == 0 ? 0 : dim / heads);
        int valueDim = md.intValue(p + "attention.value_length", headDim);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim <= 0) {
            throw new GgufMetadataException(file.path(), p + "attention.head_count",
                    "gives an impossible attention shape: " + heads + " heads, " + kvHeads + " KV heads, head dim " + headDim);
        }
        if (valueDim != headDim) {
            throw new GgufMetadataException(file.path(), p + "attention.value_length",
                    "is " + valueDim + " but key_length is " + headDim + "; different K and V head sizes are not supported");
        }
        Tensor embeddings = file.tensor("token_embd.weight");
        if (embeddings.columns() != dim) {
            throw new GgufMetadataException(file.path(), p + "embedding_length",
                    "is " + dim + " but token_embd.weight rows have " + embeddings.columns() + " values");
        }
        int vocab = Math.toIntExact(embeddings.rows());
        int ropeDims = md.intValue(p + "rope.dimension_count", headDim);
        float theta = md.floatValue(p + "rope.freq_base", 10000f);
        String scaling = md.optString(p + "rope.scaling.type").orElse("none");
        float scaleFactor = md.floatValue(p + "rope.scaling.factor", 1f);
        if (!scaling.equals("none") && scaleFactor != 1f) {
            throw new GgufMetadataException(file.path(), p + "rope.scaling.type",
                    "is '" + scaling + "' with factor " + scaleFactor + ": RoPE scaling is not implemented in vlm4j yet");
        }
        float[] freqFactors = file.findTensor("rope_freqs.weight").map(Tensor::toFloats).orElse(null);
        if (freqFactors != null && freqFactors.length != ropeDims / 2) {
            throw new GgufMetadataException(file.path(), "rope_freqs.weight",
                    "has " + freqFactors.length + " values, expected rope.dimension_count/2 = " + ropeDims / 2);
        }
        return new TextModelConfig(
                arch,
                md.optString("general.name").orElse(file.path().getFileName().toString()),
                dim,
                md.intValue(p + "block_count"),
                heads,
                kvHeads,
                headDim,
                md.intValue(p + "feed_forward_length"),
                vocab,
                md.intValue(p + "context_length", 2048),
                md.floatValue(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                new Rope(ropeDims, theta, arch.ropeStyle(), freqFactors),
                !file.hasTensor("output.weight"));
    }
}
