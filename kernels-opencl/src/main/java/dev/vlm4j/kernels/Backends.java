package dev.vlm4j.kernels;

import dev.vlm4j.kernels.cpu.CpuBackend;
import java.lang.System.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** Creates backends by kind; the one place that decides what AUTO means. */
public final class Backends {
    private static final Logger LOG = System.getLogger("dev.vlm4j.kernels");

    private Backends() {}

    public static Backend create(BackendOptions options) {
        return switch (options.kind()) {
            case CPU -> new CpuBackend(options.effectiveThreads());
            case OPENCL, TORNADOVM -> provider(options.kind())
                    .orElseThrow(() -> new BackendUnavailableException(options.kind() + " backend is not available in this build"
                            + (options.kind() == BackendKind.TORNADOVM
                                    ? " (build with a TornadoVM SDK installed: TORNADOVM_HOME, profile -Ptornadovm)" : "")))
                    .create(options);
            case AUTO -> auto(options);
        };
    }

    private static Backend auto(BackendOptions options) {
        Optional<BackendProvider> opencl = provider(BackendKind.OPENCL);
        if (opencl.isPresent()) {
            try {
                List<DeviceInfo> devices = opencl.get().devices();
                for (DeviceInfo d : devices) {
                    if (d.isAccelerator()) {
                        return opencl.get().create(new BackendOptions(BackendKind.OPENCL, options.threads(),
                                options.device() != null ? options.device() : Integer.toString(d.index())));
                    }
                }
            } catch (BackendUnavailableException e) {
                LOG.log(Logger.Level.INFO, "OpenCL unavailable (" + e.getMessage() + ")");
            }
        }
        LOG.log(Logger.Level.INFO, "backend AUTO: no OpenCL GPU or accelerator found, using the CPU backend");
        return new CpuBackend(options.effectiveThreads());
    }

    /** Every device of every backend present in this build and on this machine. */
    public static List<DeviceInfo> devices() {
        List<DeviceInfo> all = new ArrayList<>();
        all.add(new DeviceInfo(BackendKind.CPU, 0, "Java Vector API on " + Runtime.getRuntime().availableProcessors()
                + " cores", "CPU", System.getProperty("java.vm.vendor"), Runtime.version().toString(),
                Runtime.getRuntime().maxMemory(), Runtime.getRuntime().availableProcessors()));
        for (BackendProvider p : providers()) {
            try {
                all.addAll(p.devices());
            } catch (BackendUnavailableException e) {
                LOG.log(Logger.Level.DEBUG, p.kind() + ": " + e.getMessage());
            }
        }
        return all;
    }

    public static Optional<BackendProvider> provider(BackendKind kind) {
        for (BackendProvider p : providers()) {
            if (p.kind() == kind) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The providers that load. A listed provider whose classes are missing (a build switched between the tornadovm
     * profile and the default one, say) is skipped with a log line instead of breaking every backend lookup.
     */
    private static List<BackendProvider> providers() {
        List<BackendProvider> out = new ArrayList<>();
        var it = ServiceLoader.load(BackendProvider.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                out.add(it.next());
            } catch (java.util.ServiceConfigurationError e) {
                LOG.log(Logger.Level.DEBUG, "skipping a backend provider that does not load: " + e.getMessage());
            }
        }
        return out;
    }
}
