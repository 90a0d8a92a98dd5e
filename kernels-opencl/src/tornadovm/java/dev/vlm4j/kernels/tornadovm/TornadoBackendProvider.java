package dev.vlm4j.kernels.tornadovm;

import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.BackendProvider;
import dev.vlm4j.kernels.BackendUnavailableException;
import dev.vlm4j.kernels.DeviceInfo;
import java.util.List;

/**
 * Finds TornadoVM's devices and makes {@link TornadoBackend}s on them. Listed in {@code META-INF/services} only in
 * builds with the {@code tornadovm} profile. The TornadoVM runtime itself comes from the SDK's module path at run
 * time, so this class links against nothing of TornadoVM: {@link TornadoDevices} does, and any failure to load
 * or start the runtime becomes a {@link BackendUnavailableException} that says how to start the JVM.
 *
 * <p>Device choice ({@link BackendOptions#device()}): null takes TornadoVM's default device ({@code tornado
 * --devices} marks it; {@code -Dtornado.driver}/{@code -Dtornado.device} change it); a number picks that index of
 * {@link #devices()}; anything else the first device whose name contains it (ignoring case).
 */
public final class TornadoBackendProvider implements BackendProvider {
    static final String HOW_TO_RUN = "run with the JVM flags of the TornadoVM SDK: `$TORNADOVM_HOME/bin/tornado --printJavaFlags`"
            + " (./vlm4j adds them when TORNADOVM_HOME is set)";

    @Override
    public BackendKind kind() {
        return BackendKind.TORNADOVM;
    }

    /** TornadoVM's devices; empty when its runtime cannot start in this JVM. */
    @Override
    public List<DeviceInfo> devices() {
        try {
            return runtime().devices();
        } catch (BackendUnavailableException e) {
            return List.of();
        }
    }

    @Override
    public Backend create(BackendOptions options) {
        return runtime().create(options.device());
    }

    /** Loads TornadoVM's runtime; a JVM started without the SDK's flags cannot. */
    private static TornadoDevices runtime() {
        try {
            return TornadoDevices.load();
        } catch (BackendUnavailableException e) {
            throw e;
        } catch (LinkageError | RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new BackendUnavailableException("the TornadoVM runtime is not available in this JVM (" + root
                    + "); " + HOW_TO_RUN, e);
        }
    }
}
