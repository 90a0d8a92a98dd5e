package dev.vlm4j.vision.image;

import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.imageio.ImageReader;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.apache.commons.imaging.AbstractImageParser;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.ImagingParameters;
import org.apache.commons.imaging.bytesource.ByteSource;
import org.apache.commons.imaging.formats.bmp.BmpImageParser;
import org.apache.commons.imaging.formats.gif.GifImageParser;
import org.apache.commons.imaging.formats.ico.IcoImageParser;
import org.apache.commons.imaging.formats.jpeg.JpegImageParser;
import org.apache.commons.imaging.formats.pcx.PcxImageParser;
import org.apache.commons.imaging.formats.png.PngImageParser;
import org.apache.commons.imaging.formats.pnm.PnmImageParser;
import org.apache.commons.imaging.formats.psd.PsdImageParser;
import org.apache.commons.imaging.formats.tiff.TiffImageParser;
import org.apache.commons.imaging.common.ImageMetadata;
import org.apache.commons.imaging.formats.jpeg.JpegImageMetadata;
import org.apache.commons.imaging.formats.png.PngImageMetadata;
import org.apache.commons.imaging.formats.tiff.TiffField;
import org.apache.commons.imaging.formats.tiff.TiffImageMetadata;
import org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants;

/**
 * Decodes image files to 8-bit {@link RgbImage}s the way llama.cpp's stb_image loader (3 channels) and PIL's
 * {@code convert("RGB")} see them: alpha dropped without compositing, grey replicated, palettes expanded, 16-bit
 * samples reduced to their high byte, no colour management (ICC profiles and PNG gamma are ignored), first frame
 * of a GIF (transparent pixels black, as stb_image leaves them). Unlike stb_image it honours the EXIF orientation
 * by default (all eight values), so a photo comes out upright; {@link #withExifOrientation(boolean)} turns that off
 * to see exactly llama.cpp's pixels.
 *
 * <p>Which decoder reads what, chosen for exactness (checked against stb_image on the fixture images):
 * <ul>
 *   <li>JPEG (baseline and progressive, grey, YCbCr, Adobe CMYK/YCCK): {@link StbJpegDecoder}, vlm4j's own decoder
 *       with stb_image's arithmetic, so the bytes are llama.cpp's (libjpeg, behind ImageIO, differs by a few levels
 *       and by 20+ along colour edges of 4:4:0 images; Commons Imaging reads no progressive JPEG). JPEG flavours
 *       stb_image cannot read (12-bit, arithmetic, lossless) go to ImageIO, then Commons Imaging.</li>
 *   <li>PNG, TIFF: the JDK's ImageIO, reading the raw raster samples; Commons Imaging as a fallback. Commons
 *       Imaging's PNG reader applies gAMA chunks and ICC profiles and stores grey through a linear colour space
 *       (lossy).</li>
 *   <li>GIF, BMP: Apache Commons Imaging (bit-exact with stb_image), ImageIO as a fallback.</li>
 *   <li>PNM (PBM/PGM/PPM/PAM), ICO, PCX, PSD: Commons Imaging.</li>
 *   <li>WebP, HEIF/AVIF, JPEG 2000, JPEG XL: recognised and refused with a clear message.</li>
 * </ul>
 * EXIF orientation is read with Commons Imaging's metadata API.
 *
 * <p>Before any pixel is decoded the image size is read from the header and checked against
 * {@link #maxPixels()} (default {@value #DEFAULT_MAX_PIXELS}, PIL's {@code Image.MAX_IMAGE_PIXELS}), so a small
 * file declaring a huge image is refused instead of exhausting memory. Every failure, including decoder bugs on
 * corrupt input and running out of memory, surfaces as an {@link ImageDecodeException} naming the source.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImageDecoder {
    /** PIL's default {@code Image.MAX_IMAGE_PIXELS} (beyond it PIL warns of a decompression bomb). */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;
    /** Files larger than this are refused before they are read (no image format needs more for the pixel limit). */
    public static final long MAX_FILE_BYTES = 1L << 30;

    private static final ImageDecoder DEFAULTS = new ImageDecoder(DEFAULT_MAX_PIXELS, true);

    private final long maxPixels;
    private final boolean exifOrientation;

    private ImageDecoder(long maxPixels, boolean exifOrientation) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
        this.exifOrientation = exifOrientation;
    }

    /** Pixel limit {@value #DEFAULT_MAX_PIXELS}, EXIF orientation honoured. */
    public static ImageDecoder defaults() {
        return DEFAULTS;
    }

    public long maxPixels() {
        return maxPixels;
    }

    public boolean exifOrientation() {
        return exifOrientation;
    }

    /** A decoder refusing images of more than {@code maxPixels} pixels (width × height from the header). */
    public ImageDecoder withMaxPixels(long maxPixels) {
        return new ImageDecoder(maxPixels, exifOrientation);
    }

    /** A decoder that turns images upright by their EXIF orientation ({@code true}, default) or keeps the stored pixels. */
    public ImageDecoder withExifOrientation(boolean apply) {
        return new ImageDecoder(maxPixels, apply);
    }

    /** The file at {@code file}. */
    public DecodedImage decode(Path file) {
        String source = file.toString();
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new ImageDecodeException(source, "the file has " + size + " bytes, more than the " + MAX_FILE_BYTES + " vlm4j reads");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException(source, "no such file", e);
        } catch (IOException e) {
            throw new ImageDecodeException(source, "cannot read the file: " + e, e);
        }
        return decode(bytes, source);
    }

    /** A path, or a {@code data:image/...;base64,...} URI (told apart by the {@code data:} prefix). */
    public DecodedImage decode(String pathOrDataUri) {
        return pathOrDataUri.regionMatches(true, 0, "data:", 0, 5) ? decodeDataUri(pathOrDataUri) : decode(Path.of(pathOrDataUri));
    }

    /** An encoded image held in memory; messages call it {@code <bytes>}. */
    public DecodedImage decode(byte[] bytes) {
        return decode(bytes, "<bytes>");
    }

    /** All of {@code in} (not closed), read up to {@link #MAX_FILE_BYTES}; {@code source} names it in messages. */
    public DecodedImage decode(InputStream in, String source) {
        byte[] bytes;
        try {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, MAX_FILE_BYTES + 1));
        } catch (IOException e) {
            throw new ImageDecodeException(source, "cannot read the stream: " + e, e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ImageDecodeException(source, "the stream has more than " + MAX_FILE_BYTES + " bytes");
        }
        return decode(bytes, source);
    }

    /** A {@code data:image/<type>;base64,<data>} URI, as browsers and OpenAI-style APIs pass images. */
    public DecodedImage decodeDataUri(String uri) {
        String source = "<data URI>";
        if (!uri.regionMatches(true, 0, "data:", 0, 5)) {
            throw new ImageDecodeException(source, "does not start with 'data:'");
        }
        int comma = uri.indexOf(',');
        if (comma < 0) {
            throw new ImageDecodeException(source, "has no ',' before the data");
        }
        String header = uri.substring(5, comma).toLowerCase(Locale.ROOT);
        String[] parts = header.split(";");
        String mediaType = parts.length > 0 ? parts[0].trim() : "";
        if (!mediaType.isEmpty() && !mediaType.startsWith("image/")) {
            throw new ImageDecodeException(source, "media type is '" + mediaType + "', expected image/...");
        }
        if (Arrays.stream(parts).noneMatch(p -> p.trim().equals("base64"))) {
            throw new ImageDecodeException(source, "only base64 data URIs are supported (';base64,' is missing)");
        }
        String data = uri.substring(comma + 1);
        if (data.length() / 4L * 3 > MAX_FILE_BYTES) {
            throw new ImageDecodeException(source, "the data is larger than " + MAX_FILE_BYTES + " bytes");
        }
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(data.replace("%2B", "+").replace("%2F", "/").replace("%3D", "=")
                    .getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new ImageDecodeException(source, "invalid base64: " + e.getMessage(), e);
        }
        return decode(bytes, source);
    }

    /** {@code image}'s pixels as RGB, the same conversion the decoder uses (stored samples, alpha dropped). */
    public static RgbImage toRgb(BufferedImage image) {
        return BufferedImageRgb.convert(image, false, "<BufferedImage>");
    }

    /** An encoded image held in memory; {@code source} names it in messages. */
    public DecodedImage decode(byte[] bytes, String source) {
        if (bytes.length == 0) {
            throw new ImageDecodeException(source, "the file is empty (0 bytes)");
        }
        ImageFormat format = ImageFormat.detect(bytes).orElseThrow(() -> new ImageDecodeException(source,
                "unknown image format (the file starts with " + hex(bytes, 8) + "); supported: " + supportedNames()));
        if (!format.supported()) {
            throw new ImageDecodeException(source, format.displayName() + " images are not supported; supported: " + supportedNames());
        }
        try {
            Dimension size = headerSize(format, bytes, source);
            if (size != null) { // Commons Imaging reads no size from ICO headers: checked after decoding only
                checkSize(size.width, size.height, source, "the header declares");
            }
            RgbImage rgb = decodeRgb(format, bytes, source);
            ExifOrientation orientation = orientation(format, bytes);
            RgbImage upright = exifOrientation ? orientation.apply(rgb) : rgb;
            return new DecodedImage(upright, format, orientation, exifOrientation && orientation != ExifOrientation.TOP_LEFT, source);
        } catch (OutOfMemoryError e) {
            throw new ImageDecodeException(source, "not enough memory to decode this " + format.displayName()
                    + " image (raise -Xmx or lower the pixel limit)");
        }
    }

    private void checkSize(long width, long height, String source, String what) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(source, what + " a size of " + width + " x " + height);
        }
        if (width * height > maxPixels) {
            throw new ImageDecodeException(source, what + " " + width + " x " + height + " = " + width * height
                    + " pixels, more than the limit of " + maxPixels + " (ImageDecoder.withMaxPixels)");
        }
    }

    // ---- header ----

    /** The size the header declares, or null when the parser cannot tell without decoding. */
    private static Dimension headerSize(ImageFormat format, byte[] bytes, String source) {
        if (readByImageIo(format)) {
            try {
                return withImageIoReader(format, bytes, r -> new Dimension(r.getWidth(0), r.getHeight(0)));
            } catch (IOException | RuntimeException e) {
                // fall through to Commons Imaging, which reads some headers ImageIO refuses
            }
        }
        try {
            return commonsImagingParser(format).getImageSize(bytes);
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(source, "corrupt " + format.displayName() + " header: " + describe(e), e);
        }
    }

    // ---- pixels ----

    private RgbImage decodeRgb(ImageFormat format, byte[] bytes, String source) {
        if (format == ImageFormat.JPEG) {
            try {
                return StbJpegDecoder.decode(bytes);
            } catch (StbJpegDecoder.Corrupt e) {
                throw new ImageDecodeException(source, "corrupt JPEG data: " + e.getMessage(), e);
            } catch (StbJpegDecoder.Unsupported e) {
                // a JPEG flavour stb_image cannot read: let ImageIO try
            } catch (RuntimeException e) {
                throw new ImageDecodeException(source, "corrupt JPEG data: " + describe(e), e);
            }
        }
        BufferedImage decoded = decodePixels(format, bytes, source);
        checkSize(decoded.getWidth(), decoded.getHeight(), source, "the decoder produced");
        return BufferedImageRgb.convert(decoded, format == ImageFormat.GIF, source);
    }

    /** Formats whose primary decoder is ImageIO (see the class comment for why). */
    private static boolean readByImageIo(ImageFormat format) {
        return format == ImageFormat.JPEG || format == ImageFormat.PNG || format == ImageFormat.TIFF;
    }

    /** Formats ImageIO can read as a fallback. */
    private static boolean imageIoReads(ImageFormat format) {
        return readByImageIo(format) || format == ImageFormat.GIF || format == ImageFormat.BMP;
    }

    private static BufferedImage decodePixels(ImageFormat format, byte[] bytes, String source) {
        Exception first;
        if (readByImageIo(format)) {
            try {
                return readWithImageIo(format, bytes);
            } catch (IOException | RuntimeException e) {
                first = e;
            }
            try {
                return commonsImaging(format, bytes);
            } catch (IOException | RuntimeException e) {
                throw corrupt(format, source, first, e);
            }
        }
        try {
            return commonsImaging(format, bytes);
        } catch (IOException | RuntimeException e) {
            first = e;
        }
        if (imageIoReads(format)) {
            try {
                return readWithImageIo(format, bytes);
            } catch (IOException | RuntimeException e) {
                throw corrupt(format, source, first, e);
            }
        }
        throw corrupt(format, source, first, null);
    }

    /** The Commons Imaging parser for {@code format}, chosen by us (its own guessing cannot recognise every PCX). */
    private static AbstractImageParser<?> commonsImagingParser(ImageFormat format) {
        return switch (format) {
            case JPEG -> new JpegImageParser();
            case PNG -> new PngImageParser();
            case GIF -> new GifImageParser();
            case BMP -> new BmpImageParser();
            case TIFF -> new TiffImageParser();
            case PNM -> new PnmImageParser();
            case ICO -> new IcoImageParser();
            case PCX -> new PcxImageParser();
            case PSD -> new PsdImageParser();
            default -> throw new IllegalArgumentException(format + " has no Commons Imaging parser");
        };
    }

    private static <T extends ImagingParameters<T>> BufferedImage commonsImaging(AbstractImageParser<T> parser, byte[] bytes)
            throws IOException {
        return parser.getBufferedImage(ByteSource.array(bytes), parser.getDefaultParameters());
    }

    private static BufferedImage commonsImaging(ImageFormat format, byte[] bytes) throws IOException {
        return commonsImaging(commonsImagingParser(format), bytes);
    }

    private static ImageDecodeException corrupt(ImageFormat format, String source, Exception first, Exception second) {
        String msg = "corrupt or unsupported " + format.displayName() + " data: " + describe(first)
                + (second != null && !describe(second).equals(describe(first)) ? " (second decoder: " + describe(second) + ")" : "");
        ImageDecodeException e = new ImageDecodeException(source, msg, first);
        if (second != null) {
            e.addSuppressed(second);
        }
        return e;
    }

    private static BufferedImage readWithImageIo(ImageFormat format, byte[] bytes) throws IOException {
        return withImageIoReader(format, bytes, reader -> {
            BufferedImage image;
            try {
                image = reader.read(0);
            } catch (javax.imageio.IIOException e) {
                // Older JDKs read CMYK/YCCK JPEGs only as rasters (no colour model for them).
                if (format == ImageFormat.JPEG && reader.canReadRaster()) {
                    Raster raster = reader.readRaster(0, null);
                    if (raster.getNumBands() == 4) {
                        return AdobeCmyk.toRgb(raster, AdobeCmyk.transform(bytes));
                    }
                }
                throw e;
            }
            if (format == ImageFormat.JPEG && image.getColorModel().getNumColorComponents() == 4) {
                // Newer JDKs convert CMYK through a colour space; stb_image's arithmetic works on the raw samples.
                return AdobeCmyk.toRgb(reader.readRaster(0, null), AdobeCmyk.transform(bytes));
            }
            return image;
        });
    }

    private interface ReaderAction<T> {
        T apply(ImageReader reader) throws IOException;
    }

    private static <T> T withImageIoReader(ImageFormat format, byte[] bytes, ReaderAction<T> action) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.name().toLowerCase(Locale.ROOT));
        if (!readers.hasNext()) {
            throw new IOException("no ImageIO reader for " + format.displayName());
        }
        ImageReader reader = readers.next();
        // A memory cache, never ImageIO's temporary files.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            return action.apply(reader);
        } finally {
            reader.dispose();
        }
    }

    // ---- EXIF ----

    /**
     * The EXIF orientation of JPEG, TIFF and PNG (eXIf) files, read with Commons Imaging's metadata API. Metadata
     * that cannot be parsed, or a value outside 1..8, counts as upright, as viewers treat it: the pixels decoded
     * fine, and a broken metadata block is no reason to refuse them.
     */
    static ExifOrientation orientation(ImageFormat format, byte[] bytes) {
        if (format != ImageFormat.JPEG && format != ImageFormat.TIFF && format != ImageFormat.PNG) {
            return ExifOrientation.TOP_LEFT;
        }
        try {
            ImageMetadata metadata = Imaging.getMetadata(bytes);
            TiffImageMetadata exif = switch (metadata) {
                case JpegImageMetadata jpeg -> jpeg.getExif();
                case TiffImageMetadata tiff -> tiff;
                case PngImageMetadata png -> png.getExif();
                case null, default -> null;
            };
            if (exif == null) {
                return ExifOrientation.TOP_LEFT;
            }
            TiffField field = exif.findField(TiffTagConstants.TIFF_TAG_ORIENTATION);
            return field == null ? ExifOrientation.TOP_LEFT : ExifOrientation.of(field.getIntValue()).orElse(ExifOrientation.TOP_LEFT);
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            return ExifOrientation.TOP_LEFT;
        }
    }

    // ---- messages ----

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.toString();
    }

    private static String supportedNames() {
        return Arrays.stream(ImageFormat.values()).filter(ImageFormat::supported).map(ImageFormat::displayName)
                .collect(Collectors.joining(", "));
    }
}
