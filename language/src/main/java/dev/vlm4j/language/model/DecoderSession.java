package dev.vlm4j.language.model;

import dev.vlm4j.kernels.AttentionShape;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.Weight;
import java.util.ArrayList;
import java.util.List;

/**
 * One conversation with a {@link TextModel}: a KV cache and the position it has reached. {@link #append} runs the
 * model over new input (prompt prefill as batched matrix×matrix, or one token while decoding); {@link #logits()}
 * and {@link #argmax()} read the prediction for the position after the last one appended.
 *
 * <p>A session is used by one thread at a time. Everything lives on the model's backend; only logits (or just
 * the argmax token) come back to the host.
 */
public final class DecoderSession implements AutoCloseable {
    /** Longest run of positions computed in one pass (llama.cpp's n_ubatch); bounds scratch memory. */
    public static final int MAX_BATCH = 512;

    private final TextModel model;
    private final TextModelConfig config;
    private final Backend backend;
    private final int contextLength;
    private final List<Matrix> keyCache = new ArrayList<>();
    private final List<Matrix> valueCache = new ArrayList<>();
    private final Matrix lastHidden;
    private final Matrix normed;
    private final Matrix logits;
    private Scratch scratch;
    private int position;
    private boolean hasPrediction;
    private boolean closed;

    DecoderSession(TextModel model, int contextLength) {
        if (contextLength <= 0) {
            throw new IllegalArgumentException("context length must be positive, got " + contextLength);
        }
        this.model = model;
        this.config = model.config();
        this.backend = model.backend();
        this.contextLength = contextLength;
        for (int l = 0; l < config.blockCount(); l++) {
            keyCache.add(backend.matrix(contextLength, config.kvWidth()));
            valueCache.add(backend.matrix(contextLength, config.kvWidth()));
        }
        this.lastHidden = backend.matrix(1, config.embeddingLength());
        this.normed = backend.matrix(1, config.embeddingLength());
        this.logits = backend.matrix(1, config.vocabSize());
    }

    public TextModel model() {
        return model;
    }

    /** Positions filled so far (the next input starts here). */
    public int position() {
        return position;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Positions still free in the context. */
    public int remaining() {
        return contextLength - position;
    }

    /** Runs the model over {@code inputs} in order, as one prompt. Checks the whole prompt fits before any compute. */
    public void append(List<DecoderInput> inputs) {
        checkOpen();
        int total = 0;
        for (DecoderInput in : inputs) {
            total = Math.addExact(total, in.length());
        }
        if (position + total > contextLength) {
            throw new PromptTooLongException(position + total, contextLength);
        }
        for (DecoderInput in : inputs) {
            validate(in);
        }
        for (DecoderInput in : inputs) {
            for (int from = 0; from < in.length(); from += MAX_BATCH) {
                forward(in, from, Math.min(MAX_BATCH, in.length() - from));
            }
        }
    }

    public void append(DecoderInput... inputs) {
        append(List.of(inputs));
    }

    /** Forgets every position from {@code newPosition} on (rolls a conversation back); the next append starts there. */
    public void truncate(int newPosition) {
        checkOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot truncate to " + newPosition + ": session is at " + position);
        }
        if (newPosition < position) {
            position = newPosition;
            hasPrediction = false;
        }
    }

    /** Logits for the next position (after the last appended input), computed on the backend and copied out. */
    public float[] logits() {
        backend.stage("logits", this::computeLogits);
        return backend.read(logits);
    }

    /** The most likely next token, found on the backend (only the id comes back). */
    public int argmax() {
        return backend.stage("logits", () -> {
            computeLogits();
            return backend.argmax(logits, 0);
        });
    }

    private void computeLogits() {
        checkOpen();
        if (!hasPrediction) {
            throw new IllegalStateException("nothing appended yet: there is no next position to predict");
        }
        backend.rmsNorm(lastHidden, model.outputNorm(), config.rmsEpsilon(), normed);
        backend.matmul(model.output(), normed, logits);
    }

