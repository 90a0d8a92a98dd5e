package dev.vlm4j.vision.image;

/** Whose image preprocessing to reproduce. */
public enum PreprocessMode {
    /**
     * llama.cpp's clip preprocessing (the default): for LLaVA-1.5 mmproj files, pad to a square with the mean
     * colour at the top-left, bilinear resize in float32 with rounding to u8, normalise; for idefics3 (SmolVLM),
     * the tiling of llama.cpp's {@code tools/mtmd}. Matches llama.cpp's pixel tensors exactly for a given RGB image.
     */
    LLAMA_CPP,
    /**
     * The Hugging Face LLaVA processor (PIL-based, "slow" image processor): pad to a square with the mean colour
     * centred, bicubic resize exactly as PIL's {@code Image.resize(BICUBIC)}, rescale by 1/255, normalise.
     */
    HF
}
