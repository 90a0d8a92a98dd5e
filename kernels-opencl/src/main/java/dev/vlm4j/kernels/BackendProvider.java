package dev.vlm4j.kernels;

import java.util.List;

/**
 * A backend that may or may not be present at run time (OpenCL needs a driver, TornadoVM an SDK and a build
 * profile). Implementations are listed in {@code META-INF/services/dev.vlm4j.kernels.BackendProvider} and found
 * with {@link java.util.ServiceLoader}, so the core never links against an optional backend.
 */
public interface BackendProvider {
    BackendKind kind();

    /** Devices this backend can use here; empty when it cannot run (no driver, no platform). */
    List<DeviceInfo> devices();

    /** Creates a backend; throws {@link BackendUnavailableException} saying why when it cannot. */
    Backend create(BackendOptions options);
}
