package dev.vlm4j.kernels;

/** A device a backend can run on, as listed by {@code vlm4j devices}. */
public record DeviceInfo(BackendKind backend, int index, String name, String type, String vendor, String version,
                         long globalMemoryBytes, int computeUnits) {
    /** Whether this is a GPU or an accelerator (what AUTO prefers over the CPU backend). */
    public boolean isAccelerator() {
        return "GPU".equalsIgnoreCase(type) || "ACCELERATOR".equalsIgnoreCase(type);
    }
}
