package dev.vlm4j.kernels.opencl;

import dev.vlm4j.kernels.Weight;
import dev.vlm4j.tensor.Tensor;

/** A weight uploaded to an OpenCL device in its GGUF layout, plus (made on first use) an F32 copy for norms and biases. */
final class OpenClWeight implements Weight {
    private final OpenClBackend owner;
    private final Tensor tensor;
    private final OpenClBackend.DeviceBuffer raw;
    /** The values as F32, for kernels that read a weight as a plain vector; null until needed (or for F32 weights). */
    OpenClBackend.DeviceBuffer f32;

    OpenClWeight(OpenClBackend owner, Tensor tensor, OpenClBackend.DeviceBuffer raw) {
        this.owner = owner;
        this.tensor = tensor;
        this.raw = raw;
    }

    @Override
    public Tensor tensor() {
        return tensor;
    }

    OpenClBackend owner() {
        return owner;
    }

    OpenClBackend.DeviceBuffer raw() {
        return raw;
    }

    @Override
    public String toString() {
        return "OpenClWeight[" + tensor.name() + " " + tensor.type() + " " + tensor.shape() + "]";
    }
}
