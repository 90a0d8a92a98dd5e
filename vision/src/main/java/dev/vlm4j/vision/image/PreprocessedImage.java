package dev.vlm4j.vision.image;

import java.util.List;

/**
 * An image ready for the vision encoder: one {@code image_size}² tensor for single-image models (LLaVA), or, for
 * tiling models (idefics3 / SmolVLM), a downscaled whole image plus a grid of tiles cut from an enlarged copy.
 *
 * @param global   the whole image at {@code image_size}² (LLaVA's only input; idefics3's {@code <global-img>})
 * @param tiles    the tiles, row by row from the top-left ({@code rows * cols} of them); empty when not tiled
 * @param rows     tile rows (0 when not tiled); the prompt's {@code <row_r_col_c>} tokens follow this grid
 * @param cols     tile columns (0 when not tiled)
 */
public record PreprocessedImage(PixelTensor global, List<PixelTensor> tiles, int rows, int cols) {
    public PreprocessedImage {
        tiles = List.copyOf(tiles);
        if (rows < 0 || cols < 0 || tiles.size() != rows * cols) {
            throw new IllegalArgumentException(tiles.size() + " tiles for a grid of " + rows + " x " + cols);
        }
    }

    /** A single, untiled image. */
    public static PreprocessedImage single(PixelTensor image) {
        return new PreprocessedImage(image, List.of(), 0, 0);
    }

    public boolean tiled() {
        return !tiles.isEmpty();
    }

    /** Tile at grid row {@code r}, column {@code c} (0-based). */
    public PixelTensor tile(int r, int c) {
        return tiles.get(r * cols + c);
    }
}
