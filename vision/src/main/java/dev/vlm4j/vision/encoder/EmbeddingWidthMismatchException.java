package dev.vlm4j.vision.encoder;

import dev.vlm4j.Vlm4jException;
import java.nio.file.Path;

/** An mmproj whose image embeddings are not as wide as the text model's token embeddings: they do not belong together. */
public final class EmbeddingWidthMismatchException extends Vlm4jException {
    private final Path mmproj;
    private final int imageEmbeddingWidth;
    private final String textModel;
    private final int textEmbeddingWidth;

    public EmbeddingWidthMismatchException(Path mmproj, int imageEmbeddingWidth, String textModel, int textEmbeddingWidth) {
        super(mmproj + ": image embeddings are " + imageEmbeddingWidth + " wide, but the text model " + textModel
                + " embeds tokens in " + textEmbeddingWidth + " dimensions: this mmproj does not belong to that model");
        this.mmproj = mmproj;
        this.imageEmbeddingWidth = imageEmbeddingWidth;
        this.textModel = textModel;
        this.textEmbeddingWidth = textEmbeddingWidth;
    }

    public Path mmproj() {
        return mmproj;
    }

    public int imageEmbeddingWidth() {
        return imageEmbeddingWidth;
    }

    public String textModel() {
        return textModel;
    }

    public int textEmbeddingWidth() {
        return textEmbeddingWidth;
    }
}
