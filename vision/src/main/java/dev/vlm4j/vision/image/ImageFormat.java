package dev.vlm4j.vision.image;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Image file formats, recognised by their leading bytes (never by file name). {@link #supported()} says whether
 * {@link ImageDecoder} can decode it; the others are recognised only to say clearly that they are not supported.
 */
public enum ImageFormat {
    JPEG("JPEG", true),
    PNG("PNG", true),
    GIF("GIF", true),
    BMP("BMP", true),
    TIFF("TIFF", true),
    PNM("PNM (PBM/PGM/PPM/PAM)", true),
    ICO("ICO", true),
    PCX("PCX", true),
    PSD("PSD", true),
    WEBP("WebP", false),
    HEIF("HEIF/AVIF", false),
    JPEG2000("JPEG 2000", false),
    JPEG_XL("JPEG XL", false);

    private final String displayName;
    private final boolean supported;

    ImageFormat(String displayName, boolean supported) {
        this.displayName = displayName;
        this.supported = supported;
    }

    public String displayName() {
        return displayName;
    }

    public boolean supported() {
        return supported;
    }

    /** The format whose signature {@code head} (the first bytes of a file, at least 12 for a sure answer) starts with. */
    public static Optional<ImageFormat> detect(byte[] head) {
        if (startsWith(head, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(head, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of(PNG);
        }
        if (ascii(head, 0, "GIF87a") || ascii(head, 0, "GIF89a")) {
            return Optional.of(GIF);
        }
        if (ascii(head, 0, "BM") && head.length >= 14) {
            return Optional.of(BMP);
        }
        if (startsWith(head, 'I', 'I', 42, 0) || startsWith(head, 'M', 'M', 0, 42)) {
            return Optional.of(TIFF);
        }
        if (head.length >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' && isPnmSpace(head[2])) {
            return Optional.of(PNM);
        }
        if (startsWith(head, 0, 0, 1, 0) && head.length >= 6 && (head[4] | head[5]) != 0) {
            return Optional.of(ICO);
        }
        // PCX: manufacturer 0x0A, version 0..5, encoding 0 (none) or 1 (RLE), 1/2/4/8 bits per plane.
        if (head.length >= 4 && head[0] == 0x0A && (head[1] & 0xFF) <= 5 && (head[2] == 0 || head[2] == 1)
                && (head[3] == 1 || head[3] == 2 || head[3] == 4 || head[3] == 8)) {
            return Optional.of(PCX);
        }
        if (ascii(head, 0, "8BPS")) {
            return Optional.of(PSD);
        }
        if (ascii(head, 0, "RIFF") && ascii(head, 8, "WEBP")) {
            return Optional.of(WEBP);
        }
        if (ascii(head, 4, "ftyp") && (ascii(head, 8, "heic") || ascii(head, 8, "heix") || ascii(head, 8, "mif1")
                || ascii(head, 8, "msf1") || ascii(head, 8, "avif") || ascii(head, 8, "avis"))) {
            return Optional.of(HEIF);
        }
        if (startsWith(head, 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ') || startsWith(head, 0xFF, 0x4F, 0xFF, 0x51)) {
            return Optional.of(JPEG2000);
        }
        if (startsWith(head, 0xFF, 0x0A) || startsWith(head, 0, 0, 0, 0x0C, 'J', 'X', 'L', ' ')) {
            return Optional.of(JPEG_XL);
        }
        return Optional.empty();
    }

    private static boolean isPnmSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '#';
    }

    private static boolean startsWith(byte[] b, int... signature) {
        if (b.length < signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if ((b[i] & 0xFF) != signature[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] b, int offset, String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        if (b.length < offset + t.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            if (b[offset + i] != t[i]) {
                return false;
            }
        }
        return true;
    }
}
