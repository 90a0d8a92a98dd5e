package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendUnavailableException;
import dev.vlm4j.kernels.DeviceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/** TornadoVM's devices over all its backends (OpenCL, PTX, SPIR-V), numbered in that order from 0. */
final class TornadoDevices {
    /**
     * TornadoVM code-generation defaults that change results: a*b+c fused into fma(), native_sin/cos/sqrt (of
     * implementation-defined accuracy), 1/sqrt rewritten to rsqrt. The kernels are written to round as ggml-cpu does,
     * so these are off unless the JVM was started with other values. TornadoVM reads them once, when its runtime
     * starts; ./vlm4j and the build also pass them on the command line.
     */
    static final List<String> EXACT_MATH_PROPERTIES = List.of("tornado.enable.fma", "tornado.enable.nativeFunctions",
            "tornado.enable.mathOptimizations", "tornado.enable.fastMathOptimizations");

    private final List<TornadoDevice> all;
    private final int defaultIndex;

    private TornadoDevices(List<TornadoDevice> all, int defaultIndex) {
        this.all = all;
        this.defaultIndex = defaultIndex;
    }

    /** Starts (or finds) TornadoVM's runtime and lists its devices. */
    static TornadoDevices load() {
        // The SDK's flags name the runtime implementation; without them TornadoVM's API cannot start.
        if (System.getProperty("tornado.load.runtime.implementation") == null) {
            throw new BackendUnavailableException("the TornadoVM runtime is not loaded in this JVM; "
                    + TornadoBackendProvider.HOW_TO_RUN);
        }
        for (String property : EXACT_MATH_PROPERTIES) {
            if (System.getProperty(property) == null) {
                System.setProperty(property, "False");
            }
        }
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<TornadoDevice> devices = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            var backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                devices.add(backend.getDevice(d));
            }
        }
        if (devices.isEmpty()) {
            throw new BackendUnavailableException("TornadoVM found no device (`tornado --devices` lists them); "
                    + "install an OpenCL driver (e.g. pocl-opencl-icd for the CPU) or the CUDA driver for the PTX backend");
        }
        TornadoDevice preferred = runtime.getDefaultDevice();
        int index = 0;
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i) == preferred || devices.get(i).getDeviceName().equals(preferred.getDeviceName())) {
                index = i;
                break;
            }
        }
        return new TornadoDevices(List.copyOf(devices), index);
    }

    List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            out.add(info(i));
        }
        return out;
    }

    private DeviceInfo info(int i) {
        TornadoDevice d = all.get(i);
        var physical = d.getPhysicalDevice();
        return new DeviceInfo(BackendKind.TORNADOVM, i, physical.getDeviceName() + " [" + d.getDeviceName() + "]",
                d.getDeviceType().name(), d.getPlatformName(), d.getTornadoVMBackend().name(),
                physical.getDeviceGlobalMemorySize(), physical.getDeviceMaxComputeUnits());
    }

    /** A backend on the device {@code wanted} names (see {@link TornadoBackendProvider}), the default one for null. */
    TornadoBackend create(String wanted) {
        int index = select(wanted);
        return create(index, stageGraphThreshold(), groupMatmuls(all.get(index)));
    }

    /**
     * A backend on device {@code index}, compiling stage graphs after {@code stageAfter} kernel-by-kernel runs
     * (0: never), with a work group per matmul output when {@code groupMatmuls}.
     */
    TornadoBackend create(int index, int stageAfter, boolean groupMatmuls) {
        DeviceInfo info = info(index);
        return new TornadoBackend(all.get(index), info.name() + " via " + info.version(), stageAfter, groupMatmuls);
    }

    /**
     * Whether matmuls on {@code device} take a work group per output: on GPUs, where neighbouring lanes then read
     * neighbouring weights; a work item per output elsewhere (CPUs vectorise across items, FPGAs pipeline them).
     * {@code -Dvlm4j.tornadovm.matmul=group|item} overrides the choice.
     */
    static boolean groupMatmuls(TornadoDevice device) {
        String choice = System.getProperty("vlm4j.tornadovm.matmul", "");
        return switch (choice.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "" -> device.getDeviceType() == uk.ac.manchester.tornado.api.enums.TornadoDeviceType.GPU;
            case "group" -> true;
            case "item" -> false;
            default -> throw new IllegalArgumentException("-Dvlm4j.tornadovm.matmul must be group or item, got '" + choice + "'");
        };
    }

    int select(String wanted) {
        if (wanted == null || wanted.isBlank()) {
            return defaultIndex;
        }
        String w = wanted.strip();
        if (w.chars().allMatch(Character::isDigit)) {
            int index = w.length() > 9 ? -1 : Integer.parseInt(w);
            if (index >= 0 && index < all.size()) {
                return index;
            }
            throw new BackendUnavailableException("no TornadoVM device " + w + "; there are " + all.size() + ": " + list());
        }
        String needle = w.toLowerCase(Locale.ROOT);
        for (int i = 0; i < all.size(); i++) {
            if (info(i).name().toLowerCase(Locale.ROOT).contains(needle)) {
                return i;
            }
        }
        throw new BackendUnavailableException("no TornadoVM device name contains '" + w + "'; devices: " + list());
    }

    private String list() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            names.add(i + ": " + info(i).name());
        }
        return names.stream().collect(Collectors.joining(", "));
    }

    /**
     * How many times a stage shape runs kernel by kernel before the backend compiles it as one task graph:
     * {@code -Dvlm4j.tornadovm.stageAfter=N} ({@value TornadoBackend#DEFAULT_STAGE_AFTER} by default; 0 turns stage
     * graphs off). Compiling a graph costs a plan rebuild (weights uploaded again) and TornadoVM's JIT, which only
     * long runs win back.
     */
    static int stageGraphThreshold() {
        String value = System.getProperty("vlm4j.tornadovm.stageAfter");
        if (value == null || value.isBlank()) {
            return TornadoBackend.DEFAULT_STAGE_AFTER;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-Dvlm4j.tornadovm.stageAfter must be a count >= 0 (0: no stage graphs), got '" + value + "'");
    }
}
