package dev.vlm4j.sdk.hub;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vlm4j.sdk.ModelLoadException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub resolver against a local server on 127.0.0.1 that mimics the Hugging Face endpoints it uses: the tree
 * listing, {@code resolve} redirecting to a CDN host, range requests, a connection that drops mid-file.
 */
class ModelResolverTest {
    private static final String REPO = "acme/TinyVLM-GGUF";

    @TempDir
    Path cache;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** File name -> byte count after which the next CDN response for it is cut off (once). */
    private final Map<String, Integer> dropAfter = new ConcurrentHashMap<>();
    /** File name -> bytes served instead of the real content (a corrupt mirror). */
    private final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();
    private final List<String> cdnRequests = new CopyOnWriteArrayList<>();
    private final List<String> authOnCdn = new CopyOnWriteArrayList<>();
    private String endpoint;

    @BeforeEach
    void start() throws IOException {
        Random random = new Random(7);
        for (String name : List.of("TinyVLM-Q8_0.gguf", "TinyVLM-F16.gguf", "mmproj-TinyVLM-Q8_0.gguf", "mmproj-TinyVLM-F16.gguf")) {
            byte[] data = new byte[200_000 + random.nextInt(50_000)];
            random.nextBytes(data);
            files.put(name, data);
        }
        files.put("README.md", "# tiny\n".getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/models/", this::listing);
        server.createContext("/" + REPO + "/resolve/", this::resolve);
        server.createContext("/cdn/", this::cdn);
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void listing(HttpExchange ex) throws IOException {
        if (!ex.getRequestURI().getPath().equals("/api/models/" + REPO + "/tree/main")) {
            send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        StringBuilder json = new StringBuilder("[");
        json.append("{\"type\":\"directory\",\"oid\":\"x\",\"size\":0,\"path\":\"docs\"}");
        for (var e : files.entrySet()) {
            json.append(',');
            if (e.getKey().endsWith(".gguf")) {
                json.append(String.format("{\"type\":\"file\",\"oid\":\"deadbeef\",\"size\":134,\"path\":\"%s\",\"lfs\":{\"oid\":\"%s\",\"size\":%d,\"pointerSize\":134}}",
                        e.getKey(), sha256(e.getValue()), e.getValue().length));
            } else {
                json.append(String.format("{\"type\":\"file\",\"oid\":\"%s\",\"size\":%d,\"path\":\"%s\"}",
                        gitSha1(e.getValue()), e.getValue().length, e.getKey()));
            }
        }
        send(ex, 200, json.append(']').toString().getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring(("/" + REPO + "/resolve/main/").length());
        if (!files.containsKey(name)) {
            send(ex, 404, new byte[0]);
            return;
        }
        // A different host name for the same server: the client must not send its token there.
        ex.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + name);
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    private void cdn(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring("/cdn/".length());
        byte[] data = corrupt.getOrDefault(name, files.get(name));
        String range = ex.getRequestHeaders().getFirst("Range");
        cdnRequests.add(name + " " + (range == null ? "-" : range));
        if (ex.getRequestHeaders().containsKey("Authorization")) {
            authOnCdn.add(name);
        }
        int from = 0;
        int status = 200;
        if (range != null) {
            from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
            status = 206;
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        int length = data.length - from;
        ex.sendResponseHeaders(status, length);
        Integer cut = dropAfter.remove(name);
        try (OutputStream out = ex.getResponseBody()) {
            if (cut != null) {
                out.write(data, from, cut);
                out.flush();
                // Simulate a dropped connection: close without sending the rest of the announced body.
                throw new IOException("simulated connection drop");
            }
            out.write(data, from, length);
        } catch (IOException dropped) {
            ex.close();
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private ModelResolver resolver(boolean offline) {
        return new ModelResolver(new ModelResolver.Options(cache, URI.create(endpoint), offline, Optional.of("secret"),
                Duration.ofSeconds(5), DownloadProgress.NONE));
    }

    @Test
    void picksTheQ8ModelAndItsMatchingProjectorAndCachesThem() throws IOException {
        var resolved = resolver(false).resolve(ModelSource.parse("hf:" + REPO), Optional.empty());
        assertAll(
                () -> assertEquals("TinyVLM-Q8_0.gguf", resolved.model().getFileName().toString()),
                () -> assertArrayEquals(files.get("TinyVLM-Q8_0.gguf"), Files.readAllBytes(resolved.model())),
                () -> assertEquals("mmproj-TinyVLM-Q8_0.gguf", resolved.projector().orElseThrow().getFileName().toString()),
                () -> assertArrayEquals(files.get("mmproj-TinyVLM-Q8_0.gguf"), Files.readAllBytes(resolved.projector().orElseThrow())),
                () -> assertTrue(authOnCdn.isEmpty(), "token leaked to the CDN host for " + authOnCdn));
        int requests = cdnRequests.size();
        resolver(false).resolve(ModelSource.parse("hf:" + REPO), Optional.empty());
        assertEquals(requests, cdnRequests.size(), "a cached model must not be downloaded again");
    }

    @Test
    void quantTagsAndFileNamesSelectFiles() {
        var f16 = resolver(false).resolve(ModelSource.parse("hf:" + REPO + ":f16"), Optional.empty());
        assertEquals("TinyVLM-F16.gguf", f16.model().getFileName().toString());
        assertEquals("mmproj-TinyVLM-F16.gguf", f16.projector().orElseThrow().getFileName().toString());
        var byName = resolver(false).resolve(ModelSource.parse("hf:" + REPO + ":TinyVLM-F16.gguf"), Optional.empty());
        assertEquals("TinyVLM-F16.gguf", byName.model().getFileName().toString());
        ModelLoadException none = assertThrows(ModelLoadException.class,
                () -> resolver(false).resolve(ModelSource.parse("hf:" + REPO + ":Q5_K_M"), Optional.empty()));
        assertTrue(none.getMessage().contains("TinyVLM-Q8_0.gguf"), "error should list what is available: " + none.getMessage());
    }

    @Test
    void resumesAfterTheConnectionDropsMidFile() throws IOException {
        dropAfter.put("TinyVLM-Q8_0.gguf", 70_000);
        Path model = resolver(false).resolveFile(ModelSource.parse("hf:" + REPO + ":Q8_0"), "model");
        assertArrayEquals(files.get("TinyVLM-Q8_0.gguf"), Files.readAllBytes(model));
        List<String> requests = cdnRequests.stream().filter(r -> r.startsWith("TinyVLM-Q8_0.gguf")).toList();
        assertEquals(2, requests.size(), "one cut-off request and one resumed: " + requests);
        assertEquals("TinyVLM-Q8_0.gguf bytes=70000-", requests.get(1), "the second request resumes with a range");
        assertFalse(Files.exists(model.resolveSibling(model.getFileName() + ".incomplete")));
    }

    @Test
    void aCorruptDownloadIsRejectedAndNotKept() {
        byte[] bad = files.get("TinyVLM-F16.gguf").clone();
        bad[1234] ^= 1;
        corrupt.put("TinyVLM-F16.gguf", bad);
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> resolver(false).resolveFile(ModelSource.parse("hf:" + REPO + ":F16"), "model"));
        assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("sha256"), e.getMessage());
        Path target = cache.resolve("hub").resolve(REPO).resolve("main").resolve("TinyVLM-F16.gguf");
        assertFalse(Files.exists(target), "a file failing its checksum must not be put in place");
    }

    @Test
    void smallNonLfsFilesAreVerifiedWithGitBlobSha1() throws IOException {
        Path readme = resolver(false).resolveFile(ModelSource.parse("hf:" + REPO + ":README.md"), "model-card");
        assertEquals("# tiny\n", Files.readString(readme));
    }

    @Test
    void offlineUsesTheCacheOnlyAndSaysWhatToDoOtherwise() {
        ModelLoadException empty = assertThrows(ModelLoadException.class,
                () -> resolver(true).resolve(ModelSource.parse("hf:" + REPO), Optional.empty()));
        assertTrue(empty.getMessage().contains("offline") && empty.getMessage().contains("--model"), empty.getMessage());
        var online = resolver(false).resolve(ModelSource.parse("hf:" + REPO), Optional.empty());
        server.stop(0);
        var offline = resolver(true).resolve(ModelSource.parse("hf:" + REPO), Optional.empty());
        assertEquals(online, offline);
    }

    @Test
    void unknownRepositoriesAndUnreachableHubsGiveClearErrors() throws IOException {
        ModelLoadException missing = assertThrows(ModelLoadException.class,
                () -> resolver(false).resolve(ModelSource.parse("hf:acme/nothing-here"), Optional.empty()));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
        server.stop(0);
        ModelLoadException unreachable = assertThrows(ModelLoadException.class,
                () -> resolver(false).resolve(ModelSource.parse("hf:" + REPO), Optional.empty()));
        assertTrue(unreachable.getMessage().contains("cannot reach the hub"), unreachable.getMessage());
    }

    @Test
    void referencesParse() {
        assertEquals(new ModelSource.HubFile("o/r", Optional.of("Q8_0"), "v1.0"), ModelSource.parse("hf:o/r:Q8_0@v1.0"));
        assertEquals(new ModelSource.LocalFile(Path.of("models/m.gguf")), ModelSource.parse("models/m.gguf"));
        assertThrows(IllegalArgumentException.class, () -> ModelSource.parse("hf:not-a-repo"));
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String gitSha1(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