    private void validate(DecoderInput in) {
        switch (in) {
            case DecoderInput.Tokens t -> {
                for (int id : t.ids()) {
                    if (id < 0 || id >= config.vocabSize()) {
                        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (config.vocabSize() - 1));
                    }
                }
            }
            case DecoderInput.Embeddings e -> {
                if (e.rows().cols() != config.embeddingLength()) {
                    throw new IllegalArgumentException("embedding rows have " + e.rows().cols() + " values, the model's width is "
                            + config.embeddingLength());
                }
            }
        }
    }

    /** One pass over {@code n} positions of {@code in} starting at its row {@code from}. */
    private void forward(DecoderInput in, int from, int n) {
        Scratch s = scratch(n);
        Matrix x = s.x.rows(0, n);
        switch (in) {
            case DecoderInput.Tokens t -> {
                int[] ids = new int[n];
                System.arraycopy(t.ids(), from, ids, 0, n);
                backend.getRows(model.tokenEmbeddings(), ids, x);
            }
            case DecoderInput.Embeddings e -> backend.copy(e.rows().rows(from, n), x);
        }
        int pos0 = position;
        int layers = model.layers().size();
        for (int l = 0; l < layers; l++) {
            int layer = l;
            Matrix input = x;
            x = backend.stage("decoder-layer", () -> layer(layer, input, s, n, pos0));
        }
        backend.copy(x.row(x.rows() - 1), lastHidden);
        position += n;
        hasPrediction = true;
    }

    /**
     * Decoder block {@code l} over the {@code n} rows of {@code x} at positions {@code pos0..}: returns the residual
     * stream after it ({@code x}, or only its last row for the last block of a multi-row pass).
     */
    private Matrix layer(int l, Matrix x, Scratch s, int n, int pos0) {
        AttentionShape shape = config.attentionShape();
        List<TextModel.Layer> layers = model.layers();
        TextModel.Layer w = layers.get(l);
        Matrix h = s.h.rows(0, n);
        Matrix q = s.q.rows(0, n);
        // K and V go straight into their cache rows (RoPE applied there): no copy.
        Matrix k = keyCache.get(l).rows(pos0, n);
        Matrix v = valueCache.get(l).rows(pos0, n);
        backend.rmsNorm(x, w.attnNorm(), config.rmsEpsilon(), h);
        backend.matmuls(new Weight[] {w.wq(), w.wk(), w.wv()}, new Weight[] {w.bq(), w.bk(), w.bv()}, h, new Matrix[] {q, k, v});
        backend.rope(q, config.headDim(), config.rope(), pos0);
        backend.rope(k, config.headDim(), config.rope(), pos0);
        Matrix att = s.att.rows(0, n);
        backend.attention(q, keyCache.get(l), valueCache.get(l), att, shape, pos0 + n, true, pos0);

        // Only the last position's prediction is ever read, so the last block (after its K/V are cached)
        // runs for that row alone, as llama.cpp does.
        int rows = n;
        Matrix residual = x;
        if (l == layers.size() - 1 && n > 1) {
            rows = 1;
            att = att.row(n - 1);
            residual = x.row(n - 1);
        }
        Matrix o = s.h.rows(0, rows);
        backend.matmul(w.wo(), att, o);
        backend.add(residual, o, residual);
        Matrix hn = s.h.rows(0, rows);
        backend.rmsNorm(residual, w.ffnNorm(), config.rmsEpsilon(), hn);
        Matrix gate = s.gate.rows(0, rows);
        Matrix up = s.up.rows(0, rows);
        backend.matmuls(new Weight[] {w.gate(), w.up()}, new Weight[] {null, null}, hn, new Matrix[] {gate, up});
        backend.swiglu(gate, up, gate);
        Matrix down = s.h.rows(0, rows);
        backend.matmul(w.down(), gate, down);
        backend.add(residual, down, residual);
        return residual;
    }

    /** Activation buffers for up to {@code n} positions, grown on demand and reused. */
    private Scratch scratch(int n) {
        if (scratch == null || scratch.capacity < n) {
            int capacity = Math.max(n, scratch == null ? 1 : scratch.capacity);
            if (scratch != null) {
                scratch.release(backend);
            }
            scratch = new Scratch(capacity, backend, config);
        }
        return scratch;
    }

    private record Scratch(int capacity, Matrix x, Matrix h, Matrix q, Matrix att, Matrix gate, Matrix up) {
        Scratch(int capacity, Backend b, TextModelConfig c) {
            this(capacity,
                    b.matrix(capacity, c.embeddingLength()),
                    b.matrix(capacity, c.embeddingLength()),
                    b.matrix(capacity, c.queryWidth()),
                    b.matrix(capacity, c.queryWidth()),
                    b.matrix(capacity, c.feedForwardLength()),
                    b.matrix(capacity, c.feedForwardLength()));
        }

        void release(Backend b) {
            for (Matrix m : List.of(x, h, q, att, gate, up)) {
                b.release(m);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this decoder session is closed");
        }
    }

    /** Frees the KV cache and the activation buffers on the backend now (device memory); the session is unusable after. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Matrix m : keyCache) {
            backend.release(m);
        }
        for (Matrix m : valueCache) {
            backend.release(m);
        }
        backend.release(lastHidden);
        backend.release(normed);
        backend.release(logits);
        if (scratch != null) {
            scratch.release(backend);
        }
    }
}
