package dev.vlm4j.language.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.Matrix;
import dev.vlm4j.kernels.cpu.CpuBackend;
import dev.vlm4j.tensor.GgmlType;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session mechanics on a small synthetic model (no fixtures needed): batched prefill equals token-by-token decode,
 * chunking past {@link DecoderSession#MAX_BATCH}, embeddings input equals token input, truncation, and the
 * errors a caller can provoke.
 */
class DecoderSessionTest {
    static final SyntheticTextModels.Spec SMALL = new SyntheticTextModels.Spec("small", 64, 2, 4, 2, 128, 300, 2048);

    @TempDir
    static Path dir;
    static GgufFile file;
    static Backend backend;
    static TextModel model;

    @BeforeAll
    static void load() {
        Path p = dir.resolve("small-f32.gguf");
        SyntheticTextModels.write(SMALL, GgmlType.F32, 5, p);
        file = GgufFile.open(p);
        backend = new CpuBackend(2);
        model = TextModel.load(file, backend);
    }

    @AfterAll
    static void close() {
        backend.close();
        file.close();
    }

    private static int[] randomTokens(int n, long seed) {
        return new SplittableRandom(seed).ints(n, 0, SMALL.vocab()).toArray();
    }

    @Test
    void aClosedSessionRefusesWorkAndClosingTwiceIsHarmless() {
        DecoderSession s = model.newSession(16);
        s.append(DecoderInput.tokens(randomTokens(3, 9)));
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.append(DecoderInput.tokens(1)));
        assertThrows(IllegalStateException.class, s::argmax);
        assertThrows(IllegalStateException.class, s::logits);
    }

    /** Closing a session frees its KV cache and buffers on the device at once (OpenCL; skipped without a device). */
    @Test
    void closingASessionFreesItsDeviceMemory() {
        try (Backend ocl = dev.vlm4j.testing.TestBackends.openCl()) {
            TextModel onDevice = TextModel.load(file, ocl);
            dev.vlm4j.kernels.opencl.OpenClBackend cl = (dev.vlm4j.kernels.opencl.OpenClBackend) ocl;
            try (DecoderSession warmUp = onDevice.newSession(32)) { // the backend's own scratch buffers grow on first use
                warmUp.append(DecoderInput.tokens(randomTokens(20, 10)));
                warmUp.argmax();
            }
            int before = cl.liveBuffers();
            try (DecoderSession s = onDevice.newSession(32)) {
                s.append(DecoderInput.tokens(randomTokens(20, 10)));
                s.append(DecoderInput.tokens(s.argmax()));
                assertTrue(cl.liveBuffers() > before + 2 * SMALL.layers(), "KV caches and scratch are device buffers");
            }
            assertEquals(before, cl.liveBuffers(), "every buffer of the session is freed on close");
        }
    }

    /** Rows are computed independently, so batching must not change a single bit of the result. */
    @Test
    void batchedPrefillEqualsTokenByToken() {
        int[] tokens = randomTokens(40, 1);
        float[] batched;
        try (DecoderSession s = model.newSession(64)) {
            s.append(DecoderInput.tokens(tokens));
            batched = s.logits();
        }
        try (DecoderSession s = model.newSession(64)) {
            for (int t : tokens) {
                s.append(DecoderInput.tokens(t));
            }
            assertArrayEquals(batched, s.logits(), 0f, "prefill of 40 tokens vs 40 single steps (exact)");
        }
    }

    @Test
    void promptsLongerThanOneBatchAreSplitTransparently() {
        int[] tokens = randomTokens(DecoderSession.MAX_BATCH + 37, 2);
        float[] whole;
        try (DecoderSession s = model.newSession(1024)) {
            s.append(DecoderInput.tokens(tokens));
            whole = s.logits();
            assertEquals(tokens.length, s.position());
        }
        try (DecoderSession s = model.newSession(1024)) {
            s.append(DecoderInput.tokens(java.util.Arrays.copyOf(tokens, 100)));
            s.append(DecoderInput.tokens(java.util.Arrays.copyOfRange(tokens, 100, tokens.length)));
            assertArrayEquals(whole, s.logits(), 0f, "one append of 549 tokens vs two appends (exact)");
        }
    }

    @Test
    void embeddingRowsEqualTheTokensTheyCameFrom() {
        int[] tokens = randomTokens(12, 3);
        Matrix rows = backend.matrix(tokens.length, SMALL.dim());
        backend.getRows(model.tokenEmbeddings(), tokens, rows);
        float[] viaTokens;
        try (DecoderSession s = model.newSession(32)) {
            s.append(DecoderInput.tokens(tokens));
            viaTokens = s.logits();
        }
        try (DecoderSession s = model.newSession(32)) {
            s.append(List.of(DecoderInput.tokens(tokens[0]), DecoderInput.embeddings(rows.rows(1, 11))));
            assertArrayEquals(viaTokens, s.logits(), 0f, "embedding rows in place of token ids (exact)");
        }
    }

    @Test
    void truncateRollsBackSoTheSameInputGivesTheSameLogits() {
        int[] tokens = randomTokens(20, 4);
        try (DecoderSession s = model.newSession(32)) {
            s.append(DecoderInput.tokens(tokens));
            float[] first = s.logits();
            s.append(DecoderInput.tokens(5, 6, 7));
            s.truncate(10);
            s.append(DecoderInput.tokens(java.util.Arrays.copyOfRange(tokens, 10, 20)));
            assertArrayEquals(first, s.logits(), 0f, "after truncating to 10 and re-appending (exact)");
        }
    }

    @Test
    void rejectsWhatItCannotDoBeforeComputing() {
        try (DecoderSession s = model.newSession(16)) {
            s.append(DecoderInput.tokens(1, 2, 3));
            PromptTooLongException e = assertThrows(PromptTooLongException.class, () -> s.append(DecoderInput.tokens(randomTokens(14, 5))));
            assertEquals(17, e.required());
            assertEquals(3, s.position(), "a refused prompt leaves the session as it was");
            assertThrows(IllegalArgumentException.class, () -> s.append(DecoderInput.tokens(SMALL.vocab())));
            assertThrows(IllegalArgumentException.class, () -> s.append(DecoderInput.embeddings(backend.matrix(2, SMALL.dim() + 1))));
            assertEquals(3, s.position());
        }
        try (DecoderSession s = model.newSession(8)) {
            IllegalStateException none = assertThrows(IllegalStateException.class, s::logits);
            assertTrue(none.getMessage().contains("nothing appended"));
        }
    }

    @Test
    void configComesFromTheFile() {
        TextModelConfig c = model.config();
        assertEquals(TextArchitecture.LLAMA, c.architecture());
        assertEquals(64, c.embeddingLength());
        assertEquals(16, c.headDim());
        assertEquals(2, c.headCountKv());
        assertEquals(300, c.vocabSize());
        assertEquals(false, c.tiedOutput());
    }
}
