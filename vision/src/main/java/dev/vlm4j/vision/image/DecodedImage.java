package dev.vlm4j.vision.image;

/**
 * A decoded image and how it was read.
 *
 * @param image       the RGB pixels, turned upright when the decoder honours EXIF orientation
 * @param format      the file format, recognised from its leading bytes
 * @param orientation the EXIF orientation the file declares ({@link ExifOrientation#TOP_LEFT} when it declares
 *                    none); {@link #orientationApplied()} says whether {@link #image()} was turned by it
 * @param orientationApplied whether {@link #image()} has been turned by {@link #orientation()}
 * @param source      what was decoded, for messages: a path, {@code <bytes>}, {@code <stream>}, {@code <data URI>}
 */
public record DecodedImage(RgbImage image, ImageFormat format, ExifOrientation orientation, boolean orientationApplied,
                           String source) {
    public int width() {
        return image.width();
    }

    public int height() {
        return image.height();
    }
}
