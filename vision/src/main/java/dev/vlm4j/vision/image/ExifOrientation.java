package dev.vlm4j.vision.image;

import java.util.Optional;

/**
 * The eight values of the EXIF/TIFF Orientation tag (0x0112): how the stored pixels must be turned to be seen
 * upright. The names follow the tag's definition: where the stored 0th row and 0th column lie on the displayed
 * image.
 */
public enum ExifOrientation {
    /** 1: stored upright. */
    TOP_LEFT(1),
    /** 2: mirrored left-right. */
    TOP_RIGHT(2),
    /** 3: rotated 180°. */
    BOTTOM_RIGHT(3),
    /** 4: mirrored top-bottom. */
    BOTTOM_LEFT(4),
    /** 5: transposed (mirrored along the main diagonal). */
    LEFT_TOP(5),
    /** 6: must be rotated 90° clockwise to display. */
    RIGHT_TOP(6),
    /** 7: transversed (mirrored along the anti-diagonal). */
    RIGHT_BOTTOM(7),
    /** 8: must be rotated 90° counter-clockwise to display. */
    LEFT_BOTTOM(8);

    private final int tagValue;

    ExifOrientation(int tagValue) {
        this.tagValue = tagValue;
    }

    /** The value stored in the tag, 1..8. */
    public int tagValue() {
        return tagValue;
    }

    /** The orientation for a tag value; empty for values outside 1..8 (which viewers treat as 1). */
    public static Optional<ExifOrientation> of(int tagValue) {
        return tagValue >= 1 && tagValue <= 8 ? Optional.of(values()[tagValue - 1]) : Optional.empty();
    }

    /** Whether displaying swaps width and height (values 5 to 8). */
    public boolean swapsDimensions() {
        return tagValue >= 5;
    }

    /** The image as it is meant to be seen: {@code stored} turned by this orientation (a new image unless upright). */
    public RgbImage apply(RgbImage stored) {
        if (this == TOP_LEFT) {
            return stored;
        }
        int w = stored.width();
        int h = stored.height();
        int outW = swapsDimensions() ? h : w;
        int outH = swapsDimensions() ? w : h;
        byte[] in = stored.rgb();
        byte[] out = new byte[in.length];
        int o = 0;
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                // (sx, sy): the stored pixel shown at (x, y).
                int sx;
                int sy;
                switch (this) {
                    case TOP_RIGHT -> { sx = w - 1 - x; sy = y; }
                    case BOTTOM_RIGHT -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case BOTTOM_LEFT -> { sx = x; sy = h - 1 - y; }
                    case LEFT_TOP -> { sx = y; sy = x; }
                    case RIGHT_TOP -> { sx = y; sy = h - 1 - x; }
                    case RIGHT_BOTTOM -> { sx = w - 1 - y; sy = h - 1 - x; }
                    case LEFT_BOTTOM -> { sx = w - 1 - y; sy = x; }
                    default -> throw new IllegalStateException(name());
                }
                int i = (sy * w + sx) * 3;
                out[o++] = in[i];
                out[o++] = in[i + 1];
                out[o++] = in[i + 2];
            }
        }
        return new RgbImage(outW, outH, out);
    }
}
