package dev.vlm4j.language.model;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.TensorShapeException;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A decoder-only text model: its configuration and its weights made ready on a backend (on the CPU, views of the
 * memory-mapped file). Immutable once loaded; each conversation runs in its own {@link DecoderSession}.
 * The caller owns the {@link GgufFile} and the {@link Backend} and must keep them open while the model is used.
 */
public final class TextModel {
    private final TextModelConfig config;
    private final Backend backend;
    private final Weight tokenEmbeddings;
    private final Weight outputNorm;
    private final Weight output;
    private final List<Layer> layers;

    /** One transformer block's weights; the biases are null for architectures without them. */
    record Layer(Weight attnNorm, Weight wq, Weight wk, Weight wv, Weight bq, Weight bk, Weight bv, Weight wo,
                 Weight ffnNorm, Weight gate, Weight up, Weight down) {}

    private TextModel(TextModelConfig config, Backend backend, Weight tokenEmbeddings, Weight outputNorm, Weight output,
                      List<Layer> layers) {
        this.config = config;
        this.backend = backend;
        this.tokenEmbeddings = tokenEmbeddings;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = List.copyOf(layers);
    }

    /** Reads the configuration and binds every weight, checking each tensor's shape against the configuration. */
    public static TextModel load(GgufFile file, Backend backend) {
        TextModelConfig c = TextModelConfig.fromGguf(file);
        Binder b = new Binder(file, backend);
        int dim = c.embeddingLength();
        Weight embeddings = b.matrix("token_embd.weight", c.vocabSize(), dim);
        Weight outputNorm = b.vector("output_norm.weight", dim);
        Weight output = c.tiedOutput() ? embeddings : b.matrix("output.weight", c.vocabSize(), dim);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.blockCount(); l++) {
            String p = "blk." + l + ".";
            layers.add(new Layer(
                    b.vector(p + "attn_norm.weight", dim),
                    b.matrix(p + "attn_q.weight", c.queryWidth(), dim),
                    b.matrix(p + "attn_k.weight", c.kvWidth(), dim),
                    b.matrix(p + "attn_v.weight", c.kvWidth(), dim),
                    b.optionalVector(p + "attn_q.bias", c.queryWidth()),
                    b.optionalVector(p + "attn_k.bias", c.kvWidth()),
                    b.optionalVector(p + "attn_v.bias", c.kvWidth()),
                    b.matrix(p + "attn_output.weight", dim, c.queryWidth()),
                    b.vector(p + "ffn_norm.weight", dim),
                    b.matrix(p + "ffn_gate.weight", c.feedForwardLength(), dim),
                    b.matrix(p + "ffn_up.weight", c.feedForwardLength(), dim),
                    b.matrix(p + "ffn_down.weight", dim, c.feedForwardLength())));
        }
        return new TextModel(c, backend, embeddings, outputNorm, output, layers);
    }

    public TextModelConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /** A new session with an empty KV cache of {@code contextLength} positions. */
    public DecoderSession newSession(int contextLength) {
        return new DecoderSession(this, contextLength);
    }

    Weight tokenEmbeddings() {
        return tokenEmbeddings;
    }

    Weight outputNorm() {
        return outputNorm;
    }

    Weight output() {
        return output;
    }

    List<Layer> layers() {
        return layers;
    }

    /** Looks tensors up and checks their shapes before handing them to the backend. */
    private record Binder(GgufFile file, Backend backend) {
        Weight matrix(String name, int rows, int cols) {
            Tensor t = file.tensor(name);
            if (t.shape().rank() != 2 || t.rows() != rows || t.columns() != cols) {
                throw new TensorShapeException(file.path(), name, "has shape (ne) " + t.shape() + ", expected ["
                        + cols + ", " + rows + "] from the model's metadata");
            }
            return backend.weight(t);
        }

        Weight vector(String name, int length) {
            Tensor t = file.tensor(name);
            return checkVector(t, length);
        }

        Weight optionalVector(String name, int length) {
            Optional<Tensor> t = file.findTensor(name);
            return t.map(tensor -> checkVector(tensor, length)).orElse(null);
        }

        private Weight checkVector(Tensor t, int length) {
            if (t.shape().elements() != length || t.rows() != 1) {
                throw new TensorShapeException(file.path(), t.name(), "has shape (ne) " + t.shape() + ", expected [" + length + "]");
            }
            return backend.weight(t);
        }
    }
}
