package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.commons.imaging.ImageFormats;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.formats.jpeg.exif.ExifRewriter;
import org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants;
import org.apache.commons.imaging.formats.tiff.write.TiffOutputSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding of generated images in every supported format, pixel conversions, EXIF, inputs and limits. */
class ImageDecoderTest {
    private static final ImageDecoder DECODER = ImageDecoder.defaults();

    /** A deterministic image whose every pixel differs from its neighbours. */
    static BufferedImage pattern(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 37 + y * 11) & 0xFF;
                int g = (x * 5 + y * 53 + 17) & 0xFF;
                int b = (x * y * 7 + 101) & 0xFF;
                img.setRGB(x, y, 0xFF000000 | (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    static byte[] expectedRgb(BufferedImage img) {
        byte[] out = new byte[img.getWidth() * img.getHeight() * 3];
        int o = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                out[o++] = (byte) (p >> 16);
                out[o++] = (byte) (p >> 8);
                out[o++] = (byte) p;
            }
        }
        return out;
    }

    static byte[] imageIo(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "ImageIO can write " + format);
        return out.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"png", "bmp", "tiff"})
    void losslessImageIoFormatsRoundTripExactly(String format) throws IOException {
        BufferedImage img = pattern(37, 23, BufferedImage.TYPE_3BYTE_BGR);
        DecodedImage d = DECODER.decode(imageIo(img, format));
        assertAll(
                () -> assertEquals(37, d.width()),
                () -> assertEquals(23, d.height()),
                () -> assertArrayEquals(expectedRgb(img), d.image().rgb(), format + " pixels exact"));
    }

    @Test
    void commonsImagingFormatsRoundTripExactly() throws IOException {
        BufferedImage img = pattern(19, 13, BufferedImage.TYPE_INT_RGB);
        for (var format : new org.apache.commons.imaging.ImageFormat[] {ImageFormats.PNM, ImageFormats.PCX, ImageFormats.ICO,
                ImageFormats.BMP, ImageFormats.TIFF}) {
            byte[] bytes = Imaging.writeImageToBytes(img, format);
            DecodedImage d = DECODER.decode(bytes, format.getName());
            assertArrayEquals(expectedRgb(img), d.image().rgb(), format.getName() + " pixels exact");
        }
    }

    @Test
    void psdWithRawRgbPlanes() {
        int w = 5;
        int h = 3;
        ByteBuffer b = ByteBuffer.allocate(26 + 4 + 4 + 4 + 2 + 3 * w * h);
        b.put("8BPS".getBytes(StandardCharsets.US_ASCII)).putShort((short) 1).put(new byte[6]).putShort((short) 3)
                .putInt(h).putInt(w).putShort((short) 8).putShort((short) 3).putInt(0).putInt(0).putInt(0).putShort((short) 0);
        byte[] expected = new byte[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < w * h; i++) {
                byte v = (byte) (c * 80 + i * 5);
                b.put(v);
                expected[i * 3 + c] = v;
            }
        }
        DecodedImage d = DECODER.decode(b.array());
        assertAll(() -> assertEquals(ImageFormat.PSD, d.format()), () -> assertArrayEquals(expected, d.image().rgb()));
    }

    @Test
    void greyIsReplicatedWithoutColourConversion() throws IOException {
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] values = {0, 100, 200, 255};
        for (int x = 0; x < 4; x++) {
            grey.getRaster().setSample(x, 0, 0, values[x]);
        }
        for (String format : new String[] {"png", "tiff", "bmp"}) {
            byte[] rgb = DECODER.decode(imageIo(grey, format)).image().rgb();
            for (int x = 0; x < 4; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(values[x], rgb[3 * x + c] & 0xFF, format + " grey sample " + x + " kept as stored");
                }
            }
        }
        // PGM through Commons Imaging.
        byte[] pgm = "P5\n4 1\n255\n".getBytes(StandardCharsets.US_ASCII);
        byte[] file = new byte[pgm.length + 4];
        System.arraycopy(pgm, 0, file, 0, pgm.length);
        for (int x = 0; x < 4; x++) {
            file[pgm.length + x] = (byte) values[x];
        }
        byte[] rgb = DECODER.decode(file).image().rgb();
        for (int x = 0; x < 4; x++) {
            assertEquals(values[x], rgb[3 * x] & 0xFF, "PGM grey sample " + x);
        }
    }

    @Test
    void sixteenBitSamplesKeepTheirHighByte() throws IOException {
        BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] g = {0x12FF, 0xFF80, 0x8080};
        for (int x = 0; x < 3; x++) {
            grey.getRaster().setSample(x, 0, 0, g[x]);
        }
        byte[] rgb = DECODER.decode(imageIo(grey, "png")).image().rgb();
        for (int x = 0; x < 3; x++) {
            assertEquals(g[x] >> 8, rgb[3 * x] & 0xFF, "16-bit grey " + Integer.toHexString(g[x]) + " >> 8 (stb_image)");
        }
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16, 16},
                true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixel(0, 0, new int[] {0xABCD, 0x0102, 0xFFFF, 0});
        raster.setPixel(1, 0, new int[] {0x00FF, 0x7F00, 0x8001, 0x1234});
        byte[] rgba16 = imageIo(new BufferedImage(cm, raster, false, null), "png");
        assertArrayEquals(new byte[] {(byte) 0xAB, 0x01, (byte) 0xFF, 0x00, 0x7F, (byte) 0x80},
                DECODER.decode(rgba16).image().rgb(), "16-bit RGBA: high bytes, alpha dropped (even where 0)");
    }

    @Test
    void alphaIsDroppedWithoutCompositing() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00C86432); // fully transparent, colour kept
        argb.setRGB(1, 0, 0x800A141E);
        assertArrayEquals(new byte[] {(byte) 200, 100, 50, 10, 20, 30}, DECODER.decode(imageIo(argb, "png")).image().rgb());
    }

    static IndexColorModel paletteWithTransparentIndex1() {
        byte[] r = {(byte) 200, 10, (byte) 255, 0};
        byte[] g = {100, 20, 0, 0};
        byte[] b = {50, 30, 0, (byte) 255};
        return new IndexColorModel(2, 4, r, g, b, 1);
    }

    @Test
    void paletteTransparencyKeepsThePaletteColourInPngButIsBlackInGif() throws IOException {
        BufferedImage indexed = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, paletteWithTransparentIndex1());
        for (int x = 0; x < 4; x++) {
            indexed.getRaster().setSample(x, 0, 0, x);
        }
        byte[] png = DECODER.decode(imageIo(indexed, "png")).image().rgb();
        byte[] gif = DECODER.decode(imageIo(indexed, "gif")).image().rgb();
        byte[] expectedPng = {(byte) 200, 100, 50, 10, 20, 30, (byte) 255, 0, 0, 0, 0, (byte) 255};
        byte[] expectedGif = {(byte) 200, 100, 50, 0, 0, 0, (byte) 255, 0, 0, 0, 0, (byte) 255};
        assertAll(
                () -> assertArrayEquals(expectedPng, png, "PNG palette + tRNS: palette colour (stb_image, PIL)"),
                () -> assertArrayEquals(expectedGif, gif, "GIF transparent index: black (stb_image)"));
    }

    /** {@code jpeg} with an Adobe APP14 segment carrying {@code transform} inserted after SOI. */
    static byte[] withAdobeMarker(byte[] jpeg, int transform) {
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
        byte[] out = new byte[jpeg.length + app14.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app14, 0, out, 2, app14.length);
        System.arraycopy(jpeg, 2, out, 2 + app14.length, jpeg.length - 2);
        return out;
    }

    @Test
    void fourComponentJpegsAreConvertedLikeStbImage() throws IOException {
        int w = 16;
        int h = 16;
        WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
        int[] px = {200, 150, 100, 180};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.setPixel(x, y, px);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(raster, null, null), null);
        } finally {
            writer.dispose();
        }
        byte[] plain = out.toByteArray();
        assertEquals(AdobeCmyk.NO_TRANSFORM, AdobeCmyk.transform(plain), "ImageIO writes no Adobe marker");
        int ycc = AdobeCmyk.yCbCrToRgb(px[0], px[1], px[2]);
        int[][] expected = {
            // no marker: stb_image reads YCbCr and ignores the fourth component
            {(ycc >> 16) & 0xFF, (ycc >> 8) & 0xFF, ycc & 0xFF},
            // transform 0: inverted CMYK, RGB = C*K/255
            {AdobeCmyk.blinn(px[0], px[3]), AdobeCmyk.blinn(px[1], px[3]), AdobeCmyk.blinn(px[2], px[3])},
            // transform 2: YCCK, YCbCr to RGB, then (255 - v)*K/255
            {AdobeCmyk.blinn(255 - ((ycc >> 16) & 0xFF), px[3]), AdobeCmyk.blinn(255 - ((ycc >> 8) & 0xFF), px[3]),
                AdobeCmyk.blinn(255 - (ycc & 0xFF), px[3])}};
        byte[][] files = {plain, withAdobeMarker(plain, 0), withAdobeMarker(plain, 2)};
        for (int f = 0; f < files.length; f++) {
            RgbImage rgb = DECODER.decode(files[f]).image();
            for (int c = 0; c < 3; c++) {
                int got = rgb.sample(8, 8, c);
                assertTrue(Math.abs(got - expected[f][c]) <= 3, "case " + f + " channel " + c + ": expected "
                        + expected[f][c] + " within 3 (JPEG loss), got " + got);
            }
        }
    }

    // ---- EXIF ----

    static RgbImage flipH(RgbImage in) {
        return map(in, in.width(), in.height(), (x, y) -> new int[] {in.width() - 1 - x, y});
    }

    static RgbImage flipV(RgbImage in) {
        return map(in, in.width(), in.height(), (x, y) -> new int[] {x, in.height() - 1 - y});
    }

    static RgbImage transpose(RgbImage in) {
        return map(in, in.height(), in.width(), (x, y) -> new int[] {y, x});
    }

    interface Source {
        int[] at(int x, int y);
    }

    static RgbImage map(RgbImage in, int w, int h, Source src) {
        byte[] out = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] s = src.at(x, y);
                for (int c = 0; c < 3; c++) {
                    out[3 * (y * w + x) + c] = (byte) in.sample(s[0], s[1], c);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** The EXIF table written as compositions of three mirrors. */
    static RgbImage display(RgbImage stored, int orientation) {
        return switch (orientation) {
            case 1 -> stored;
            case 2 -> flipH(stored);
            case 3 -> flipH(flipV(stored));
            case 4 -> flipV(stored);
            case 5 -> transpose(stored);
            case 6 -> flipH(transpose(stored));
            case 7 -> flipH(flipV(transpose(stored)));
            case 8 -> flipV(transpose(stored));
            default -> throw new IllegalArgumentException();
        };
    }

    @Test
    void everyOrientationMatchesTheExifTable() {
        byte[] px = new byte[3 * 3 * 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 13);
        }
        RgbImage stored = new RgbImage(3, 2, px);
        for (int v = 1; v <= 8; v++) {
            ExifOrientation o = ExifOrientation.of(v).orElseThrow();
            assertEquals(display(stored, v), o.apply(stored), "orientation " + v + " (" + o + ")");
        }
        assertTrue(ExifOrientation.of(0).isEmpty() && ExifOrientation.of(9).isEmpty());
    }

    /** A JPEG of four flat quadrants (red, green / blue, white) with the given EXIF orientation. */
    static byte[] quadrantJpeg(int orientation) throws IOException {
        BufferedImage img = new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB);
        int[] colours = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF};
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, colours[(y / 16) * 2 + x / 32]);
            }
        }
        byte[] plain = imageIo(img, "jpeg");
        if (orientation == 0) {
            return plain;
        }
        TiffOutputSet exif = new TiffOutputSet();
        exif.getOrCreateRootDirectory().add(TiffTagConstants.TIFF_TAG_ORIENTATION, (short) orientation);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ExifRewriter().updateExifMetadataLossless(plain, out, exif);
        return out.toByteArray();
    }

    @Test
    void jpegExifOrientationsAllEight() throws IOException {
        RgbImage stored = DECODER.decode(quadrantJpeg(0)).image();
        for (int v = 1; v <= 8; v++) {
            DecodedImage d = DECODER.decode(quadrantJpeg(v));
            RgbImage expected = display(stored, v);
            assertEquals(ExifOrientation.of(v).orElseThrow(), d.orientation(), "orientation read from EXIF");
            assertEquals(expected, d.image(), "orientation " + v + ": same pixels as the stored image turned by the EXIF table");
            RgbImage raw = DECODER.withExifOrientation(false).decode(quadrantJpeg(v)).image();
            assertEquals(stored, raw, "with orientation off the stored pixels come back");
        }
    }

    // ---- inputs ----

    @Test
    void pathStreamBytesAndDataUriGiveTheSameImage(@TempDir Path dir) throws IOException {
        byte[] png = imageIo(pattern(9, 7, BufferedImage.TYPE_INT_RGB), "png");
        Path file = dir.resolve("x.png");
        Files.write(file, png);
        RgbImage fromBytes = DECODER.decode(png).image();
        String uri = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        assertAll(
                () -> assertEquals(fromBytes, DECODER.decode(file).image()),
                () -> assertEquals(fromBytes, DECODER.decode(file.toString()).image()),
                () -> assertEquals(fromBytes, DECODER.decode(new ByteArrayInputStream(png), "stream").image()),
                () -> assertEquals(fromBytes, DECODER.decodeDataUri(uri).image()),
                () -> assertEquals(fromBytes, DECODER.decode(uri).image()),
                () -> assertEquals(fromBytes, ImageDecoder.toRgb(ImageIO.read(new ByteArrayInputStream(png)))));
    }

    @Test
    void badDataUrisAreRefused() {
        for (String uri : new String[] {"data:image/png,abc", "data:text/plain;base64,aGVsbG8=", "data:image/png;base64,@@@@",
                "data:image/png;base64"}) {
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.decodeDataUri(uri), uri);
            assertTrue(e.getMessage().contains("<data URI>"), e.getMessage());
        }
    }

    @Test
    void missingFileNamesThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.png");
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.decode(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void unknownAndUnsupportedFormatsAreNamed() {
        ImageDecodeException unknown = assertThrows(ImageDecodeException.class,
                () -> DECODER.decode("hello, world".getBytes(StandardCharsets.US_ASCII)));
        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII);
        ImageDecodeException unsupported = assertThrows(ImageDecodeException.class, () -> DECODER.decode(webp));
        assertAll(
                () -> assertTrue(unknown.getMessage().contains("<bytes>") && unknown.getMessage().contains("unknown image format")
                        && unknown.getMessage().contains("68 65 6c 6c"), unknown.getMessage()),
                () -> assertTrue(unsupported.getMessage().contains("WebP images are not supported"), unsupported.getMessage()));
    }

    // ---- limits ----

    static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data);
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** A tiny PNG whose header declares {@code w x h} RGB pixels (the data is far too short). */
    static byte[] pngDeclaring(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        out.writeBytes(chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).array()));
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    @Test
    void hugeDeclaredSizesAreRefusedFromTheHeader() {
        long start = System.nanoTime();
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.decode(pngDeclaring(100_000, 100_000)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertAll(
                () -> assertTrue(e.getMessage().contains("100000 x 100000") && e.getMessage().contains("89478485"), e.getMessage()),
                () -> assertTrue(millis < 2000, "refused from the header without decoding, took " + millis + " ms"));
    }

    @Test
    void configurablePixelLimit() throws IOException {
        byte[] png = imageIo(pattern(20, 20, BufferedImage.TYPE_INT_RGB), "png");
        assertEquals(400, DECODER.withMaxPixels(400).decode(png).image().pixelCount());
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> DECODER.withMaxPixels(399).decode(png));
        assertTrue(e.getMessage().contains("20 x 20 = 400 pixels") && e.getMessage().contains("limit of 399"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DECODER.withMaxPixels(0));
    }
}
