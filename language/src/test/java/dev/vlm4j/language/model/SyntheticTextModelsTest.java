package dev.vlm4j.language.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.language.tokenizer.Tokenizer;
import dev.vlm4j.tensor.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic models carry the vocabulary llama.cpp needs to load them, and it works as a tokenizer. */
class SyntheticTextModelsTest {
    @Test
    void aSyntheticModelHasAWorkingSentencePieceVocabulary(@TempDir Path dir) {
        Path p = dir.resolve("small.gguf");
        SyntheticTextModels.write(DecoderSessionTest.SMALL, GgmlType.Q8_0, 5, p);
        try (GgufFile f = GgufFile.open(p)) {
            // the keys llama.cpp's vocabulary loader reads for a "llama" (SentencePiece) tokenizer
            assertEquals("llama", f.metadata().string("tokenizer.ggml.model"));
            for (String key : new String[] {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
                assertTrue(f.metadata().contains(key), key);
            }
            Tokenizer t = Tokenizer.fromGguf(f);
            String text = "héllo wörld, 123!";
            int[] ids = t.encode(text, false, false);
            assertTrue(ids.length > 0);
            for (int id : ids) {
                assertTrue(id >= 0 && id < DecoderSessionTest.SMALL.vocab(), "id " + id);
            }
            assertEquals(text, t.decode(ids), "round-trips through the byte tokens");
            assertArrayEquals(new int[] {1}, t.encode("<s>", false, true), "<s> is the control token 1");
        }
        var tooSmall = new SyntheticTextModels.Spec("tiny", 64, 1, 4, 2, 128, 100, 64);
        assertThrows(IllegalArgumentException.class, () -> SyntheticTextModels.write(tooSmall, GgmlType.F32, 1, dir.resolve("t.gguf")));
    }
}
