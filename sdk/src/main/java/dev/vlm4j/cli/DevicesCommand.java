package dev.vlm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.BackendUnavailableException;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.kernels.DeviceInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlm4j devices}: the CPU backend and every device of every OpenCL platform (and TornadoVM, when built in),
 * with the index and name that {@code --backend/--device} take; for a backend with no device, why.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the compute devices: the CPU and every OpenCL platform's devices (use with --backend/--device).")
final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON instead of text")
    boolean json;

    @Spec
    CommandSpec spec;

    record Report(List<DeviceInfo> devices, Map<String, String> unavailable) {}

    @Override
    public Integer call() throws Exception {
        List<DeviceInfo> devices = Backends.devices();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (BackendKind kind : List.of(BackendKind.OPENCL, BackendKind.TORNADOVM)) {
            if (devices.stream().noneMatch(d -> d.backend() == kind)) {
                unavailable.put(kind.name(), whyUnavailable(kind));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(new Report(devices, unavailable)));
        } else {
            printText(devices, unavailable, out);
        }
        out.flush();
        return Main.EXIT_OK;
    }

    /** The backend's own explanation: with no device listed, creating one fails at once and says why. */
    private static String whyUnavailable(BackendKind kind) {
        try (Backend unexpected = Backends.create(new BackendOptions(kind, 0, null))) {
            return "no device listed, though one could be opened: " + unexpected.name();
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
    }

    static void printText(List<DeviceInfo> devices, Map<String, String> unavailable, PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"BACKEND", "DEVICE", "TYPE", "NAME", "UNITS", "MEMORY", "VERSION", "PLATFORM / VENDOR"});
        for (DeviceInfo d : devices) {
            rows.add(new String[] {d.backend().name().toLowerCase(Locale.ROOT), Integer.toString(d.index()), d.type(), d.name(),
                    Integer.toString(d.computeUnits()), String.format(Locale.ROOT, "%.1f GiB", d.globalMemoryBytes() / (double) (1L << 30)),
                    d.version(), d.vendor()});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                String cell = r[i] == null ? "" : r[i];
                line.append(i == r.length - 1 ? cell : String.format("%-" + width[i] + "s  ", cell));
            }
            out.println(line.toString().stripTrailing());
        }
        for (Map.Entry<String, String> e : unavailable.entrySet()) {
            out.println(e.getKey().toLowerCase(Locale.ROOT) + ": no devices (" + e.getValue() + ")");
        }
        out.println("Pick one with --backend BACKEND --device DEVICE (an index, or part of the name).");
    }
}
