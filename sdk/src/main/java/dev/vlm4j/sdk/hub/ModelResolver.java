package dev.vlm4j.sdk.hub;

import dev.vlm4j.sdk.ModelLoadException;
import dev.vlm4j.sdk.hub.HubClient.RemoteFile;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns model references into local files: local paths are checked, {@code hf:} references are looked up in the
 * hub's file list, downloaded once into the cache ({@code ~/.cache/vlm4j/hub/owner/repo/revision/...}) and reused.
 * For a hub model the repository's mmproj file is found automatically. Offline, only the cache is used.
 */
public final class ModelResolver {
    /** The CLI's default: a small real VLM that runs on a laptop CPU. */
    public static final String DEFAULT_MODEL = "hf:ggml-org/SmolVLM-256M-Instruct-GGUF:Q8_0";

    /** Text-model quantisations tried, in order, when a hub reference names none. */
    private static final List<String> PREFERRED_QUANTS = List.of("Q8_0", "Q4_K_M", "F16", "BF16", "Q4_0", "F32");
    /** Projector types tried, in order, when the text model's tag has no matching mmproj. */
    private static final List<String> PREFERRED_PROJECTOR_QUANTS = List.of("F16", "BF16", "Q8_0", "F32");

    /** How to reach the hub and where to cache. */
    public record Options(Path cacheDir, URI endpoint, boolean offline, Optional<String> token, Duration timeout,
                          DownloadProgress progress) {
        public Options {
            Objects.requireNonNull(cacheDir, "cacheDir");
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(progress, "progress");
        }

        /**
         * Defaults from the environment: cache {@code $VLM4J_CACHE} or {@code ~/.cache/vlm4j}, endpoint
         * {@code $HF_ENDPOINT} or {@code https://huggingface.co}, token {@code $HF_TOKEN}, offline when
         * {@code $VLM4J_OFFLINE} or {@code $HF_HUB_OFFLINE} is 1.
         */
        public static Options fromEnvironment(Map<String, String> env) {
            Path cache = env.containsKey("VLM4J_CACHE") ? Path.of(env.get("VLM4J_CACHE"))
                    : Path.of(System.getProperty("user.home"), ".cache", "vlm4j");
            URI endpoint = URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"));
            boolean offline = "1".equals(env.get("VLM4J_OFFLINE")) || "1".equals(env.get("HF_HUB_OFFLINE"));
            return new Options(cache, endpoint, offline, Optional.ofNullable(env.get("HF_TOKEN")), Duration.ofSeconds(30),
                    DownloadProgress.NONE);
        }

        public Options withOffline(boolean offline) {
            return new Options(cacheDir, endpoint, offline, token, timeout, progress);
        }

        public Options withProgress(DownloadProgress progress) {
            return new Options(cacheDir, endpoint, offline, token, timeout, progress);
        }

        public Options withCacheDir(Path cacheDir) {
            return new Options(cacheDir, endpoint, offline, token, timeout, progress);
        }
    }

    /** A text model file and, when one was given or found, its vision projector. */
    public record ResolvedModel(Path model, Optional<Path> projector) {}

    private final Options options;
    private final HubClient hub;

    public ModelResolver(Options options) {
        this.options = options;
        this.hub = new HubClient(options.endpoint(), options.token(), options.timeout());
    }

    public Options options() {
        return options;
    }

    /**
     * Resolves a model and its projector. With no projector given, a hub model's repository is searched for an
     * mmproj file; a local model has none unless given.
     */
    public ResolvedModel resolve(ModelSource model, Optional<ModelSource> projector) {
        Path modelPath;
        Optional<Path> projectorPath;
        switch (model) {
            case ModelSource.LocalFile local -> {
                modelPath = requireLocal(local.path(), "model");
                projectorPath = projector.map(p -> resolveFile(p, "projector"));
            }
            case ModelSource.HubFile ref -> {
                List<RemoteFile> files = listing(ref);
                RemoteFile text = pickTextModel(ref, files);
                modelPath = fetch(ref, text);
                projectorPath = projector.isPresent() ? Optional.of(resolveFile(projector.get(), "projector"))
                        : pickProjector(text, files).map(p -> fetch(ref, p));
            }
        }
        return new ResolvedModel(modelPath, projectorPath);
    }

    /** Resolves one file: a local path, or a hub reference whose selector names the file or a tag. */
    public Path resolveFile(ModelSource source, String role) {
        return switch (source) {
            case ModelSource.LocalFile local -> requireLocal(local.path(), role);
            case ModelSource.HubFile ref -> {
                List<RemoteFile> files = listing(ref);
                Optional<RemoteFile> named = ref.selector().flatMap(sel -> byName(files, sel));
                RemoteFile pick = named.orElseGet(() -> role.equals("projector")
                        ? pick(ref, files.stream().filter(f -> isGguf(f) && isProjector(f)).toList(), PREFERRED_PROJECTOR_QUANTS, role)
                        : pickTextModel(ref, files));
                yield fetch(ref, pick);
            }
        };
    }

    private static Path requireLocal(Path p, String role) {
        if (!Files.isRegularFile(p)) {
            throw new ModelLoadException(role + " file " + p + " does not exist (or is not a file)");
        }
        return p;
    }

    private Path repoDir(ModelSource.HubFile ref) {
        return options.cacheDir().resolve("hub").resolve(ref.repository()).resolve(ref.revision().replace('/', '_'));
    }

