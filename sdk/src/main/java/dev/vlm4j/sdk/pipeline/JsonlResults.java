package dev.vlm4j.sdk.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm4j.Vlm4jException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A JSON Lines results file that survives crashes: every record is one line written with a single write and
 * forced to disk, so a crash loses at most the line being written. On open, a torn last line is cut off and the
 * keys of the complete records are read, so a rerun skips work already done.
 */
public final class JsonlResults implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final Set<String> done = new HashSet<>();

    /** Opens (creating if needed) {@code path}; {@code key} names a record (e.g. its image and question). */
    public JsonlResults(Path path, Function<JsonNode, String> key) {
        this.path = path;
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long keep = 0;
            if (channel.size() > 0) {
                byte[] bytes = Files.readAllBytes(path);
                int lineStart = 0;
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == '\n') {
                        String line = new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8);
                        if (!line.isBlank()) {
                            done.add(key.apply(parse(line, lineStart)));
                        }
                        lineStart = i + 1;
                        keep = lineStart;
                    }
                }
            }
            channel.truncate(keep); // drop a line torn by a crash (it has no newline yet)
            channel.position(keep);
        } catch (IOException e) {
            throw new Vlm4jException("cannot open results file " + path + ": " + e.getMessage(), e);
        }
    }

    private JsonNode parse(String line, long at) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new Vlm4jException(path + ": line at byte " + at + " is not JSON (" + e.getMessage()
                    + "); fix or move the file before resuming");
        }
    }

    public boolean isDone(String key) {
        return done.contains(key);
    }

    public int doneCount() {
        return done.size();
    }

    public synchronized void append(ObjectNode record, String key) {
        try {
            byte[] line = (JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer bb = ByteBuffer.wrap(line);
            while (bb.hasRemaining()) {
                channel.write(bb);
            }
            channel.force(false);
            done.add(key);
        } catch (IOException e) {
            throw new Vlm4jException("cannot write to results file " + path + ": " + e.getMessage(), e);
        }
    }

    public static ObjectNode newRecord() {
        return JSON.createObjectNode();
    }

    /** Reads every record of a results file (for tests and tools). */
    public static List<JsonNode> read(Path path) throws IOException {
        return Files.readAllLines(path).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new Vlm4jException(path + ": not JSON: " + l);
            }
        }).toList();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new Vlm4jException("cannot close " + path + ": " + e.getMessage(), e);
        }
    }
}
