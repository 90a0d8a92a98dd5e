package dev.vlm4j.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GGUF bytes written field by field, for hostile-input tests: any value goes (the writer refuses bad ones), and
 * {@link #mark} remembers where a named field starts so tests can assert the offset an error reports.
 */
final class RawGguf {
    private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<String, Long> marks = new LinkedHashMap<>();

    /** Magic, version, tensor count, key/value count, with marks "version", "tensor_count", "kv_count". */
    static RawGguf header(long version, long tensorCount, long kvCount) {
        RawGguf r = new RawGguf();
        r.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        r.mark("version").u32(version);
        r.mark("tensor_count").u64(tensorCount);
        r.mark("kv_count").u64(kvCount);
        return r;
    }

    RawGguf mark(String name) {
        marks.put(name, (long) buf.position());
        return this;
    }

    long at(String name) {
        Long at = marks.get(name);
        if (at == null) {
            throw new IllegalArgumentException("no mark " + name + " in " + marks.keySet());
        }
        return at;
    }

    Map<String, Long> marks() {
        return marks;
    }

    long position() {
        return buf.position();
    }

    RawGguf u8(int v) {
        room(1).put((byte) v);
        return this;
    }

    RawGguf u16(int v) {
        room(2).putShort((short) v);
        return this;
    }

    RawGguf u32(long v) {
        room(4).putInt((int) v);
        return this;
    }

    RawGguf u64(long v) {
        room(8).putLong(v);
        return this;
    }

    RawGguf f32(float v) {
        room(4).putFloat(v);
        return this;
    }

    RawGguf bytes(byte[] b) {
        room(b.length).put(b);
        return this;
    }

    /** A GGUF string: u64 byte length, then UTF-8 bytes. */
    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    /** A key/value pair's key and type; marks "{key}.key", "{key}.type", "{key}.value". The value follows. */
    RawGguf key(String key, GgufValueType type) {
        return key(key, type.id());
    }

    RawGguf key(String key, int typeId) {
        mark(key + ".key").str(key);
        mark(key + ".type").u32(typeId);
        return mark(key + ".value");
    }

    RawGguf kvString(String key, String value) {
        return key(key, GgufValueType.STRING).str(value);
    }

    RawGguf kvU32(String key, long value) {
        return key(key, GgufValueType.UINT32).u32(value);
    }

    /** An array header: marks "{key}.count" at the count. The elements follow. */
    RawGguf arrayHeader(String key, GgufValueType elementType, long count) {
        key(key, GgufValueType.ARRAY).u32(elementType.id());
        return mark(key + ".count").u64(count);
    }

    /** A tensor info; marks "{name}.name", "{name}.n_dims", "{name}.ne" (and "{name}.ne[d]"), "{name}.type", "{name}.offset". */
    RawGguf tensor(String name, long[] ne, int type, long offset) {
        mark(name + ".name").str(name);
        mark(name + ".n_dims").u32(ne.length);
        mark(name + ".ne");
        for (int d = 0; d < ne.length; d++) {
            mark(name + ".ne[" + d + "]").u64(ne[d]);
        }
        mark(name + ".type").u32(type);
        return mark(name + ".offset").u64(offset);
    }

    RawGguf padTo(int alignment) {
        while (buf.position() % alignment != 0) {
            u8(0);
        }
        return this;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf.array(), buf.position());
    }

    Path write(Path file) {
        try {
            return Files.write(file, toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ByteBuffer room(int n) {
        if (buf.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
        return buf;
    }
}
