package dev.vlm4j.vision.image;

import dev.vlm4j.vision.encoder.ProjectorType;
import dev.vlm4j.vision.encoder.VisionConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns an {@link RgbImage} into the normalised CHW tensors a vision encoder takes, as llama.cpp or Hugging Face
 * prepare them ({@link PreprocessMode}). Everything comes from the mmproj's metadata: the square input size
 * ({@code clip.vision.image_size}), the per-channel mean and std, the projector type and, for idefics3, the longest
 * edge images are scaled to before tiling ({@code clip.vision.preproc_image_size}). Nothing assumes 336 or 14.
 *
 * <p>Padding uses the mean colour: {@code (int)(255 · mean)} per channel, which for CLIP's mean is
 * (122, 116, 104), the colour llama.cpp and LLaVA's {@code expand2square} use.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImagePreprocessor {
    private final PreprocessMode mode;
    private final ProjectorType projectorType;
    private final int imageSize;
    private final float[] mean;
    private final float[] std;
    private final int longestEdge;

    /**
     * @param longestEdge idefics3 only: the longest side images are scaled to before tiling; 0 = no tiling
     */
    public ImagePreprocessor(PreprocessMode mode, ProjectorType projectorType, int imageSize, float[] mean, float[] std,
                             int longestEdge) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.projectorType = Objects.requireNonNull(projectorType, "projectorType");
        if (imageSize <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + imageSize);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B), got " + mean.length + " and " + std.length);
        }
        for (int c = 0; c < 3; c++) {
            if (!(std[c] != 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("invalid mean/std " + Arrays.toString(mean) + " / " + Arrays.toString(std));
            }
        }
        if (longestEdge < 0) {
            throw new IllegalArgumentException("longest edge must be >= 0, got " + longestEdge);
        }
        if (mode == PreprocessMode.HF && projectorType == ProjectorType.IDEFICS3) {
            throw new PreprocessingNotImplementedException("HF preprocessing of idefics3 (SmolVLM: Lanczos resize and "
                    + "splitting) is not implemented; use the LLAMA_CPP mode");
        }
        this.imageSize = imageSize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.longestEdge = longestEdge;
    }

    /** The preprocessing {@code config}'s mmproj calls for, in {@code mode}. */
    public static ImagePreprocessor of(VisionConfig config, PreprocessMode mode) {
        return new ImagePreprocessor(mode, config.projectorType(), config.imageSize(), config.imageMean(), config.imageStd(),
                config.projectorType() == ProjectorType.IDEFICS3 ? config.preprocessLongestEdge() : 0);
    }

    public PreprocessMode mode() {
        return mode;
    }

    public int imageSize() {
        return imageSize;
    }

    /** The padding colour: {@code (int)(255 · mean)} per channel. */
    int[] meanColour() {
        int[] c = new int[3];
        for (int i = 0; i < 3; i++) {
            c[i] = Math.max(0, Math.min(255, (int) (mean[i] * 255.0)));
        }
        return c;
    }

    public PreprocessedImage preprocess(RgbImage image) {
        return switch (projectorType) {
            case MLP -> PreprocessedImage.single(mode == PreprocessMode.LLAMA_CPP ? llamaCppLlava(image) : hfLlava(image));
            case IDEFICS3 -> llamaCppIdefics3(image);
        };
    }

    // ---- LLaVA-1.5 ----

    /** llama.cpp: pad to a square at the top-left, bilinear to image_size², normalise. */
    PixelTensor llamaCppLlava(RgbImage image) {
        RgbImage square = LlamaCppResize.padToSquareTopLeft(image, meanColour());
        return normaliseLlamaCpp(LlamaCppResize.bilinearSquare(square, imageSize));
    }

    /** Hugging Face: pad to a centred square, PIL bicubic to image_size², rescale by 1/255, normalise. */
    PixelTensor hfLlava(RgbImage image) {
        int side = Math.max(image.width(), image.height());
        RgbImage square = image;
        if (image.width() != image.height()) {
            int[] pad = meanColour();
            square = RgbImage.filled(side, side, pad[0], pad[1], pad[2]);
            LlamaCppResize.paste(square, image, (side - image.width()) / 2, (side - image.height()) / 2);
        }
        RgbImage resized = PillowResize.resize(square, imageSize, imageSize);
        // transformers: rescale() multiplies in float64 and casts to float32; normalize() works in float32.
        double rescale = 1.0 / 255.0;
        return toChw(resized, v -> (float) (v * rescale));
    }

    // ---- idefics3 (SmolVLM), llama.cpp tools/mtmd ----

    /**
     * llama.cpp's idefics3 preprocessing: the whole image resized (llama.cpp bicubic, aspect ratio not kept) to
     * image_size² as the global image; and, when a longest edge is set, the image scaled so its longer side is that
     * edge, each side rounded up to a multiple of image_size, resized into that canvas keeping the aspect ratio
     * (centred, black borders), and cut into image_size² tiles row by row.
     */
    PreprocessedImage llamaCppIdefics3(RgbImage image) {
        PixelTensor global = normaliseLlamaCpp(LlamaCppResize.bicubic(image, imageSize, imageSize));
        if (longestEdge <= 0) {
            return PreprocessedImage.single(global);
        }
        int[] refined = idefics3RefinedSize(image.width(), image.height(), imageSize, longestEdge);
        int cols = (int) Math.ceil((float) refined[0] / imageSize);
        int rows = (int) Math.ceil((float) refined[1] / imageSize);
        RgbImage canvas = LlamaCppResize.bicubicFit(image, refined[0], refined[1], new int[] {0, 0, 0});
        List<PixelTensor> tiles = new ArrayList<>();
        for (int y = 0; y < refined[1]; y += imageSize) {
            for (int x = 0; x < refined[0]; x += imageSize) {
                RgbImage tile = LlamaCppResize.crop(canvas, x, y, Math.min(imageSize, refined[0] - x), Math.min(imageSize, refined[1] - y));
                tiles.add(normaliseLlamaCpp(tile));
            }
        }
        return new PreprocessedImage(global, tiles, rows, cols);
    }

    /** The tiled canvas size: longer side scaled to {@code longestEdge} (float32), each side rounded up to a multiple of {@code align}. */
    static int[] idefics3RefinedSize(int width, int height, int align, int longestEdge) {
        float scale = Math.min((float) longestEdge / width, (float) longestEdge / height);
        float w = (float) width * scale;
        float h = (float) height * scale;
        return new int[] {(int) Math.ceil(w / (float) align) * align, (int) Math.ceil(h / (float) align) * align};
    }

    // ---- normalisation ----

    private interface U8ToFloat {
        float apply(int u8);
    }

    /** llama.cpp: {@code (u8 / 255.0f - mean) / std} in float32. */
    private PixelTensor normaliseLlamaCpp(RgbImage image) {
        return toChw(image, v -> v / 255.0f);
    }

    private PixelTensor toChw(RgbImage image, U8ToFloat scaled) {
        int w = image.width();
        int h = image.height();
        int plane = w * h;
        float[] chw = new float[3 * plane];
        byte[] rgb = image.rgb();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                chw[c * plane + i] = (scaled.apply(rgb[3 * i + c] & 0xFF) - mean[c]) / std[c];
            }
        }
        return new PixelTensor(chw, 3, h, w);
    }
}
