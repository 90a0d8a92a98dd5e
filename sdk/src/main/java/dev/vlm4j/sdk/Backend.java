package dev.vlm4j.sdk;

import dev.vlm4j.kernels.BackendKind;

/** Where a model computes (see README "Backends"). */
public enum Backend {
    /** An OpenCL GPU or accelerator when one is present, else the CPU. */
    AUTO(BackendKind.AUTO),
    /** Java Vector API on all cores; always available. */
    CPU(BackendKind.CPU),
    /** vlm4j's OpenCL kernels on an OpenCL device (GPU, FPGA, or CPU through PoCL). */
    OPENCL(BackendKind.OPENCL),
    /** TornadoVM task graphs; needs a TornadoVM SDK and a build with it. */
    TORNADOVM(BackendKind.TORNADOVM);

    private final BackendKind kind;

    Backend(BackendKind kind) {
        this.kind = kind;
    }

    public BackendKind kind() {
        return kind;
    }
}
