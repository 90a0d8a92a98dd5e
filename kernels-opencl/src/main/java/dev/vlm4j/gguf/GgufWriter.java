package dev.vlm4j.gguf;

import dev.vlm4j.tensor.GgmlType;
import dev.vlm4j.tensor.Shape;
import dev.vlm4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two");
        }
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put("general.alignment", GgufValue.u32(alignment));
        } else {
            metadata.remove("general.alignment");
        }
        return this;
    }

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    public GgufWriter tensor(Tensor tensor) {
        for (Tensor t : tensors) {
            if (t.name().equals(tensor.name())) {
                throw new IllegalArgumentException("duplicate tensor name " + tensor.name());
            }
        }
        tensors.add(tensor);
        return this;
    }

    /** Convenience: quantises F32 values into {@code type} and adds them. */
    public GgufWriter tensor(String name, GgmlType type, Shape shape, float[] values) {
        if (values.length != shape.elements()) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + shape);
        }
        return tensor(new Tensor(name, type, shape, dev.vlm4j.tensor.TensorCodecs.quantize(type, values, 0, values.length)));
    }

    public void write(Path path) {
        Path tmp = path.resolveSibling(path.getFileName() + ".part");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
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
            sink.padTo(alignment);
            for (Tensor t : tensors) {
                sink.flush();
                MemorySegment data = t.data();
                long chunk = 1 << 24;
                for (long at = 0; at < data.byteSize(); at += chunk) {
                    ByteBuffer bb = data.asSlice(at, Math.min(chunk, data.byteSize() - at)).asByteBuffer();
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
                sink.written += data.byteSize();
                sink.padTo(alignment);
            }
            sink.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + tmp + " to " + path, e);
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
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
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
