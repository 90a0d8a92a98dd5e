package dev.vlm4j.vision.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mutated PNG, JPEG (baseline and progressive), GIF and BMP files: bit flips, truncations and edits of length and
 * size fields. Whatever the damage, the decoder either returns an image or throws {@link ImageDecodeException};
 * any other exception, an error or a hang (the timeout) fails the test. Deterministic (fixed seed).
 */
class ImageDecoderFuzzTest {
    private static final int CASES_PER_SEED = 1000;
    /** Small limit: mutated size fields must be refused from the header, not allocated. */
    private static final ImageDecoder DECODER = ImageDecoder.defaults().withMaxPixels(1 << 20);

    static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        BufferedImage rgb = ImageDecoderTest.pattern(24, 17, BufferedImage.TYPE_INT_RGB);
        BufferedImage argb = ImageDecoderTest.pattern(13, 11, BufferedImage.TYPE_INT_ARGB);
        seeds.put("png", ImageDecoderTest.imageIo(rgb, "png"));
        seeds.put("png-rgba", ImageDecoderTest.imageIo(argb, "png"));
        seeds.put("jpeg", ImageDecoderTest.imageIo(rgb, "jpeg"));
        seeds.put("jpeg-progressive", progressiveJpeg(rgb));
        seeds.put("gif", ImageDecoderTest.imageIo(rgb, "gif"));
        seeds.put("bmp", ImageDecoderTest.imageIo(rgb, "bmp"));
        return seeds;
    }

    static byte[] progressiveJpeg(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** Offsets of length and size fields worth editing: PNG chunk lengths and IHDR, JPEG segment lengths and SOF, ... */
    static List<Integer> fieldOffsets(String kind, byte[] b) {
        List<Integer> offsets = new ArrayList<>();
        if (kind.startsWith("png")) {
            int i = 8;
            while (i + 8 <= b.length) {
                offsets.add(i); // chunk length
                if (b[i + 4] == 'I' && b[i + 5] == 'H') {
                    offsets.add(i + 8); // width
                    offsets.add(i + 12); // height
                    offsets.add(i + 16); // bit depth, colour type
                }
                long len = ((b[i] & 0xFFL) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
                i += 12 + (int) Math.min(len, b.length);
            }
        } else if (kind.startsWith("jpeg")) {
            int i = 2;
            while (i + 4 <= b.length && (b[i] & 0xFF) == 0xFF) {
                int marker = b[i + 1] & 0xFF;
                offsets.add(i + 2); // segment length
                if (marker == 0xC0 || marker == 0xC2) {
                    offsets.add(i + 5); // height
                    offsets.add(i + 7); // width
                    offsets.add(i + 9); // components
                }
                if (marker == 0xDA) {
                    break;
                }
                i += 2 + (((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF));
            }
        } else if (kind.equals("gif")) {
            offsets.add(6); // screen width
            offsets.add(8); // screen height
            offsets.add(10); // flags (global colour table size)
            for (int i = 13; i + 10 < b.length; i++) {
                if (b[i] == 0x2C) { // image descriptor
                    for (int k = 1; k <= 9; k += 2) {
                        offsets.add(i + k);
                    }
                    offsets.add(i + 10); // LZW minimum code size (when no local table)
                    break;
                }
            }
        } else if (kind.equals("bmp")) {
            for (int off : new int[] {2, 10, 14, 18, 22, 26, 28, 30, 34, 46}) {
                offsets.add(off);
            }
        }
        offsets.removeIf(o -> o >= b.length);
        return offsets;
    }

    static byte[] mutate(String kind, byte[] seed, SplittableRandom random) {
        byte[] b = seed.clone();
        switch (random.nextInt(4)) {
            case 0 -> { // bit flips
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int pos = random.nextInt(b.length);
                    b[pos] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> { // truncation
                return java.util.Arrays.copyOf(b, random.nextInt(b.length));
            }
            case 2 -> { // a length or size field set to an extreme or random value
                List<Integer> fields = fieldOffsets(kind, b);
                if (!fields.isEmpty()) {
                    int off = fields.get(random.nextInt(fields.size()));
                    int[] values = {0, 1, 0xFF, 0xFFFF, 0x7FFF, 0x8000, 0x7FFFFFFF, 0xFFFFFFFF, random.nextInt()};
                    int v = values[random.nextInt(values.length)];
                    boolean bigEndian = kind.startsWith("png") || kind.startsWith("jpeg");
                    int width = kind.startsWith("jpeg") || kind.equals("gif") ? 2 : random.nextBoolean() ? 4 : 2;
                    for (int k = 0; k < width && off + k < b.length; k++) {
                        int shift = bigEndian ? 8 * (width - 1 - k) : 8 * k;
                        b[off + k] = (byte) (v >>> shift);
                    }
                }
            }
            default -> { // random bytes over a run
                int pos = random.nextInt(b.length);
                int len = 1 + random.nextInt(Math.min(16, b.length - pos));
                for (int i = 0; i < len; i++) {
                    b[pos + i] = (byte) random.nextInt(256);
                }
            }
        }
        return b;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void mutatedImagesDecodeOrFailWithImageDecodeException() throws IOException {
        SplittableRandom random = new SplittableRandom(20250220);
        List<String> failures = new ArrayList<>();
        int decoded = 0;
        int refused = 0;
        long start = System.nanoTime();
        for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
            for (int i = 0; i < CASES_PER_SEED; i++) {
                byte[] mutated = mutate(seed.getKey(), seed.getValue(), random);
                try {
                    DECODER.decode(mutated, "fuzz-" + seed.getKey() + "-" + i);
                    decoded++;
                } catch (ImageDecodeException e) {
                    refused++;
                } catch (Throwable t) {
                    if (failures.size() < 5) {
                        failures.add(seed.getKey() + " case " + i + ": " + t + "\n  file: " + HexFormat.of().formatHex(mutated,
                                0, Math.min(mutated.length, 96)) + "...");
                    } else {
                        failures.add(seed.getKey() + " case " + i + ": " + t);
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int total = decoded + refused + failures.size();
        System.out.printf("fuzz: %d mutated files in %.1f s: %d decoded, %d refused with ImageDecodeException, %d other%n",
                total, seconds, decoded, refused, failures.size());
        assertTrue(failures.isEmpty(), failures.size() + " of " + total + " mutated files escaped with another exception:\n"
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }
}
