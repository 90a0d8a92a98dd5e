package dev.vlm4j.kernels.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.vlm4j.kernels.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of the OpenCL 1.2 C API vlm4j uses, called through {@code java.lang.foreign} on the system's ICD loader
 * ({@code libOpenCL.so.1}, which dispatches to the installed drivers: NVIDIA, AMD, Intel, PoCL...). Every method
 * checks the returned error code and throws {@link OpenClException} naming the call. Handles ({@code cl_context},
 * {@code cl_mem}, ...) are plain addresses; the caller owns and releases them.
 *
 * <p>Thread safety is OpenCL's: every call may come from any thread, except that one {@code cl_kernel}'s arguments
 * must not be set from two threads at once.
 */
final class OpenClLibrary {
    static final int CL_SUCCESS = 0;
    static final int CL_PLATFORM_NOT_FOUND_KHR = -1001;
    static final int CL_DEVICE_NOT_FOUND = -1;

    static final int CL_PLATFORM_VERSION = 0x0901;
    static final int CL_PLATFORM_NAME = 0x0902;
    static final int CL_PLATFORM_VENDOR = 0x0903;

    static final long CL_DEVICE_TYPE_CPU = 1 << 1;
    static final long CL_DEVICE_TYPE_GPU = 1 << 2;
    static final long CL_DEVICE_TYPE_ACCELERATOR = 1 << 3;
    static final long CL_DEVICE_TYPE_CUSTOM = 1 << 4;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;

    static final int CL_DEVICE_TYPE = 0x1000;
    static final int CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    static final int CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int CL_DEVICE_SINGLE_FP_CONFIG = 0x101B;
    static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    static final int CL_DEVICE_NAME = 0x102B;
    static final int CL_DEVICE_VENDOR = 0x102C;
    static final int CL_DEVICE_VERSION = 0x102F;
    static final int CL_DEVICE_EXTENSIONS = 0x1030;
    static final int CL_DEVICE_OPENCL_C_VERSION = 0x103D;
    static final long CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1 << 7;

    static final long CL_CONTEXT_PLATFORM = 0x1084;
    static final long CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final long CL_MEM_READ_WRITE = 1;
    static final long CL_MEM_READ_ONLY = 1 << 2;
    static final long CL_MEM_COPY_HOST_PTR = 1 << 5;
    static final int CL_PROFILING_COMMAND_START = 0x1282;
    static final int CL_PROFILING_COMMAND_END = 0x1283;

