package dev.vlm4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.BackendProvider;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.kernels.cpu.CpuBackend;
import java.util.List;
import java.util.Locale;

/**
 * Backends for tests that run on every backend: {@code "cpu"} (2 threads), {@code "opencl"} (the default OpenCL
 * device, or the one system property {@code vlm4j.opencl.device} names) or {@code "tornadovm"} (only in a build
 * with the tornadovm profile). An OpenCL test is skipped, saying why,
 * when this machine has no OpenCL platform or device.
 */
public final class TestBackends {
    private TestBackends() {}

    public static Backend create(String kind) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(2);
            case "opencl" -> openCl();
            case "tornadovm" -> tornadoVm();
            default -> throw new IllegalArgumentException("unknown test backend '" + kind + "'");
        };
    }

    /** Whether an OpenCL device is present here (an ICD loader with at least one platform and device). */
    public static boolean openClAvailable() {
        return !Backends.provider(BackendKind.OPENCL).map(BackendProvider::devices).orElse(List.of()).isEmpty();
    }

    /** TornadoVM's default device; skipped unless the build has the TornadoVM backend (profile tornadovm) and a device. */
    public static Backend tornadoVm() {
        boolean present = !Backends.provider(BackendKind.TORNADOVM).map(BackendProvider::devices).orElse(List.of()).isEmpty();
        assumeFalse(!present, "skipped: no TornadoVM backend in this build or no TornadoVM device (build with -Ptornadovm and TORNADOVM_HOME)");
        return Backends.create(new BackendOptions(BackendKind.TORNADOVM, 0, System.getProperty("vlm4j.tornadovm.device")));
    }

    public static Backend openCl() {
        assumeFalse(!openClAvailable(), "skipped: no OpenCL platform or device on this machine (install an ICD loader and a driver, e.g. pocl-opencl-icd)");
        return Backends.create(new BackendOptions(BackendKind.OPENCL, 0, System.getProperty("vlm4j.opencl.device")));
    }
}
