package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@link StbJpegDecoder} on JPEG variants the fixtures do not cover (their bit-exactness with stb_image is
 * {@link FixtureImagesTest}'s and {@link LlamaCppPreprocessParityTest}'s job): 4:4:4, 4:2:2, grey, restart
 * intervals, progressive. Each is compared with libjpeg's decode (ImageIO) of the same file, which uses another
 * IDCT and upsampling, so the tolerance is a mean |diff| of 1 level and a max of 12 (chroma edges), and with the
 * baseline decode of the same image for progressive files.
 */
class StbJpegDecoderTest {
    /** A smooth image with some edges: stresses chroma upsampling without being noise. */
    static BufferedImage photo(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (int) (127 + 120 * Math.sin(x / 9.0) * Math.cos(y / 13.0));
                int g = (x + 2 * y) % 256;
                int b = (x / 16 + y / 16) % 2 == 0 ? 200 : 40;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    /** Writes {@code img} as JPEG with the given luma sampling factors (chroma 1x1), restart interval and mode. */
    static byte[] jpeg(BufferedImage img, int hSampling, int vSampling, int restartInterval, boolean progressive) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        var param = writer.getDefaultWriteParam();
        param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        if (progressive) {
            param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        }
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), param);
        String format = "javax_imageio_jpeg_image_1.0";
        Node root = meta.getAsTree(format);
        NodeList specs = ((IIOMetadataNode) root).getElementsByTagName("componentSpec");
        if (specs.getLength() > 0) {
            IIOMetadataNode luma = (IIOMetadataNode) specs.item(0);
            luma.setAttribute("HsamplingFactor", Integer.toString(hSampling));
            luma.setAttribute("VsamplingFactor", Integer.toString(vSampling));
            for (int i = 1; i < specs.getLength(); i++) {
                ((IIOMetadataNode) specs.item(i)).setAttribute("HsamplingFactor", "1");
                ((IIOMetadataNode) specs.item(i)).setAttribute("VsamplingFactor", "1");
            }
        }
        if (restartInterval > 0) {
            IIOMetadataNode markers = (IIOMetadataNode) ((IIOMetadataNode) root).getElementsByTagName("markerSequence").item(0);
            IIOMetadataNode dri = new IIOMetadataNode("dri");
            dri.setAttribute("interval", Integer.toString(restartInterval));
            markers.insertBefore(dri, markers.getFirstChild());
        }
        meta.setFromTree(format, root);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, meta), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    static double[] diff(RgbImage a, RgbImage b) {
        double sum = 0;
        int max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            int d = Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
            sum += d;
            max = Math.max(max, d);
        }
        return new double[] {sum / a.rgb().length, max};
    }

    static RgbImage libjpeg(byte[] jpeg) throws IOException {
        return ImageDecoder.toRgb(ImageIO.read(new ByteArrayInputStream(jpeg)));
    }

    @ParameterizedTest(name = "sampling {0}x{1}, restart {2}")
    // 1x2 (4:4:0) is left out: libjpeg replicates rows where stb_image interpolates (20+ levels apart on edges);
    // dog.jpg, a 4:4:0 fixture, checks that case byte for byte against stb_image itself.
    @CsvSource({"1, 1, 0", "2, 1, 0", "2, 2, 0", "2, 2, 3", "1, 1, 1", "2, 1, 5"})
    void colourVariantsAgreeWithLibjpeg(int h, int v, int restart) throws IOException {
        byte[] file = jpeg(photo(101, 67, BufferedImage.TYPE_INT_RGB), h, v, restart, false);
        RgbImage ours = StbJpegDecoder.decode(file);
        double[] d = diff(ours, libjpeg(file));
        System.out.printf("sampling %dx%d restart %d: vs libjpeg mean %.3f max %.0f%n", h, v, restart, d[0], d[1]);
        assertAll(
                () -> assertEquals(101, ours.width()),
                () -> assertEquals(67, ours.height()),
                () -> assertTrue(d[0] <= 1.0 && d[1] <= 12, "vs libjpeg: mean " + d[0] + " (tolerance 1), max " + d[1] + " (tolerance 12)"));
    }

    @Test
    void greyJpeg() throws IOException {
        BufferedImage grey = new BufferedImage(45, 30, BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(photo(45, 30, BufferedImage.TYPE_INT_RGB), 0, 0, null);
        byte[] file = jpeg(grey, 1, 1, 0, false);
        RgbImage ours = StbJpegDecoder.decode(file);
        double[] d = diff(ours, libjpeg(file));
        for (int i = 0; i < ours.rgb().length; i += 3) {
            assertTrue(ours.rgb()[i] == ours.rgb()[i + 1] && ours.rgb()[i] == ours.rgb()[i + 2], "grey replicated");
        }
        assertTrue(d[0] <= 0.5 && d[1] <= 2, "grey vs libjpeg: mean " + d[0] + " (tolerance 0.5), max " + d[1] + " (tolerance 2)");
    }

    @ParameterizedTest(name = "sampling {0}x{1}")
    @CsvSource({"1, 1", "2, 2", "2, 1"})
    void progressiveDecodesLikeBaseline(int h, int v) throws IOException {
        BufferedImage img = photo(83, 59, BufferedImage.TYPE_INT_RGB);
        RgbImage baseline = StbJpegDecoder.decode(jpeg(img, h, v, 0, false));
        RgbImage progressive = StbJpegDecoder.decode(jpeg(img, h, v, 0, true));
        // Same quantised coefficients, so the same pixels: progressive coding is lossless reordering.
        assertEquals(baseline, progressive, "progressive and baseline encodings of the same image decode identically");
    }

    @Test
    void truncatedAndUnsupportedJpegs() throws IOException {
        byte[] file = jpeg(photo(64, 64, BufferedImage.TYPE_INT_RGB), 2, 2, 0, false);
        byte[] truncated = java.util.Arrays.copyOf(file, file.length / 2);
        byte[] twelveBit = file.clone();
        for (int i = 2; i + 4 < twelveBit.length; i++) {
            if ((twelveBit[i] & 0xFF) == 0xFF && (twelveBit[i + 1] & 0xFF) == 0xC0) {
                twelveBit[i + 4] = 12; // sample precision
                break;
            }
        }
        assertAll(
                () -> assertThrows(StbJpegDecoder.Corrupt.class, () -> StbJpegDecoder.decode(truncated)),
                () -> assertThrows(StbJpegDecoder.Unsupported.class, () -> StbJpegDecoder.decode(twelveBit)),
                () -> assertTrue(assertThrows(ImageDecodeException.class, () -> ImageDecoder.defaults().decode(truncated))
                        .getMessage().contains("corrupt JPEG data")));
    }
}
