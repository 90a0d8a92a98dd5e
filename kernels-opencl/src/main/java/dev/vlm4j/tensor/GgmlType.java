package dev.vlm4j.tensor;

import java.util.Optional;

/**
 * The element types of ggml tensors, with their on-disk ids and block layouts (ggml.h / ggml-common.h).
 * A row of {@code n} values of a block type takes {@code n / blockSize * blockBytes} bytes; {@code n} must be
 * a multiple of {@link #blockSize()}.
 *
 * <p>{@link #computable()} says whether vlm4j can dequantise the type; the others are known so that files
 * using them can still be opened and inspected, and are refused with a clear error when a model needs them.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, true),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int blockBytes;
    private final boolean computable;

    GgmlType(int id, int blockSize, int blockBytes, boolean computable) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.computable = computable;
    }

    /** The numeric id stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Values per block (1 for plain types, 32 for Q4_0..Q8_0, 256 for K-quants). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether vlm4j can dequantise (and so compute with) this type. */
    public boolean computable() {
        return computable;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** Bytes taken by {@code elements} values; {@code elements} must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    this + " stores values in blocks of " + blockSize + "; " + elements + " is not a multiple");
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    public static Optional<GgmlType> byId(long id) {
        if (id < 0 || id >= BY_ID.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_ID[(int) id]);
    }
}
