package dev.vlm4j.kernels.opencl;

import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.BackendProvider;
import dev.vlm4j.kernels.BackendUnavailableException;
import dev.vlm4j.kernels.DeviceInfo;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Finds OpenCL devices through the system's ICD loader and makes {@link OpenClBackend}s on them. Listed in
 * {@code META-INF/services}; {@link dev.vlm4j.kernels.Backends} finds it with the ServiceLoader.
 *
 * <p>Device choice ({@link BackendOptions#device()}): null picks the first GPU or accelerator, else the first
 * device; a number picks that index of {@link #devices()}; anything else the first device whose name contains it
 * (ignoring case).
 */
public final class OpenClBackendProvider implements BackendProvider {
    private final List<String> libraryNames;

    public OpenClBackendProvider() {
        this(OpenClLibrary.defaultLibraryNames());
    }

    /** A provider that loads the ICD loader from {@code libraryNames} (tests use one that does not exist). */
    OpenClBackendProvider(List<String> libraryNames) {
        this.libraryNames = List.copyOf(libraryNames);
    }

    @Override
    public BackendKind kind() {
        return BackendKind.OPENCL;
    }

    /** Every device of every platform; empty when there is no ICD loader or no platform. */
    @Override
    public List<DeviceInfo> devices() {
        OpenClLibrary cl;
        try {
            cl = OpenClLibrary.load(libraryNames);
        } catch (BackendUnavailableException e) {
            return List.of();
        }
        return OpenClDevice.enumerate(cl).stream().map(OpenClDevice::info).toList();
    }

    @Override
    public Backend create(BackendOptions options) {
        OpenClLibrary cl = OpenClLibrary.load(libraryNames);
        List<OpenClDevice> all = OpenClDevice.enumerate(cl);
        if (all.isEmpty()) {
            throw new BackendUnavailableException("no OpenCL platform found: the ICD loader (" + cl.libraryName()
                    + ") has no driver registered (/etc/OpenCL/vendors); install one, e.g. your GPU vendor's OpenCL runtime or pocl-opencl-icd");
        }
        return new OpenClBackend(cl, select(all, options.device()));
    }

    static OpenClDevice select(List<OpenClDevice> all, String wanted) {
        if (wanted == null || wanted.isBlank()) {
            return all.stream().filter(d -> d.info().isAccelerator()).findFirst().orElse(all.get(0));
        }
        String w = wanted.strip();
        if (w.chars().allMatch(Character::isDigit)) {
            int index;
            try {
                index = Integer.parseInt(w);
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index >= 0 && index < all.size()) {
                return all.get(index);
            }
            throw new BackendUnavailableException("no OpenCL device " + w + "; there are " + all.size() + ": " + list(all));
        }
        String needle = w.toLowerCase(Locale.ROOT);
        return all.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(needle)).findFirst()
                .orElseThrow(() -> new BackendUnavailableException("no OpenCL device name contains '" + w + "'; devices: " + list(all)));
    }

    private static String list(List<OpenClDevice> all) {
        return all.stream().map(d -> d.index() + " = " + d.name() + " (" + d.typeName() + ", " + d.platformName() + ")")
                .collect(Collectors.joining("; "));
    }
}
