package dev.vlm4j.gguf;

import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import dev.vlm4j.tensor.TensorCodecs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes GGUF files (v3 by default) from metadata and tensors: test fixtures, benchmark models, converted or
 * quantised models. Tensor data is streamed from each tensor's segment, so files larger than the heap work.
 * The file is written to a temporary sibling and moved into place, so a crash never leaves a half file.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .put("general.architecture", GgufValue.str("llama"))
 *     .tensor(new Tensor("token_embd.weight", GgmlType.F16, Shape.matrix(vocab, dim), bytes))
 *     .write(path);
 * }</pre>
 */
public final class GgufWriter {
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private int version = 3;
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3");
        }
        this.version = version;
        return this;
    }

    /** Sets the data alignment; a value other than 32 is also recorded as {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        if (!validAlignment(alignment)) {
            throw new IllegalArgumentException("alignment must be a power of two up to 2^30, got " + alignment);
        }
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put(GgufParser.ALIGNMENT_KEY, GgufValue.u32(alignment));
        } else {
            metadata.remove(GgufParser.ALIGNMENT_KEY);
        }
        return this;
    }

    /**
     * Adds or replaces a key. Putting {@code general.alignment} (a UINT32 power of two) also sets the alignment the
     * data is laid out with, so the header never disagrees with the layout; unlike {@link #alignment(int)}, the key
     * is written even when it states the default 32, so a file read and written back keeps all its keys.
     */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value of " + key);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("metadata keys may not be empty");
        }
        if (key.equals(GgufParser.ALIGNMENT_KEY)) {
            if (!(value instanceof GgufValue.Int a) || a.type() != GgufValueType.UINT32 || !validAlignment(a.value())) {
                throw new IllegalArgumentException(key + " must be a UINT32 power of two up to 2^30, got " + value);
            }
            this.alignment = (int) a.value();
        }
        metadata.put(key, value);
        return this;
    }

    private static boolean validAlignment(long alignment) {
        return alignment > 0 && Long.bitCount(alignment) == 1 && alignment <= GgufParser.MAX_ALIGNMENT;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    /** Adds a tensor; its bytes are copied into the file when {@link #write} runs (keep the segment alive). */
    public GgufWriter tensor(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        int nameBytes = utf8(tensor.name()).length;
        if (nameBytes > GgufFile.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + tensor.name() + "' is " + nameBytes
                    + " bytes; llama.cpp allows at most " + GgufFile.MAX_TENSOR_NAME_BYTES);
        }
        if (!tensorNames.add(tensor.name())) {
            throw new IllegalArgumentException("duplicate tensor name " + tensor.name());
        }
        tensors.add(tensor);
        return this;
    }

    /** Convenience: quantises F32 values into {@code type} (F32, F16, BF16, Q8_0 or Q4_0) and adds them. */
    public GgufWriter tensor(String name, GgmlType type, Shape shape, float[] values) {
        if (values.length != shape.elements()) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + shape);
        }
        return tensor(new Tensor(name, type, shape, TensorCodecs.quantize(type, values, 0, values.length)));
    }

    /**
     * Writes the file: header, metadata, tensor infos, then each tensor's data at the next multiple of the
     * alignment, as llama.cpp lays it out. Written to {@code path.part} first and moved into place; on failure
     * the partial file is deleted.
     */
    public void write(Path path) {
        Path tmp = path.resolveSibling(path.getFileName() + ".part");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(out);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot write " + path, io);
            }
            throw (RuntimeException) e;
        }
    }

    private void writeTo(FileChannel out) throws IOException {
        Sink sink = new Sink(out);
        sink.u32(GgufFile.MAGIC);
        sink.u32(version);
        sink.u64(tensors.size());
        sink.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            sink.string(e.getKey());
            sink.u32(e.getValue().type().id());
            sink.value(e.getValue());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            sink.string(t.name());
            long[] ne = t.shape().ne();
            sink.u32(ne.length);
            for (long d : ne) {
                sink.u64(d);
            }
            sink.u32(t.type().id());
            sink.u64(offset);
            offset = alignUp(offset + t.data().byteSize());
        }
        if (!tensors.isEmpty()) { // a file without tensors (a vocabulary) ends after its header, as llama.cpp writes it
            sink.padTo(alignment);
        }
        // Copied through one heap buffer: a segment over a float[] (or any non-byte[] memory) has no ByteBuffer view.
        long largest = tensors.stream().mapToLong(t -> t.data().byteSize()).max().orElse(0);
        byte[] chunk = new byte[(int) Math.clamp(largest, 1, 1 << 20)];
        for (Tensor t : tensors) {
            sink.flush();
            MemorySegment data = t.data();
            for (long at = 0; at < data.byteSize(); at += chunk.length) {
                int n = (int) Math.min(chunk.length, data.byteSize() - at);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, chunk, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(chunk, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
            }
            sink.written += data.byteSize();
            sink.padTo(alignment);
        }
        sink.flush();
    }

    /** UTF-8 bytes of {@code s}; a lone surrogate (which UTF-8 cannot hold, so would not read back) is refused. */
    static byte[] utf8(String s) {
        try {
            ByteBuffer bb = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = new byte[bb.remaining()];
            bb.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (lone surrogate): "
                    + GgufFormatException.shown(s.length() > 40 ? s.substring(0, 40) : s), e);
        }
    }

    private long alignUp(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** Buffered little-endian output that counts what it wrote (for padding). */
    private static final class Sink {
        private final FileChannel out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Sink(FileChannel out) {
            this.out = out;
        }

        void ensure(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            buf.clear();
        }

        void u8(int v) throws IOException {
            ensure(1);
            buf.put((byte) v);
            written += 1;
        }

        void u16(int v) throws IOException {
            ensure(2);
            buf.putShort((short) v);
            written += 2;
        }

        void u32(long v) throws IOException {
            ensure(4);
            buf.putInt((int) v);
            written += 4;
        }

        void u64(long v) throws IOException {
            ensure(8);
            buf.putLong(v);
            written += 8;
        }

        void string(String s) throws IOException {
            byte[] bytes = utf8(s);
            u64(bytes.length);
            for (int at = 0; at < bytes.length; ) {
                ensure(1);
                int n = Math.min(buf.remaining(), bytes.length - at);
                buf.put(bytes, at, n);
                at += n;
            }
            written += bytes.length;
        }

        void value(GgufValue v) throws IOException {
            switch (v) {
                case GgufValue.Int i -> {
                    switch (i.type()) {
                        case UINT8, INT8 -> u8((int) i.value());
                        case UINT16, INT16 -> u16((int) i.value());
                        case UINT32, INT32 -> u32(i.value());
                        default -> u64(i.value());
                    }
                }
                case GgufValue.Float32 f -> u32(Float.floatToRawIntBits(f.value()));
                case GgufValue.Float64 d -> u64(Double.doubleToRawLongBits(d.value()));
                case GgufValue.Bool b -> u8(b.value() ? 1 : 0);
                case GgufValue.Str s -> string(s.value());
                case GgufValue.Array a -> {
                    u32(a.elementType().id());
                    u64(a.values().size());
                    for (GgufValue e : a.values()) {
                        value(e);
                    }
                }
            }
        }

        void padTo(int alignment) throws IOException {
            while (written % alignment != 0) {
                u8(0);
            }
        }
    }
}
