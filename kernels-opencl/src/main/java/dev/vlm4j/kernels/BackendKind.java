package dev.vlm4j.kernels;

/** Which compute backend to use. */
public enum BackendKind {
    /** An OpenCL GPU or accelerator when one is present, else the CPU (said in one log line). */
    AUTO,
    /** Java Vector API on all cores; always available. */
    CPU,
    /** Our OpenCL C kernels on an OpenCL device (GPU, FPGA, or a CPU through PoCL). */
    OPENCL,
    /** TornadoVM task graphs; needs an installed TornadoVM SDK and a build with the tornadovm profile. */
    TORNADOVM
}
