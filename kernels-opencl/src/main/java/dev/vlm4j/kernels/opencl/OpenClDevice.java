package dev.vlm4j.kernels.opencl;

import static dev.vlm4j.kernels.opencl.OpenClLibrary.*;

import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.DeviceInfo;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One OpenCL device as the ICD loader reports it. {@code index} numbers the devices of every platform in the
 * loader's order, which is what {@code --device N} and {@code vlm4j devices} use.
 */
record OpenClDevice(int index, MemorySegment platform, MemorySegment handle, String platformName, String name, String vendor,
                    String version, String openclCVersion, long type, int computeUnits, long globalMemoryBytes,
                    long maxAllocationBytes, long localMemoryBytes, long maxWorkGroupSize, boolean fp64,
                    boolean correctlyRoundedDivideSqrt) {

    /** Every device of every platform; empty when no driver is installed. */
    static List<OpenClDevice> enumerate(OpenClLibrary cl) {
        List<OpenClDevice> out = new ArrayList<>();
        for (MemorySegment platform : cl.platforms()) {
            String platformName = cl.platformString(platform, CL_PLATFORM_NAME);
            for (MemorySegment d : cl.devices(platform)) {
                String extensions = cl.deviceString(d, CL_DEVICE_EXTENSIONS);
                out.add(new OpenClDevice(out.size(), platform, d, platformName,
                        cl.deviceString(d, CL_DEVICE_NAME),
                        cl.deviceString(d, CL_DEVICE_VENDOR),
                        cl.deviceString(d, CL_DEVICE_VERSION),
                        cl.deviceString(d, CL_DEVICE_OPENCL_C_VERSION),
                        cl.deviceNumber(d, CL_DEVICE_TYPE, 8),
                        (int) cl.deviceNumber(d, CL_DEVICE_MAX_COMPUTE_UNITS, 4),
                        cl.deviceNumber(d, CL_DEVICE_GLOBAL_MEM_SIZE, 8),
                        cl.deviceNumber(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 8),
                        cl.deviceNumber(d, CL_DEVICE_LOCAL_MEM_SIZE, 8),
                        cl.deviceNumber(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, 8),
                        extensions.contains("cl_khr_fp64"),
                        (cl.deviceNumber(d, CL_DEVICE_SINGLE_FP_CONFIG, 8) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0));
            }
        }
        return out;
    }

    /** GPU, CPU, ACCELERATOR or CUSTOM. */
    String typeName() {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) {
            return "GPU";
        }
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) {
            return "ACCELERATOR";
        }
        if ((type & CL_DEVICE_TYPE_CPU) != 0) {
            return "CPU";
        }
        return (type & CL_DEVICE_TYPE_CUSTOM) != 0 ? "CUSTOM" : "UNKNOWN";
    }

    boolean isCpu() {
        return (type & CL_DEVICE_TYPE_CPU) != 0;
    }

    /** As {@code vlm4j devices} lists it; the vendor column carries the platform, as that is what tells drivers apart. */
    DeviceInfo info() {
        return new DeviceInfo(BackendKind.OPENCL, index, name, typeName(), platformName + " / " + vendor, version,
                globalMemoryBytes, computeUnits);
    }
}
