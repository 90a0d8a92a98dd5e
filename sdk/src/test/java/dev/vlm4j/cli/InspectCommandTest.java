package dev.vlm4j.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.gguf.GgufValueType;
import dev.vlm4j.gguf.GgufWriter;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.testing.Fixtures;
import dev.vlm4j.testing.GgufContents;
import dev.vlm4j.testing.GgufContents.FileContents;
import dev.vlm4j.testing.GgufContents.KeyRow;
import dev.vlm4j.testing.GgufContents.TensorRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vlm4j inspect}: the text and JSON reports of a known file, exit 3 with one clear line for a file that is not
 * a valid GGUF, exit 2 for usage errors, and the fixture models shown as llama.cpp's gguf-py documents them.
 */
class InspectCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    @TempDir
    Path dir;

    private Path sample;

    record Run(int exit, String out, String err) {}

    static Run vlm4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Every kind of value the report renders, and two tensors of different types. */
    @BeforeEach
    void writeSample() {
        sample = dir.resolve("sample.gguf");
        long[] twenty = new long[20];
        Arrays.setAll(twenty, i -> i * 10L);
        new GgufWriter()
                .put("general.architecture", GgufValue.str("llama"))
                .put("test.u32", new GgufValue.Int(GgufValueType.UINT32, 4_000_000_000L))
                .put("test.u64.max", new GgufValue.Int(GgufValueType.UINT64, -1))
                .put("test.i8", new GgufValue.Int(GgufValueType.INT8, -7))
                .put("test.f32", new GgufValue.Float32(0.25f))
                .put("test.f64", new GgufValue.Float64(-1.5))
                .put("test.flag", new GgufValue.Bool(true))
                .put("test.text", GgufValue.str("two\nlines and an \u001b[2J escape"))
                .put("test.long", GgufValue.str("x".repeat(200)))
                .put("test.short_array", new GgufValue.Array(GgufValueType.FLOAT32,
                        List.of(new GgufValue.Float32(1), new GgufValue.Float32(-2))))
                .put("test.long_array", new GgufValue.Array(GgufValueType.UINT32,
                        Arrays.stream(twenty).<GgufValue>mapToObj(v -> new GgufValue.Int(GgufValueType.UINT32, v)).toList()))
                .put("test.nested", new GgufValue.Array(GgufValueType.ARRAY, List.of(
                        new GgufValue.Array(GgufValueType.STRING, List.of(new GgufValue.Str("a"))),
                        new GgufValue.Array(GgufValueType.BOOL, List.of()))))
                .tensor("w", GgmlType.F32, Shape.of(4, 2), new float[8])
                .tensor("q", GgmlType.Q8_0, Shape.of(32), new float[32])
                .write(sample);
    }

    @Test
    void textReport() throws IOException {
        Run r = vlm4j("inspect", sample.toString());
        long size = Files.size(sample);
        List<String> lines = r.out().lines().toList();
        assertAll(r.out() + r.err(),
                () -> assertEquals(0, r.exit(), "exit code"),
                () -> assertEquals("", r.err(), "nothing on stderr"),
                () -> assertEquals(String.format(Locale.ROOT, "file:        %s (%,d bytes)", sample, size), lines.get(0)),
                () -> assertEquals("GGUF:        version 3, 2 tensors, 12 metadata keys, alignment 32, data at byte "
                        + String.format(Locale.ROOT, "%,d", size - 96), lines.get(1), "header line: w (32 bytes) and q (34) padded to 32"),
                () -> assertTrue(lines.contains("metadata:"), "metadata section"),
                () -> assertEquals(12, lines.stream().filter(l -> l.matches("  (general|test)\\.\\S+ +\\S.*")).count(), "one line per key"),
                () -> assertLine(lines, "general.architecture", "'llama'"),
                () -> assertLine(lines, "test.u32", "4000000000"),
                () -> assertLine(lines, "test.u64.max", "18446744073709551615"),
                () -> assertLine(lines, "test.i8", "-7"),
                () -> assertLine(lines, "test.f32", "0.25"),
                () -> assertLine(lines, "test.f64", "-1.5"),
                () -> assertLine(lines, "test.flag", "true"),
                () -> assertLine(lines, "test.text", "'two\\nlines and an \\u001b[2J escape'"),
                () -> assertLine(lines, "test.long", "'" + "x".repeat(77) + "...'"),
                () -> assertLine(lines, "test.short_array", "[1.0, -2.0] (2 FLOAT32)"),
                () -> assertLine(lines, "test.long_array", "[0, 10, 20, 30, 40, 50, 60, 70, ...] (20 UINT32)"),
                () -> assertLine(lines, "test.nested", "[['a'] (1 STRING), [] (0 BOOL)] (2 ARRAY)"),
                () -> assertFalse(r.out().contains("\u001b"), "no raw escape character reaches the terminal"),
                () -> assertTrue(lines.stream().anyMatch(l -> l.matches("  w +F32 +\\[4, 2] +32 +[\\d,]+")), "tensor row w"),
                () -> assertTrue(lines.stream().anyMatch(l -> l.matches("  q +Q8_0 +\\[32] +34 +[\\d,]+")), "tensor row q"),
                () -> assertTrue(lines.contains("totals:      40 parameters, 66 bytes of tensor data"), "totals line"),
                () -> assertTrue(lines.stream().anyMatch(l -> l.matches("  F32 +1 tensors +8 parameters +32 bytes")), "F32 total"),
                () -> assertTrue(lines.stream().anyMatch(l -> l.matches("  Q8_0 +1 tensors +32 parameters +34 bytes")), "Q8_0 total"));
    }

    private static void assertLine(List<String> lines, String key, String shown) {
        String line = lines.stream().filter(l -> l.startsWith("  " + key + " ")).findFirst().orElse("(no line for " + key + ")");
        assertEquals(shown, line.substring(Math.min(line.length(), 2 + 45 + 1)), "value shown for " + key + " in: " + line);
    }

    @Test
    void jsonReport() throws IOException {
        Run r = vlm4j("inspect", "--json", sample.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = JSON.readTree(r.out());
        JsonNode md = j.get("metadata");
        JsonNode tensors = j.get("tensors");
        assertAll(r.out(),
                () -> assertEquals(List.of("file", "fileSize", "version", "tensorCount", "kvCount", "alignment", "dataOffset",
                        "metadata", "tensors", "totalParameters", "totalTensorBytes", "byType"), fieldNames(j), "top-level fields"),
                () -> assertEquals(sample.toString(), j.get("file").asText()),
                () -> assertEquals(Files.size(sample), j.get("fileSize").asLong()),
                () -> assertEquals(3, j.get("version").asInt()),
                () -> assertEquals(2, j.get("tensorCount").asInt()),
                () -> assertEquals(12, j.get("kvCount").asInt()),
                () -> assertEquals(32, j.get("alignment").asInt()),
                () -> assertEquals(Files.size(sample) - 96, j.get("dataOffset").asLong(), "w (32 bytes) and q (34) padded to 32"),
                () -> assertEquals(12, md.size(), "one entry per key"),
                () -> assertEquals("llama", md.get("general.architecture").textValue()),
                () -> assertEquals(4_000_000_000L, md.get("test.u32").longValue()),
                () -> assertEquals("18446744073709551615", md.get("test.u64.max").bigIntegerValue().toString(), "UINT64 unsigned"),
                () -> assertTrue(md.get("test.u64.max").isIntegralNumber(), "UINT64 as a JSON number"),
                () -> assertEquals(-7, md.get("test.i8").intValue()),
                () -> assertEquals(0.25, md.get("test.f32").doubleValue()),
                () -> assertEquals(-1.5, md.get("test.f64").doubleValue()),
                () -> assertTrue(md.get("test.flag").booleanValue()),
                () -> assertEquals("two\nlines and an \u001b[2J escape", md.get("test.text").textValue(), "strings in full, exact"),
                () -> assertEquals(200, md.get("test.long").textValue().length(), "long strings in full"),
                () -> assertTrue(r.out().contains("\"test.short_array\" : {\n      \"type\" : \"FLOAT32\",\n      \"count\" : 2,\n"
                        + "      \"values\" : [ 1.0, -2.0 ]\n    }"), "short arrays in full, with their element type and count"),
                () -> assertEquals("{\"type\":\"UINT32\",\"count\":20,\"first\":[0,10,20,30,40,50,60,70]}",
                        md.get("test.long_array").toString(), "long arrays abbreviated to their first 8"),
                () -> assertEquals("{\"type\":\"ARRAY\",\"count\":2,\"values\":[{\"type\":\"STRING\",\"count\":1,\"values\":[\"a\"]},"
                        + "{\"type\":\"BOOL\",\"count\":0,\"values\":[]}]}", md.get("test.nested").toString()),
                () -> assertEquals(2, tensors.size()),
                () -> assertEquals(List.of("name", "type", "shape", "bytes", "offset"), fieldNames(tensors.get(0))),
                () -> assertEquals("{\"name\":\"w\",\"type\":\"F32\",\"shape\":[4,2],\"bytes\":32,\"offset\":"
                        + (Files.size(sample) - 96) + "}", tensors.get(0).toString()),
                () -> assertEquals("{\"name\":\"q\",\"type\":\"Q8_0\",\"shape\":[32],\"bytes\":34,\"offset\":"
                        + (Files.size(sample) - 64) + "}", tensors.get(1).toString()),
                () -> assertEquals(40, j.get("totalParameters").asLong()),
                () -> assertEquals(66, j.get("totalTensorBytes").asLong()),
                () -> assertEquals("{\"F32\":{\"tensors\":1,\"parameters\":8,\"bytes\":32},\"Q8_0\":{\"tensors\":1,\"parameters\":32,\"bytes\":34}}",
                        j.get("byType").toString()));

        Run full = vlm4j("inspect", "--json", "--full-arrays", sample.toString());
        JsonNode longArray = JSON.readTree(full.out()).get("metadata").get("test.long_array");
        assertEquals(20, longArray.get("values").size(), "--full-arrays shows every element: " + longArray);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void corruptFilesExitWithCode3AndOneClearLine() throws IOException {
        byte[] whole = Files.readAllBytes(sample);
        Path truncated = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(whole, whole.length - 40));
        Path notGguf = Files.writeString(dir.resolve("notes.gguf"), "hello, I am a text file\n");
        byte[] lying = whole.clone();
        lying[16] = (byte) 0xff; // kv_count's low byte: 255 pairs cannot fit
        Path badCount = Files.write(dir.resolve("count.gguf"), lying);
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        record Case(Path file, String start, String problem) {}
        List<Executable> checks = new ArrayList<>();
        for (Case c : List.of(
                new Case(truncated, truncated + ": invalid GGUF at byte ",
                        " (tensor 'q' offset): data bytes 32..66 (34 bytes of Q8_0 [32]) lie outside the data section of 56 bytes"),
                new Case(notGguf, notGguf + ": invalid GGUF at byte 0 (magic): ", "not a GGUF file (starts with 0x68656c6c, expected 'GGUF')"),
                new Case(badCount, badCount + ": invalid GGUF at byte 16 (kv_count): ", "255 key/value pairs cannot fit"),
                new Case(empty, empty + ": invalid GGUF at byte 0 (magic): ", "the file is empty"),
                new Case(dir.resolve("absent.gguf"), dir.resolve("absent.gguf") + ": ", "no such file"),
                new Case(dir, dir + ": ", "is a directory, not a GGUF file"))) {
            for (String[] args : List.of(new String[] {"inspect", c.file().toString()}, new String[] {"inspect", "--json", c.file().toString()})) {
                checks.add(() -> {
                    Run r = vlm4j(args);
                    assertAll(String.join(" ", args) + " -> " + r,
                            () -> assertEquals(Main.EXIT_MODEL_ERROR, r.exit(), "exit code 3"),
                            () -> assertEquals("", r.out(), "nothing on stdout"),
                            () -> assertEquals(1, r.err().lines().count(), "one line on stderr"),
                            () -> assertTrue(r.err().startsWith("vlm4j: " + c.start()), "names the file (and offset, field)"),
                            () -> assertTrue(r.err().contains(c.problem()), "says what is wrong"));
                });
            }
        }
        assertAll(checks);
    }

    @Test
    void usageErrorsExitWithCode2() {
        record Case(List<String> args, String message) {}
        List<Executable> checks = new ArrayList<>();
        for (Case c : List.of(
                new Case(List.of("inspect"), "Missing required parameter: 'FILE.gguf'"),
                new Case(List.of("inspect", "--bogus", sample.toString()), "Unknown option: '--bogus'"),
                new Case(List.of("inspect", sample.toString(), sample.toString()), "Unmatched argument"),
                new Case(List.of("no-such-command"), "Unmatched argument at index 0: 'no-such-command'"))) {
            checks.add(() -> {
                Run r = vlm4j(c.args().toArray(String[]::new));
                assertAll(c.args() + " -> " + r,
                        () -> assertEquals(Main.EXIT_USAGE, r.exit(), "exit code 2"),
                        () -> assertEquals("", r.out(), "nothing on stdout"),
                        () -> assertTrue(r.err().startsWith(c.message()), "says what is wrong first"),
                        () -> assertTrue(c.args().getFirst().equals("no-such-command") || r.err().contains("Usage: vlm4j inspect"),
                                "shows the usage"));
            });
        }
        assertAll(checks);
        Run help = vlm4j("inspect", "--help");
        assertEquals(Main.EXIT_OK, help.exit(), "--help is not an error");
        assertTrue(help.out().startsWith("Usage: vlm4j inspect"), help.out());
    }

    /** Every .gguf under fixtures/ (models and vocab-only tokenizer files) inspects cleanly, as text and as JSON. */
    @Test
    void everyFixtureGgufInspects() throws IOException {
        Path root = Fixtures.require("models").getParent();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertTrue(files.size() >= 13, "the fixture set's 13 GGUF files: " + files);
        List<Executable> checks = new ArrayList<>();
        for (Path p : files) {
            checks.add(() -> {
                Run text = vlm4j("inspect", p.toString());
                assertEquals(0, text.exit(), p + ": " + text.err());
                assertTrue(text.out().lines().anyMatch(l -> l.startsWith("  general.architecture ")), p + " text names its architecture");
                Run json = vlm4j("inspect", "--json", p.toString());
                assertEquals(0, json.exit(), p + ": " + json.err());
                JsonNode j = JSON.readTree(json.out());
                assertEquals(j.get("kvCount").asInt(), j.get("metadata").size(), p + " a JSON entry per key");
                assertEquals(j.get("tensorCount").asInt(), j.get("tensors").size(), p + " a JSON entry per tensor");
            });
        }
        assertAll(checks);
    }

    /** Every model fixture through {@code inspect --json} agrees with GGUF-CONTENTS.md on every row. */
    @Test
    void jsonShowsWhatGgufContentsLists() {
        Path models = Fixtures.require("models/GGUF-CONTENTS.md").getParent();
        GgufContents contents = GgufContents.load(models.resolve("GGUF-CONTENTS.md"));
        assertEquals(8, contents.files().size(), "GGUF-CONTENTS.md documents the 8 model files");
        List<Executable> checks = new ArrayList<>();
        for (FileContents doc : contents.files().values()) {
            checks.add(() -> {
                Run r = vlm4j("inspect", "--json", models.getParent().resolve(doc.relativePath()).toString());
                assertEquals(0, r.exit(), doc.relativePath() + ": " + r.err());
                assertMatches(doc, JSON.readTree(r.out()));
            });
        }
        assertAll(checks);
    }

    private static void assertMatches(FileContents doc, JsonNode j) {
        String name = doc.relativePath();
        assertEquals(doc.version(), j.get("version").asLong(), name + " GGUF.version");
        assertEquals(doc.tensorCount(), j.get("tensorCount").asLong(), name + " GGUF.tensor_count");
        assertEquals(doc.kvCount(), j.get("kvCount").asLong(), name + " GGUF.kv_count");
        JsonNode md = j.get("metadata");
        assertEquals(doc.keys().stream().map(KeyRow::key).toList(), fieldNames(md), name + ": keys in file order");
        for (KeyRow row : doc.keys()) {
            assertEquals(row.value(), render(row.type(), md.get(row.key())), name + " " + row.key() + " (" + row.type() + ")");
        }
        JsonNode tensors = j.get("tensors");
        assertEquals(doc.tensors().size(), tensors.size(), name + " tensors");
        for (TensorRow row : doc.tensors()) {
            JsonNode t = tensors.get(row.index());
            String what = name + " tensor #" + row.index() + " " + row.name();
            assertEquals(row.name(), t.get("name").asText(), what + " name");
            assertEquals(row.type(), t.get("type").asText(), what + " type");
            long[] shape = new long[t.get("shape").size()];
            Arrays.setAll(shape, i -> t.get("shape").get(i).asLong());
            assertEquals(Arrays.toString(row.ne()), Arrays.toString(shape), what + " ne");
            assertEquals(row.dataOffset(), t.get("offset").asLong(), what + " absolute data offset");
        }
    }

    /**
     * A JSON metadata value as GGUF-CONTENTS.md shows it, given the document's type column ({@code uint32},
     * {@code float32}, {@code array[string]}): rebuilt as a GgufValue and rendered by the document's own rules.
     */
    private static String render(String type, JsonNode v) {
        if (type.startsWith("array[")) {
            String elementType = type.substring(6, type.length() - 1);
            assertEquals(elementType.toUpperCase(Locale.ROOT), v.get("type").asText(), "element type of " + v);
            JsonNode shown = v.has("values") ? v.get("values") : v.get("first");
            List<GgufValue> first = new ArrayList<>();
            for (Iterator<JsonNode> it = shown.elements(); it.hasNext() && first.size() < GgufContents.ARRAY_PREVIEW; ) {
                first.add(scalar(elementType, it.next()));
            }
            long count = v.get("count").asLong();
            String rendered = GgufContents.render(new GgufValue.Array(GgufValueType.valueOf(elementType.toUpperCase(Locale.ROOT)), first));
            return count + rendered.substring(rendered.indexOf(' ')) + (count > GgufContents.ARRAY_PREVIEW ? ", ..." : "");
        }
        return GgufContents.render(scalar(type, v));
    }

    private static GgufValue scalar(String type, JsonNode v) {
        GgufValueType t = GgufValueType.valueOf(type.toUpperCase(Locale.ROOT));
        return switch (t) {
            case FLOAT32 -> new GgufValue.Float32(Float.parseFloat(v.decimalValue().toString()));
            case FLOAT64 -> new GgufValue.Float64(Double.parseDouble(v.decimalValue().toString()));
            case BOOL -> new GgufValue.Bool(v.booleanValue());
            case STRING -> new GgufValue.Str(v.textValue());
            case UINT64 -> new GgufValue.Int(t, v.bigIntegerValue().longValue());
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not in GGUF-CONTENTS.md");
            default -> new GgufValue.Int(t, v.longValue());
        };
    }

    /** The text report of a fixture: the header line, and a line per key and per tensor with what the document lists. */
    @Test
    void textShowsWhatGgufContentsLists() {
        Path models = Fixtures.require("models/GGUF-CONTENTS.md").getParent();
        FileContents doc = GgufContents.load(models.resolve("GGUF-CONTENTS.md")).files().get("models/tiny-llava/tiny-llava-mmproj-f16.gguf");
        Run r = vlm4j("inspect", models.getParent().resolve(doc.relativePath()).toString());
        List<String> lines = r.out().lines().toList();
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(0, r.exit(), r.err()));
        checks.add(() -> assertEquals("GGUF:        version 3, 57 tensors, 19 metadata keys, alignment 32, data at byte 4,000", lines.get(1)));
        for (KeyRow row : doc.keys()) {
            checks.add(() -> assertTrue(lines.stream().anyMatch(l -> l.startsWith("  " + row.key() + " ")), "a line for " + row.key()));
        }
        checks.add(() -> assertLine(lines, "clip.vision.image_size", "112"));
        checks.add(() -> assertLine(lines, "clip.use_gelu", "false"));
        checks.add(() -> assertLine(lines, "clip.projector_type", "'mlp'"));
        checks.add(() -> assertLine(lines, "clip.vision.image_mean", "[0.48145467, 0.4578275, 0.40821072] (3 FLOAT32)"));
        for (TensorRow t : doc.tensors()) {
            String columns = String.format(Locale.ROOT, "  %-40s %-7s %-22s ", t.name(), t.type(), Arrays.toString(t.ne()));
            String offset = String.format(Locale.ROOT, " %,d", t.dataOffset());
            checks.add(() -> assertTrue(lines.stream().anyMatch(l -> l.startsWith(columns) && l.endsWith(offset)), "a row for " + t));
        }
        assertAll(checks);
    }
}
