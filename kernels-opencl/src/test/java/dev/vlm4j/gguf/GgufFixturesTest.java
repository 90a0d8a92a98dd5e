package dev.vlm4j.gguf;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.testing.GgufContents;
import dev.vlm4j.testing.GgufContents.FileContents;
import dev.vlm4j.testing.GgufContents.KeyRow;
import dev.vlm4j.testing.GgufContents.TensorRow;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every .gguf llama.cpp made for the fixtures opens, and the reader agrees with models/GGUF-CONTENTS.md (written by
 * gguf-py) on every header field, every key's type and value, and every tensor's name, type, shape and offset.
 */
class GgufFixturesTest {
    /** Every .gguf under fixtures/ (skips the calling test when the fixtures are absent). */
    static List<Path> fixtureGgufs() throws IOException {
        Path root = Fixtures.require("models").getParent();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    @Test
    void everyFixtureGgufOpensAndEveryTensorSlices() throws IOException {
        List<Path> files = fixtureGgufs();
        assertTrue(files.size() >= 13, "expected the fixture set's 13 GGUF files (8 models, 5 vocab-only), found " + files);
        int vocabOnly = 0;
        for (Path p : files) {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(3, f.version(), p + " version");
                assertTrue(f.metadata().contains("general.architecture"), p + " has general.architecture");
                if (f.tensorInfos().isEmpty()) {
                    vocabOnly++;
                    assertTrue(f.metadata().stringArray("tokenizer.ggml.tokens").size() > 1000, p + " vocab-only file has a vocabulary");
                }
                long lastEnd = 0;
                for (GgufTensorInfo info : f.tensorInfos()) {
                    Tensor t = f.tensor(info.name());
                    assertEquals(info.byteSize(), t.data().byteSize(), p + " " + info.name() + " bytes");
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1); // the last byte is mapped
                    lastEnd = Math.max(lastEnd, f.dataOffset() + info.offset() + info.byteSize());
                }
                assertTrue(lastEnd <= f.fileSize(), p + " data ends inside the file");
            }
        }
        assertTrue(vocabOnly >= 5, "the tokenizer folder's five vocab-only files have no tensors; found " + vocabOnly);
    }

    /**
     * Our writer lays a file out as llama.cpp's gguf-py does: reading each fixture and writing it back gives the very
     * same bytes (header, every key in order, tensor infos, padding, data).
     */
    @Test
    void writerReproducesEveryFixtureByteForByte(@TempDir Path dir) throws IOException {
        List<Executable> checks = new ArrayList<>();
        for (Path p : fixtureGgufs()) {
            checks.add(() -> {
                Path copy = dir.resolve(p.getFileName());
                try (GgufFile f = GgufFile.open(p)) {
                    GgufWriter w = new GgufWriter().version(f.version()).putAll(f.metadata().asMap());
                    f.tensorInfos().forEach(info -> w.tensor(f.tensor(info.name())));
                    w.write(copy);
                }
                try (Arena arena = Arena.ofConfined();
                     FileChannel a = FileChannel.open(p);
                     FileChannel b = FileChannel.open(copy)) {
                    MemorySegment original = a.map(FileChannel.MapMode.READ_ONLY, 0, a.size(), arena);
                    MemorySegment written = b.map(FileChannel.MapMode.READ_ONLY, 0, b.size(), arena);
                    long at = original.mismatch(written);
                    assertEquals(-1, at, p + ": written copy (" + written.byteSize() + " bytes) differs from the original ("
                            + original.byteSize() + " bytes) first at byte " + at);
                }
                Files.delete(copy);
            });
        }
        assertAll(checks);
    }

    @Test
    void everyModelFileMatchesGgufContents() {
        Path models = Fixtures.require("models/GGUF-CONTENTS.md").getParent();
        GgufContents contents = GgufContents.load(models.resolve("GGUF-CONTENTS.md"));
        assertEquals(8, contents.files().size(), "GGUF-CONTENTS.md documents the 8 model files: " + contents.files().keySet());
        List<Executable> checks = new ArrayList<>();
        for (FileContents doc : contents.files().values()) {
            Path file = models.getParent().resolve(doc.relativePath());
            checks.add(() -> {
                try (GgufFile f = GgufFile.open(file)) {
                    assertMatches(doc, f);
                }
            });
        }
        assertAll(checks);
    }

    /** The reader's view of {@code f} equals the document's, row by row, in file order. */
    static void assertMatches(FileContents doc, GgufFile f) {
        String name = doc.relativePath();
        assertEquals(doc.version(), f.version(), name + " GGUF.version");
        assertEquals(doc.kvCount(), f.metadata().size(), name + " GGUF.kv_count");
        assertEquals(doc.tensorCount(), f.tensorInfos().size(), name + " GGUF.tensor_count");

        List<String> keys = List.copyOf(f.metadata().keys());
        assertEquals(doc.keys().stream().map(KeyRow::key).toList(), keys, name + ": keys in file order");
        Map<String, GgufValue> values = f.metadata().asMap();
        for (KeyRow row : doc.keys()) {
            GgufValue v = values.get(row.key());
            assertEquals(row.type(), GgufContents.typeName(v), name + " type of " + row.key());
            assertEquals(row.value(), GgufContents.render(v), name + " value of " + row.key());
        }

        assertEquals(doc.tensors().size(), f.tensorInfos().size(), name + " tensors");
        for (TensorRow row : doc.tensors()) {
            GgufTensorInfo info = f.tensorInfos().get(row.index());
            String what = name + " tensor #" + row.index() + " " + row.name();
            assertEquals(row.name(), info.name(), what + " name");
            assertEquals(row.type(), info.type().name(), what + " type");
            assertArrayEquals(row.ne(), info.shape().ne(), what + " ne");
            assertEquals(row.dataOffset(), f.dataOffset() + info.offset(), what + " absolute data offset");
        }
    }

    @Test
    void mmprojF16SpotValues() {
        try (GgufFile f = GgufFile.open(Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f16.gguf"))) {
            var md = f.metadata();
            var patch = f.tensorInfos().stream().filter(t -> t.name().equals("v.patch_embd.weight")).findFirst().orElseThrow();
            assertAll(
                    () -> assertEquals("clip", md.string("general.architecture")),
                    () -> assertEquals(112, md.intValue("clip.vision.image_size")),
                    () -> assertEquals(14, md.intValue("clip.vision.patch_size")),
                    () -> assertEquals(false, md.bool("clip.use_gelu")),
                    () -> assertArrayEquals(new float[] {0.48145467f, 0.4578275f, 0.40821072f}, md.floatArray("clip.vision.image_mean")),
                    () -> assertEquals(57, f.tensorInfos().size()),
                    () -> assertEquals(4000, f.dataOffset()),
                    () -> assertEquals(GgmlType.F16, patch.type()),
                    () -> assertEquals(Shape.of(14, 14, 3, 48), patch.shape()),
                    () -> assertEquals(4192, f.dataOffset() + patch.offset()));
        }
    }

    @Test
    void llama3VocabularyReadsInFull() {
        try (GgufFile f = GgufFile.open(Fixtures.require("models/tiny-llama3-bpe/tiny-llama3-bpe-q8_0.gguf"))) {
            var md = f.metadata();
            List<String> tokens = md.stringArray("tokenizer.ggml.tokens");
            List<String> merges = md.stringArray("tokenizer.ggml.merges");
            int[] types = md.intArray("tokenizer.ggml.token_type");
            assertAll(
                    () -> assertEquals(128256, tokens.size()),
                    () -> assertEquals(List.of("!", "\"", "#"), tokens.subList(0, 3)),
                    () -> assertEquals("<|begin_of_text|>", tokens.get(md.intValue("tokenizer.ggml.bos_token_id"))),
                    () -> assertEquals(280147, merges.size()),
                    () -> assertEquals("Ġ Ġ", merges.get(0)),
                    () -> assertEquals(128256, types.length),
                    () -> assertEquals(1, types[0]));
        }
    }
}