    /** The repository's file list: from the hub (and then cached), or from the cache alone when offline. */
    private List<RemoteFile> listing(ModelSource.HubFile ref) {
        Path cached = repoDir(ref).resolve(".listing.json");
        if (options.offline()) {
            if (!Files.exists(cached)) {
                throw new ModelLoadException(ref + " is not in the cache (" + repoDir(ref) + ") and offline mode is on; "
                        + "download it once online, or pass local files with --model and --mmproj");
            }
            try {
                return HubClient.parseListing(Files.readString(cached), cached.toString());
            } catch (IOException e) {
                throw new ModelLoadException("cannot read " + cached + ": " + e.getMessage(), e);
            }
        }
        StringBuilder raw = new StringBuilder();
        List<RemoteFile> files = hub.list(ref.repository(), ref.revision(), raw);
        try {
            Files.createDirectories(cached.getParent());
            Path tmp = cached.resolveSibling(".listing.json.tmp");
            Files.writeString(tmp, raw, StandardCharsets.UTF_8);
            Files.move(tmp, cached, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ModelLoadException("cannot write to the model cache " + cached.getParent() + ": " + e.getMessage(), e);
        }
        return files;
    }

    private Path fetch(ModelSource.HubFile ref, RemoteFile file) {
        Path target = repoDir(ref).resolve(file.path());
        if (!target.normalize().startsWith(repoDir(ref).normalize())) {
            throw new ModelLoadException("hub listing of " + ref + " names a file outside the repository: " + file.path());
        }
        try {
            if (Files.isRegularFile(target) && (file.size() < 0 || Files.size(target) == file.size())) {
                return target; // verified when it was downloaded
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + target + ": " + e.getMessage(), e);
        }
        if (options.offline()) {
            throw new ModelLoadException(file.path() + " of " + ref + " is not in the cache and offline mode is on");
        }
        hub.download(ref.repository(), ref.revision(), file, target, options.progress());
        return target;
    }

    static boolean isGguf(RemoteFile f) {
        return f.path().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    static boolean isProjector(RemoteFile f) {
        return fileName(f).toLowerCase(Locale.ROOT).contains("mmproj");
    }

    private static RemoteFile pickTextModel(ModelSource.HubFile ref, List<RemoteFile> files) {
        return pick(ref, files.stream().filter(f -> isGguf(f) && !isProjector(f)).toList(), PREFERRED_QUANTS, "text model");
    }

    /** By exact file name, else by quantisation tag, else by preference order. */
    private static RemoteFile pick(ModelSource.HubFile ref, List<RemoteFile> candidates, List<String> preferences, String role) {
        if (candidates.isEmpty()) {
            throw new ModelLoadException(ref + " has no " + role + " GGUF file");
        }
        if (ref.selector().isPresent()) {
            String sel = ref.selector().get();
            Optional<RemoteFile> named = byName(candidates, sel);
            if (named.isPresent()) {
                return named.get();
            }
            List<RemoteFile> tagged = candidates.stream().filter(f -> hasTag(f, sel)).toList();
            if (tagged.size() == 1) {
                return tagged.get(0);
            }
            throw new ModelLoadException(ref + ": " + (tagged.isEmpty() ? "no" : "several") + " " + role + " files match '" + sel
                    + "'; available: " + names(candidates));
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        for (String quant : preferences) {
            List<RemoteFile> tagged = candidates.stream().filter(f -> hasTag(f, quant)).toList();
            if (tagged.size() == 1) {
                return tagged.get(0);
            }
        }
        throw new ModelLoadException(ref + " has several " + role + " files; pick one with hf:" + ref.repository()
                + ":NAME-or-QUANT. Available: " + names(candidates));
    }

    private static Optional<RemoteFile> byName(List<RemoteFile> files, String name) {
        return files.stream().filter(f -> f.path().equals(name) || fileName(f).equals(name)).findFirst();
    }

    /** The mmproj of the repository: the one with the text model's tag, else by preference, else the only one. */
    private static Optional<RemoteFile> pickProjector(RemoteFile text, List<RemoteFile> files) {
        List<RemoteFile> projectors = files.stream().filter(f -> isGguf(f) && isProjector(f))
                .sorted(Comparator.comparing(RemoteFile::path)).toList();
        if (projectors.size() <= 1) {
            return projectors.stream().findFirst();
        }
        for (String quant : PREFERRED_QUANTS) {
            if (hasTag(text, quant)) {
                Optional<RemoteFile> same = projectors.stream().filter(p -> hasTag(p, quant)).findFirst();
                if (same.isPresent()) {
                    return same;
                }
            }
        }
        for (String quant : PREFERRED_PROJECTOR_QUANTS) {
            Optional<RemoteFile> p = projectors.stream().filter(f -> hasTag(f, quant)).findFirst();
            if (p.isPresent()) {
                return p;
            }
        }
        return projectors.stream().findFirst();
    }

    /** Whether the file name contains {@code tag} as its own word: {@code model-Q8_0.gguf} has Q8_0, not Q8. */
    static boolean hasTag(RemoteFile f, String tag) {
        Pattern p = Pattern.compile("(?i)(^|[^A-Za-z0-9])" + Pattern.quote(tag) + "([^A-Za-z0-9_]|$)");
        return p.matcher(fileName(f)).find();
    }

    private static String fileName(RemoteFile f) {
        int slash = f.path().lastIndexOf('/');
        return slash < 0 ? f.path() : f.path().substring(slash + 1);
    }

    private static String names(List<RemoteFile> files) {
        return String.join(", ", files.stream().map(RemoteFile::path).toList());
    }
}
