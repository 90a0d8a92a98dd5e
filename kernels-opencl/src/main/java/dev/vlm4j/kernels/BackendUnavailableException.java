package dev.vlm4j.kernels;

import dev.vlm4j.Vlm4jException;

/** The requested backend cannot run here (no OpenCL platform, no TornadoVM SDK, no such device). */
public final class BackendUnavailableException extends Vlm4jException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
