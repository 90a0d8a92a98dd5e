package dev.vlm4j.gguf;

import dev.vlm4j.Vlm4jException;
import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file: its metadata, its tensor directory, and its tensor data memory-mapped (never copied onto
 * the heap; files over 2 GB work). Closing it unmaps the file: tensors obtained from it must not be used after.
 * Safe to read from many threads.
 *
 * <p>Every structural problem (truncation, wrong magic, impossible counts, out-of-bounds or overlapping tensor
 * data, unknown types) is reported as a {@link GgufFormatException} naming the file, the offset and the field.
 * Beyond the format's own rules it refuses tensor names over 63 bytes (as llama.cpp does), arrays nested deeper than
 * 8 levels, keys and tensor names that are not UTF-8, and files that would make it allocate without bound: more than
 * 2^20 tensors, 2^22 metadata values or 256 MiB of metadata strings and arrays.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    /** Longest tensor name, in UTF-8 bytes: ggml's GGML_MAX_NAME (64) less the terminating NUL, as llama.cpp checks. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensorInfos;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file, GgufParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = header.version();
        this.metadata = header.metadata();
        this.tensorInfos = header.tensors();
        this.alignment = header.alignment();
        this.dataOffset = header.dataOffset();
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensorInfos) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** Opens and validates {@code path}, mapping its data read-only. */
    public static GgufFile open(Path path) {
        if (Files.isDirectory(path)) {
            throw new Vlm4jException(path + ": is a directory, not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = channel.size();
                mapped = size == 0 ? MemorySegment.ofArray(new byte[0]) : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            GgufParser.Header header = new GgufParser(path, mapped).parse();
            return new GgufFile(path, arena, mapped, header);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new Vlm4jException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new Vlm4jException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensorInfos() {
        return tensorInfos;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where tensor data starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    public Optional<Tensor> findTensor(String name) {
        GgufTensorInfo info = tensorsByName.get(name);
        return info == null ? Optional.empty() : Optional.of(view(info));
    }

    /** The tensor called {@code name}, its bytes a view of the mapped file. */
    public Tensor tensor(String name) {
        GgufTensorInfo info = tensorsByName.get(name);
        if (info == null) {
            throw new MissingTensorException(path, name);
        }
        return view(info);
    }

    private Tensor view(GgufTensorInfo info) {
        MemorySegment bytes = file.asSlice(dataOffset + info.offset(), info.byteSize());
        return new Tensor(info.name(), info.type(), info.shape(), bytes);
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensorInfos.size() + " tensors]";
    }

    /** A tensor's directory entry: name, type, shape and offset relative to the data section. */
    public record GgufTensorInfo(String name, GgmlType type, Shape shape, long offset) {
        public long byteSize() {
            return type.bytesFor(shape.elements());
        }

        public long parameters() {
            return shape.elements();
        }
    }
}