    /** Where the ICD loader usually is, per OS; the first one that loads wins. */
    static List<String> defaultLibraryNames() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        if (os.contains("win")) {
            return List.of("OpenCL.dll");
        }
        if (os.contains("mac")) {
            return List.of("/System/Library/Frameworks/OpenCL.framework/OpenCL");
        }
        return List.of("libOpenCL.so.1", "libOpenCL.so");
    }

    private final String libraryName;
    private final MethodHandle getPlatformIDs;
    private final MethodHandle getPlatformInfo;
    private final MethodHandle getDeviceIDs;
    private final MethodHandle getDeviceInfo;
    private final MethodHandle createContext;
    private final MethodHandle releaseContext;
    private final MethodHandle createCommandQueue;
    private final MethodHandle releaseCommandQueue;
    private final MethodHandle createProgramWithSource;
    private final MethodHandle buildProgram;
    private final MethodHandle getProgramBuildInfo;
    private final MethodHandle releaseProgram;
    private final MethodHandle createKernel;
    private final MethodHandle setKernelArg;
    private final MethodHandle releaseKernel;
    private final MethodHandle createBuffer;
    private final MethodHandle releaseMemObject;
    private final MethodHandle enqueueWriteBuffer;
    private final MethodHandle enqueueReadBuffer;
    private final MethodHandle enqueueFillBuffer;
    private final MethodHandle enqueueCopyBuffer;
    private final MethodHandle enqueueNDRangeKernel;
    private final MethodHandle finish;
    private final MethodHandle flush;
    private final MethodHandle waitForEvents;
    private final MethodHandle getEventProfilingInfo;
    private final MethodHandle releaseEvent;

    private OpenClLibrary(String libraryName, SymbolLookup lookup) {
        this.libraryName = libraryName;
        Binder b = new Binder(lookup);
        getPlatformIDs = b.bind("clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        getPlatformInfo = b.bind("clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getDeviceIDs = b.bind("clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        getDeviceInfo = b.bind("clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createContext = b.bind("clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        releaseContext = b.bind("clReleaseContext", JAVA_INT, ADDRESS);
        createCommandQueue = b.bind("clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        releaseCommandQueue = b.bind("clReleaseCommandQueue", JAVA_INT, ADDRESS);
        createProgramWithSource = b.bind("clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        buildProgram = b.bind("clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        getProgramBuildInfo = b.bind("clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseProgram = b.bind("clReleaseProgram", JAVA_INT, ADDRESS);
        createKernel = b.bind("clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        setKernelArg = b.bind("clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        releaseKernel = b.bind("clReleaseKernel", JAVA_INT, ADDRESS);
        createBuffer = b.bind("clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        releaseMemObject = b.bind("clReleaseMemObject", JAVA_INT, ADDRESS);
        enqueueWriteBuffer = b.bind("clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueReadBuffer = b.bind("clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueFillBuffer = b.bind("clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueCopyBuffer = b.bind("clEnqueueCopyBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueNDRangeKernel = b.bind("clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        finish = b.bind("clFinish", JAVA_INT, ADDRESS);
        flush = b.bind("clFlush", JAVA_INT, ADDRESS);
        waitForEvents = b.bind("clWaitForEvents", JAVA_INT, JAVA_INT, ADDRESS);
        getEventProfilingInfo = b.bind("clGetEventProfilingInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseEvent = b.bind("clReleaseEvent", JAVA_INT, ADDRESS);
        if (!b.missing.isEmpty()) {
            throw new BackendUnavailableException("the OpenCL library " + libraryName + " lacks " + String.join(", ", b.missing)
                    + " (vlm4j needs an OpenCL 1.2 ICD loader)");
        }
    }

    /** Loads the first of {@code names} that the dynamic linker finds; says which were tried when none is. */
    static OpenClLibrary load(List<String> names) {
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            SymbolLookup lookup;
            try {
                // Global arena: the loader stays mapped for the life of the JVM, as any native library would.
                lookup = SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                failures.add(name);
                continue;
            }
            return new OpenClLibrary(name, lookup);
        }
        throw new BackendUnavailableException("no OpenCL ICD loader found (tried " + String.join(", ", failures)
                + "); install one, e.g. apt-get install ocl-icd-libopencl1 plus a driver such as pocl-opencl-icd");
    }

    String libraryName() {
        return libraryName;
    }

    /** Looks the API's functions up by name; collects the missing ones so that one error can name them all. */
    private static final class Binder {
        private final SymbolLookup lookup;
        private final List<String> missing = new ArrayList<>();

        Binder(SymbolLookup lookup) {
            this.lookup = lookup;
        }

        MethodHandle bind(String name, java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
            var symbol = lookup.find(name);
            if (symbol.isEmpty()) {
                missing.add(name);
                return null;
            }
            return Linker.nativeLinker().downcallHandle(symbol.get(), FunctionDescriptor.of(result, args));
        }
    }

    static void check(int code, String function) {
        if (code != CL_SUCCESS) {
            throw new OpenClException(function, code, null);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    // ---- platforms and devices ----

    /** Every platform's handle; empty when the loader finds no driver (CL_PLATFORM_NOT_FOUND_KHR). */
    List<MemorySegment> platforms() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int err = (int) getPlatformIDs.invokeExact(0, MemorySegment.NULL, count);
            if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && count.get(JAVA_INT, 0) == 0)) {
                return List.of();
            }
            check(err, "clGetPlatformIDs");
            int n = count.get(JAVA_INT, 0);
            MemorySegment ids = arena.allocate(ADDRESS, n);
            check((int) getPlatformIDs.invokeExact(n, ids, MemorySegment.NULL), "clGetPlatformIDs");
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(ids.getAtIndex(ADDRESS, i));
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    String platformString(MemorySegment platform, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            check((int) getPlatformInfo.invokeExact(platform, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment value = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getPlatformInfo.invokeExact(platform, param, value.byteSize(), value, MemorySegment.NULL), "clGetPlatformInfo");
            return value.getString(0, StandardCharsets.UTF_8).trim();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The platform's devices of every type; empty when it has none. */
    List<MemorySegment> devices(MemorySegment platform) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int err = (int) getDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
            if (err == CL_DEVICE_NOT_FOUND) {
                return List.of();
            }
            check(err, "clGetDeviceIDs");
            int n = count.get(JAVA_INT, 0);
            MemorySegment ids = arena.allocate(ADDRESS, Math.max(1, n));
            check((int) getDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, n, ids, MemorySegment.NULL), "clGetDeviceIDs");
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(ids.getAtIndex(ADDRESS, i));
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    String deviceString(MemorySegment device, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            check((int) getDeviceInfo.invokeExact(device, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment value = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getDeviceInfo.invokeExact(device, param, value.byteSize(), value, MemorySegment.NULL), "clGetDeviceInfo");
            return value.getString(0, StandardCharsets.UTF_8).trim();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A numeric device property of {@code bytes} bytes (4: cl_uint, 8: cl_ulong, size_t, bitfields). */
    long deviceNumber(MemorySegment device, int param, int bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(8);
            check((int) getDeviceInfo.invokeExact(device, param, (long) bytes, value, MemorySegment.NULL), "clGetDeviceInfo");
            return bytes == 4 ? Integer.toUnsignedLong(value.get(JAVA_INT, 0)) : value.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- context, queue, program, kernels ----

    MemorySegment createContext(MemorySegment platform, MemorySegment device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment props = arena.allocate(JAVA_LONG, 3);
            props.setAtIndex(JAVA_LONG, 0, CL_CONTEXT_PLATFORM);
            props.setAtIndex(JAVA_LONG, 1, platform.address());
            props.setAtIndex(JAVA_LONG, 2, 0);
            MemorySegment devices = arena.allocate(ADDRESS);
            devices.set(ADDRESS, 0, device);
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment ctx = (MemorySegment) createContext.invokeExact(props, 1, devices, MemorySegment.NULL, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateContext");
            return ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createCommandQueue(MemorySegment context, MemorySegment device, long properties) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment queue = (MemorySegment) createCommandQueue.invokeExact(context, device, properties, err);
            check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
            return queue;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Compiles {@code source} for {@code device}; a compile error comes back with the compiler's log. */
    MemorySegment buildProgram(MemorySegment context, MemorySegment device, String source, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom(source, StandardCharsets.UTF_8);
            MemorySegment strings = arena.allocate(ADDRESS);
            strings.set(ADDRESS, 0, text);
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment program = (MemorySegment) createProgramWithSource.invokeExact(context, 1, strings, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithSource");
            MemorySegment devices = arena.allocate(ADDRESS);
            devices.set(ADDRESS, 0, device);
            int code = (int) buildProgram.invokeExact(program, 1, devices, arena.allocateFrom(options, StandardCharsets.UTF_8),
                    MemorySegment.NULL, MemorySegment.NULL);
            if (code != CL_SUCCESS) {
                String log = buildLog(program, device);
                releaseProgram(program);
                throw new OpenClException("clBuildProgram", code, "options '" + options + "', build log:\n" + log);
            }
            return program;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            int err = (int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
            if (err != CL_SUCCESS) {
                return "(no build log: " + OpenClException.errorName(err) + ")";
            }
            MemorySegment log = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            err = (int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, log.byteSize(), log, MemorySegment.NULL);
            return err == CL_SUCCESS ? log.getString(0, StandardCharsets.UTF_8).trim() : "(no build log)";
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment kernel = (MemorySegment) createKernel.invokeExact(program, arena.allocateFrom(name, StandardCharsets.UTF_8), err);
            int code = err.get(JAVA_INT, 0);
            if (code != CL_SUCCESS) {
                throw new OpenClException("clCreateKernel", code, "kernel '" + name + "'");
            }
            return kernel;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets argument {@code index} to the {@code size} bytes at {@code value} (copied by OpenCL before returning). */
    void setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value, String kernelName) {
        try {
            int code = (int) setKernelArg.invokeExact(kernel, index, size, value);
            if (code != CL_SUCCESS) {
                throw new OpenClException("clSetKernelArg", code, "argument " + index + " of kernel '" + kernelName + "'");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Enqueues a kernel over {@code dims} dimensions; {@code local} may be NULL to let the driver choose. */
    void enqueueNDRange(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local,
                        MemorySegment event, String kernelName) {
        try {
            int code = (int) enqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0,
                    MemorySegment.NULL, event);
            if (code != CL_SUCCESS) {
                throw new OpenClException("clEnqueueNDRangeKernel", code, "kernel '" + kernelName + "'");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- buffers ----

    /** A new buffer; with {@code initial} (native memory, or null) its first {@code bytes} bytes are copied in. */
    MemorySegment createBuffer(MemorySegment context, long flags, long bytes, MemorySegment initial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            long f = initial == null ? flags : flags | CL_MEM_COPY_HOST_PTR;
            MemorySegment host = initial == null ? MemorySegment.NULL : initial;
            MemorySegment mem = (MemorySegment) createBuffer.invokeExact(context, f, bytes, host, err);
            int code = err.get(JAVA_INT, 0);
            if (code != CL_SUCCESS) {
                throw new OpenClException("clCreateBuffer", code, bytes + " bytes");
            }
            return mem;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void enqueueWrite(MemorySegment queue, MemorySegment buffer, boolean blocking, long offset, long bytes, MemorySegment src) {
        try {
            check((int) enqueueWriteBuffer.invokeExact(queue, buffer, blocking ? 1 : 0, offset, bytes, src, 0, MemorySegment.NULL,
                    MemorySegment.NULL), "clEnqueueWriteBuffer");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void enqueueRead(MemorySegment queue, MemorySegment buffer, boolean blocking, long offset, long bytes, MemorySegment dst) {
        try {
            check((int) enqueueReadBuffer.invokeExact(queue, buffer, blocking ? 1 : 0, offset, bytes, dst, 0, MemorySegment.NULL,
                    MemorySegment.NULL), "clEnqueueReadBuffer");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void enqueueFill(MemorySegment queue, MemorySegment buffer, MemorySegment pattern, long offset, long bytes) {
        try {
            check((int) enqueueFillBuffer.invokeExact(queue, buffer, pattern, pattern.byteSize(), offset, bytes, 0, MemorySegment.NULL,
                    MemorySegment.NULL), "clEnqueueFillBuffer");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void enqueueCopy(MemorySegment queue, MemorySegment src, MemorySegment dst, long srcOffset, long dstOffset, long bytes) {
        try {
            check((int) enqueueCopyBuffer.invokeExact(queue, src, dst, srcOffset, dstOffset, bytes, 0, MemorySegment.NULL,
                    MemorySegment.NULL), "clEnqueueCopyBuffer");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- synchronisation and events ----

    void finish(MemorySegment queue) {
        try {
            check((int) finish.invokeExact(queue), "clFinish");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void flush(MemorySegment queue) {
        try {
            check((int) flush.invokeExact(queue), "clFlush");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for one event ({@code eventSlot} holds the cl_event, as an enqueue call wrote it). */
    void waitForEvent(MemorySegment eventSlot) {
        try {
            check((int) waitForEvents.invokeExact(1, eventSlot), "clWaitForEvents");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Device nanoseconds between the event's start and end (the queue needs CL_QUEUE_PROFILING_ENABLE). */
    long eventNanos(MemorySegment event) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment start = arena.allocate(JAVA_LONG);
            MemorySegment end = arena.allocate(JAVA_LONG);
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_START, 8L, start, MemorySegment.NULL),
                    "clGetEventProfilingInfo");
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_END, 8L, end, MemorySegment.NULL),
                    "clGetEventProfilingInfo");
            return end.get(JAVA_LONG, 0) - start.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- release (errors ignored: nothing useful can be done while tearing down) ----

    void releaseEvent(MemorySegment event) {
        release(releaseEvent, event);
    }

    void releaseMemObject(MemorySegment mem) {
        release(releaseMemObject, mem);
    }

    void releaseKernel(MemorySegment kernel) {
        release(releaseKernel, kernel);
    }

    void releaseProgram(MemorySegment program) {
        release(releaseProgram, program);
    }

    void releaseCommandQueue(MemorySegment queue) {
        release(releaseCommandQueue, queue);
    }

    void releaseContext(MemorySegment context) {
        release(releaseContext, context);
    }

    private static void release(MethodHandle handle, MemorySegment object) {
        if (object == null || object.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            int ignored = (int) handle.invokeExact(object);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
