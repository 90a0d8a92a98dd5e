package dev.vlm4j.sdk.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.sdk.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The few Hugging Face hub endpoints vlm4j needs: a repository's file list
 * ({@code GET /api/models/{repo}/tree/{revision}}) and file downloads
 * ({@code GET /{repo}/resolve/{revision}/{path}}, which redirects to a CDN). Downloads resume with HTTP range
 * requests after a dropped connection and are verified against the listing's size and checksum (the LFS sha256,
 * or git's blob sha1 for small files) before they are moved into place.
 */
final class HubClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REDIRECTS = 10;
    private static final int MAX_ATTEMPTS = 5;

    /** One file of a repository listing. {@code sha256} is present for LFS files, {@code gitSha1} for the rest. */
    record RemoteFile(String path, long size, Optional<String> sha256, Optional<String> gitSha1) {}

    private final URI endpoint;
    private final Optional<String> token;
    private final Duration timeout;

    HubClient(URI endpoint, Optional<String> token, Duration timeout) {
        this.endpoint = endpoint;
        this.token = token;
        this.timeout = timeout;
    }

    /** The files of {@code repository} at {@code revision}, with sizes and checksums; also returns the raw JSON for caching. */
    List<RemoteFile> list(String repository, String revision, StringBuilder rawJson) {
        URI uri = endpoint.resolve("/api/models/" + repository + "/tree/" + encode(revision) + "?recursive=true");
        HttpURLConnection c = null;
        try {
            c = open(uri, -1);
            int status = c.getResponseCode();
            if (status == 404 || status == 401) {
                throw new ModelLoadException("hub repository '" + repository + "' (revision " + revision + ") not found at "
                        + endpoint + " (HTTP " + status + "; private repositories need HF_TOKEN)");
            }
            if (status != 200) {
                throw new ModelLoadException("listing " + uri + " failed: HTTP " + status);
            }
            String body;
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            rawJson.append(body);
            return parseListing(body, uri.toString());
        } catch (IOException e) {
            throw new ModelLoadException("cannot reach the hub at " + endpoint + " to list " + repository + ": " + e.getMessage()
                    + " (offline? pass a local path with --model, or use --offline with a filled cache)", e);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    static List<RemoteFile> parseListing(String body, String source) {
        try {
            JsonNode root = JSON.readTree(body);
            if (!root.isArray()) {
                throw new ModelLoadException(source + ": expected a JSON array of files");
            }
            List<RemoteFile> files = new ArrayList<>();
            for (JsonNode n : root) {
                if (!"file".equals(n.path("type").asText("file")) || !n.hasNonNull("path")) {
                    continue;
                }
                JsonNode lfs = n.path("lfs");
                long size = lfs.has("size") ? lfs.get("size").asLong() : n.path("size").asLong(-1);
                Optional<String> sha256 = lfs.hasNonNull("oid") ? Optional.of(lfs.get("oid").asText()) : Optional.empty();
                Optional<String> sha1 = sha256.isEmpty() && n.hasNonNull("oid") ? Optional.of(n.get("oid").asText()) : Optional.empty();
                files.add(new RemoteFile(n.get("path").asText(), size, sha256, sha1));
            }
            return files;
        } catch (IOException e) {
            throw new ModelLoadException(source + ": not a valid file listing: " + e.getMessage(), e);
        }
    }

    /**
     * Downloads {@code file} to {@code target}: into {@code target.incomplete} first (resumed across attempts and
     * across runs), then verified and moved into place.
     */
    void download(String repository, String revision, RemoteFile file, Path target, DownloadProgress progress) {
        Path part = target.resolveSibling(target.getFileName() + ".incomplete");
        URI uri = endpoint.resolve("/" + repository + "/resolve/" + encode(revision) + "/" + encodePath(file.path()));
        IOException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                Files.createDirectories(target.getParent());
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (file.size() >= 0 && have > file.size()) {
                    Files.delete(part);
                    have = 0;
                }
                if (file.size() < 0 || have < file.size()) {
                    fetch(uri, part, have, file, progress);
                }
                verify(file, part, repository);
                Files.move(part, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                last = e; // dropped connection or stalled read: resume from what we have
            }
        }
        throw new ModelLoadException("downloading " + file.path() + " from " + repository + " failed after " + MAX_ATTEMPTS
                + " attempts: " + last.getMessage() + " (the partial file " + part + " is kept; rerun to resume)", last);
    }

    private void fetch(URI uri, Path part, long have, RemoteFile file, DownloadProgress progress) throws IOException {
        HttpURLConnection c = open(uri, have);
        try {
            int status = c.getResponseCode();
            boolean append;
            if (status == 206) {
                append = true;
            } else if (status == 200) {
                append = false; // the server ignored the range: start over
                have = 0;
            } else if (status == 416) {
                return; // nothing left to fetch; verify() decides whether the part is right
            } else if (status == 404 || status == 401 || status == 403) {
                throw new ModelLoadException("hub file " + file.path() + " not available at " + uri + " (HTTP " + status + ")");
            } else {
                throw new IOException("HTTP " + status + " from " + uri);
            }
            long total = file.size() >= 0 ? file.size() : have + Math.max(0, c.getContentLengthLong());
            try (InputStream in = c.getInputStream();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                long done = have;
                progress.update(file.path(), done, total);
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    done += n;
                    progress.update(file.path(), done, total);
                }
            }
        } finally {
            c.disconnect();
        }
    }

    private static void verify(RemoteFile file, Path part, String repository) throws IOException {
        long size = Files.size(part);
        if (file.size() >= 0 && size != file.size()) {
            throw new IOException("connection ended at " + size + " of " + file.size() + " bytes");
        }
        try {
            if (file.sha256().isPresent()) {
                check(file, part, digest(part, "SHA-256", null), file.sha256().get(), "sha256");
            } else if (file.gitSha1().isPresent()) {
                check(file, part, digest(part, "SHA-1", ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII)),
                        file.gitSha1().get(), "git sha1");
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(RemoteFile file, Path part, String actual, String expected, String kind) throws IOException {
        if (!actual.equalsIgnoreCase(expected)) {
            Files.deleteIfExists(part);
            throw new ModelLoadException("downloaded " + file.path() + " is corrupt: " + kind + " " + actual + ", the hub lists "
                    + expected + " (the partial file was deleted; rerun to download again)");
        }
    }

    private static String digest(Path p, String algorithm, byte[] prefix) throws IOException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance(algorithm);
        if (prefix != null) {
            md.update(prefix);
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Opens {@code uri}, following redirects by hand so the token goes to the hub only, never to the CDN host.
     * {@code rangeFrom >= 0} asks for the bytes from there on.
     */
    private HttpURLConnection open(URI uri, long rangeFrom) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = (HttpURLConnection) current.toURL().openConnection();
            c = (HttpURLConnection) current.toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis()); // a stalled server fails the read instead of hanging
            c.setRequestProperty("User-Agent", "vlm4j");
            if (rangeFrom > 0) {
                c.setRequestProperty("Range", "bytes=" + rangeFrom + "-");
            }
            if (token.isPresent() && sameHost(current, endpoint)) {
                c.setRequestProperty("Authorization", "Bearer " + token.get());
            }
            int status = c.getResponseCode();
            if (status >= 300 && status < 400 && c.getHeaderField("Location") != null) {
                current = current.resolve(c.getHeaderField("Location"));
                c.disconnect();
                continue;
            }
            return c;
        }
        throw new ModelLoadException("too many redirects fetching " + uri);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String seg : path.split("/")) {
            sb.append(sb.isEmpty() ? "" : "/").append(encode(seg));
        }
        return sb.toString();
    }
}
