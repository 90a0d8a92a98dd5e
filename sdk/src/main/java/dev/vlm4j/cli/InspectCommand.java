package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.gguf.GgufFile.GgufTensorInfo;
import dev.vlm4j.gguf.GgufValue;
import dev.vlm4j.tensor.GgmlType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vlm4j inspect FILE.gguf [--json]}: header, metadata, tensors and totals of a GGUF file. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF file's header, every metadata key, every tensor and the totals per type.")
final class InspectCommand implements Callable<Integer> {
    /** Arrays longer than this are shown as their first elements and a count. */
    static final int ARRAY_PREVIEW = 8;

    @Parameters(index = "0", paramLabel = "FILE.gguf", description = "GGUF file to inspect")
    Path file;

    @Option(names = "--json", description = "Print JSON instead of text")
    boolean json;

    @Option(names = "--full-arrays", description = "Show arrays in full instead of abbreviated")
    boolean fullArrays;

    @Spec
    CommandSpec spec;

    record TensorRow(String name, String type, long[] shape, long bytes, long offset) {}

    record TypeTotal(long tensors, long parameters, long bytes) {}

    record Report(String file, long fileSize, int version, long tensorCount, long kvCount, int alignment, long dataOffset,
                  Map<String, Object> metadata, List<TensorRow> tensors, long totalParameters, long totalTensorBytes,
                  Map<String, TypeTotal> byType) {}

    @Override
    public Integer call() throws Exception {
        try (GgufFile gguf = GgufFile.open(file)) {
            Report report = report(gguf, fullArrays ? Integer.MAX_VALUE : ARRAY_PREVIEW);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } else {
                printText(report, out);
            }
            out.flush();
        }
        return Main.EXIT_OK;
    }

    static Report report(GgufFile gguf, int arrayLimit) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        gguf.metadata().asMap().forEach((k, v) -> metadata.put(k, jsonValue(v, arrayLimit)));
        List<TensorRow> rows = new ArrayList<>();
        Map<GgmlType, long[]> totals = new EnumMap<>(GgmlType.class);
        long params = 0;
        long bytes = 0;
        for (GgufTensorInfo t : gguf.tensorInfos()) {
            rows.add(new TensorRow(t.name(), t.type().name(), t.shape().ne(), t.byteSize(), gguf.dataOffset() + t.offset()));
            long[] tot = totals.computeIfAbsent(t.type(), k -> new long[3]);
            tot[0]++;
            tot[1] += t.parameters();
            tot[2] += t.byteSize();
            params += t.parameters();
            bytes += t.byteSize();
        }
        Map<String, TypeTotal> byType = new LinkedHashMap<>();
        totals.forEach((type, tot) -> byType.put(type.name(), new TypeTotal(tot[0], tot[1], tot[2])));
        return new Report(gguf.path().toString(), gguf.fileSize(), gguf.version(), gguf.tensorInfos().size(),
                gguf.metadata().size(), gguf.alignment(), gguf.dataOffset(), metadata, rows, params, bytes, byType);
    }

    /** A metadata value as plain Java data for JSON; long arrays become {first values, "...", count}. */
    static Object jsonValue(GgufValue v, int arrayLimit) {
        return switch (v) {
            case GgufValue.Int i -> i.type() == dev.vlm4j.gguf.GgufValueType.UINT64 && i.value() < 0
                    ? new java.math.BigInteger(Long.toUnsignedString(i.value())) : (Object) i.value();
            case GgufValue.Float32 f -> f.value();
            case GgufValue.Float64 f -> f.value();
            case GgufValue.Bool b -> b.value();
            case GgufValue.Str s -> s.value();
            case GgufValue.Array a -> {
                Map<String, Object> arr = new LinkedHashMap<>();
                arr.put("type", a.elementType().name());
                arr.put("count", a.values().size());
                List<Object> shown = new ArrayList<>();
                for (int i = 0; i < Math.min(arrayLimit, a.values().size()); i++) {
                    shown.add(jsonValue(a.values().get(i), arrayLimit));
                }
                arr.put(a.values().size() > arrayLimit ? "first" : "values", shown);
                yield arr;
            }
        };
    }

    private static void printText(Report r, PrintWriter out) {
        out.printf(Locale.ROOT, "file:        %s (%,d bytes)%n", r.file(), r.fileSize());
        out.printf(Locale.ROOT, "GGUF:        version %d, %d tensors, %d metadata keys, alignment %d, data at byte %,d%n",
                r.version(), r.tensorCount(), r.kvCount(), r.alignment(), r.dataOffset());
        out.println();
        out.println("metadata:");
        r.metadata().forEach((k, v) -> out.printf(Locale.ROOT, "  %-45s %s%n", escaped(k), textValue(v)));
        out.println();
        out.printf(Locale.ROOT, "tensors:%n  %-40s %-7s %-22s %14s %14s%n", "name", "type", "shape (ne)", "bytes", "offset");
        for (TensorRow t : r.tensors()) {
            out.printf(Locale.ROOT, "  %-40s %-7s %-22s %,14d %,14d%n", escaped(t.name()), t.type(), java.util.Arrays.toString(t.shape()), t.bytes(), t.offset());
        }
        out.println();
        out.printf(Locale.ROOT, "totals:      %,d parameters, %,d bytes of tensor data%n", r.totalParameters(), r.totalTensorBytes());
        r.byType().forEach((type, t) -> out.printf(Locale.ROOT, "  %-7s %4d tensors %,16d parameters %,16d bytes%n", type, t.tensors(), t.parameters(), t.bytes()));
    }

    @SuppressWarnings("unchecked")
    private static String textValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> arr = (Map<String, Object>) m;
            List<Object> shown = (List<Object>) arr.getOrDefault("values", arr.get("first"));
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < shown.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(textValue(shown.get(i)));
            }
            if (arr.containsKey("first")) {
                sb.append(", ...");
            }
            return sb.append("] (").append(arr.get("count")).append(" ").append(arr.get("type")).append(")").toString();
        }
        if (v instanceof String s) {
            String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
            return "'" + escaped(shown) + "'";
        }
        return String.valueOf(v);
    }

    /** Text from the file, fit for a terminal: control characters (newlines, escape sequences) shown as escapes. */
    static String escaped(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (Character.isISOControl(c)) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
