package dev.vlm4j.sdk;

import dev.vlm4j.vision.encoder.VisionConfig;
import dev.vlm4j.vision.image.ImageDecoder;
import dev.vlm4j.vision.image.ImagePreprocessor;
import dev.vlm4j.vision.image.PreprocessMode;
import dev.vlm4j.vision.image.PreprocessedImage;
import dev.vlm4j.vision.image.RgbImage;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Decodes an {@link ImageInput} and preprocesses it for the loaded encoder; the key that identifies the result in the
 * embedding cache is a hash of the decoded pixels and of everything the preprocessing depends on.
 */
final class ImagePreparation {
    static final long DEFAULT_MAX_PIXELS = ImageDecoder.DEFAULT_MAX_PIXELS;

    record Prepared(String key, PreprocessedImage image) {
    }

    private final VisionConfig config;
    private final ImageDecoder decoder;
    private final ImagePreprocessor preprocessor;

    ImagePreparation(VisionConfig config, PreprocessMode mode, long maxPixels) {
        this.config = config;
        this.decoder = ImageDecoder.defaults().withMaxPixels(maxPixels);
        this.preprocessor = ImagePreprocessor.of(config, mode);
    }

    Prepared prepare(ImageInput input) {
        RgbImage rgb = switch (input) {
            case ImageInput.File f -> decoder.decode(f.path()).image();
            case ImageInput.Bytes b -> decoder.decode(b.shared(), b.name()).image();
            case ImageInput.Decoded d -> ImageDecoder.toRgb(d.image());
            case ImageInput.DataUri u -> decoder.decodeDataUri(u.uri()).image();
        };
        return new Prepared(key(rgb), preprocessor.preprocess(rgb));
    }

    private String key(RgbImage rgb) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((rgb.width() + "x" + rgb.height() + "|" + preprocessor.mode() + "|" + config + "|").getBytes());
            sha.update(rgb.rgb());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
