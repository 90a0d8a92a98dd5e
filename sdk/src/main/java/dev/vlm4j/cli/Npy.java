package dev.vlm4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** NumPy {@code .npy} files (format version 1.0) of little-endian float32 matrices, readable by {@code numpy.load}. */
final class Npy {
    private Npy() {}

    /** Writes {@code values} (row-major) as a {@code '<f4'} array of shape (rows, cols). */
    static void writeFloat32(Path file, float[] values, int rows, int cols) throws IOException {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(rows + " x " + cols + " does not hold " + values.length + " values");
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(header(rows, cols));
            ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(values);
            out.write(data.array());
        }
    }

    /** Magic, version 1.0, header length, and the header dict padded with spaces and a newline to a multiple of 64 bytes. */
    static byte[] header(int rows, int cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String padded = dict + " ".repeat(total - unpadded) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) padded.length());
        b.put(padded.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }
}
