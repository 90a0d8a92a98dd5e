package dev.vlm4j.gguf;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every .gguf llama.cpp made for the fixtures opens, and spot values agree with models/GGUF-CONTENTS.md. */
class GgufFixturesTest {
    @Test
    void everyFixtureGgufOpens() throws IOException {
        Path root = Fixtures.require("models").getParent();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertTrue(files.size() >= 11, "expected the fixture set's GGUF files, found " + files);
        for (Path p : files) {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(3, f.version(), p + " version");
                for (var info : f.tensorInfos()) {
                    assertEquals(info.byteSize(), f.tensor(info.name()).data().byteSize());
                }
            }
        }
    }

    @Test
    void mmprojF16MatchesGgufContents() {
        try (GgufFile f = GgufFile.open(Fixtures.require("models/tiny-llava/tiny-llava-mmproj-f16.gguf"))) {
            var md = f.metadata();
            var patch = f.tensorInfos().stream().filter(t -> t.name().equals("v.patch_embd.weight")).findFirst().orElseThrow();
            assertAll(
                    () -> assertEquals("clip", md.string("general.architecture")),
                    () -> assertEquals(112, md.intValue("clip.vision.image_size")),
                    () -> assertEquals(14, md.intValue("clip.vision.patch_size")),
                    () -> assertEquals(0.48145466f, md.floatArray("clip.vision.image_mean")[0], 1e-7),
                    () -> assertEquals(57, f.tensorInfos().size()),
                    () -> assertEquals(4000, f.dataOffset()),
                    () -> assertEquals(GgmlType.F16, patch.type()),
                    () -> assertEquals(Shape.of(14, 14, 3, 48), patch.shape()),
                    () -> assertEquals(4192, f.dataOffset() + patch.offset()));
        }
    }
}
