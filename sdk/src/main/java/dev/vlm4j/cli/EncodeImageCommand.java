package dev.vlm4j.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm4j.gguf.GgufFile;
import dev.vlm4j.kernels.Backend;
import dev.vlm4j.kernels.BackendKind;
import dev.vlm4j.kernels.BackendOptions;
import dev.vlm4j.kernels.Backends;
import dev.vlm4j.vision.encoder.ImageEmbedding;
import dev.vlm4j.vision.encoder.VisionEncoder;
import dev.vlm4j.vision.image.DecodedImage;
import dev.vlm4j.vision.image.ImageDecoder;
import dev.vlm4j.vision.image.ImagePreprocessor;
import dev.vlm4j.vision.image.PixelTensor;
import dev.vlm4j.vision.image.PreprocessMode;
import dev.vlm4j.vision.image.PreprocessedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlm4j encode-image --mmproj P.gguf --image I [--out emb.npy] [--json]}: decodes and preprocesses one image,
 * runs the mmproj's vision encoder and projector, prints the embedding's shape, timings and first values, and
 * optionally writes it as a float32 {@code .npy} of shape (tokens, dim). For tiling models (idefics3) the tiles'
 * embeddings come first, row by row, then the global image's, as they appear in the prompt.
 */
@Command(name = "encode-image", mixinStandardHelpOptions = true,
        description = "Encode one image with an mmproj's vision encoder; print shape, timings, first values; optionally write .npy.")
final class EncodeImageCommand implements Callable<Integer> {
    static final int FIRST_VALUES = 16;

    @Option(names = "--mmproj", required = true, paramLabel = "FILE.gguf", description = "Vision projector (CLIP mmproj GGUF)")
    Path mmproj;

    @Option(names = "--image", required = true, paramLabel = "IMAGE",
            description = "Image file (JPEG, PNG, GIF, BMP, TIFF, PNM, ICO, PCX, PSD) or a data:image/...;base64, URI")
    String image;

    @Option(names = "--out", paramLabel = "FILE.npy", description = "Write the embedding as float32 NumPy .npy, shape (tokens, dim)")
    Path out;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Option(names = "--preprocess", defaultValue = "LLAMA_CPP",
            description = "LLAMA_CPP (llama.cpp's clip preprocessing) or HF (Hugging Face processor) (default ${DEFAULT-VALUE})")
    PreprocessMode preprocess;

    @Option(names = "--no-exif-orientation", description = "Keep the stored pixels instead of turning the image upright (as llama.cpp does)")
    boolean noExifOrientation;

    @Option(names = "--backend", defaultValue = "CPU", description = "AUTO, CPU, OPENCL, TORNADOVM (default ${DEFAULT-VALUE})")
    BackendKind backend;

    @Option(names = "--device", description = "Device index or name substring for OPENCL / TORNADOVM")
    String device;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "CPU threads (default: all cores)")
    int threads;

    @Spec
    CommandSpec spec;

    /**
     * What the command prints ({@code --json}: these keys, the ones scripts rely on first). {@code first} is the first
     * values of the first embedding row; {@code images} the tensors encoded (tiles + global), {@code grid} the tile
     * rows and columns (0, 0 when not tiled).
     */
    @JsonPropertyOrder({"tokens", "dim", "decode_ms", "preprocess_ms", "encode_ms", "first"})
    record Report(int tokens, int dim, @JsonProperty("decode_ms") double decodeMs,
                  @JsonProperty("preprocess_ms") double preprocessMs, @JsonProperty("encode_ms") double encodeMs,
                  float[] first, String image, String format, int width, int height, int images, int[] grid, String out) {}

    @Override
    public Integer call() throws Exception {
        BackendOptions options = new BackendOptions(backend, threads, device);
        try (GgufFile file = GgufFile.open(mmproj); Backend b = Backends.create(options)) {
            VisionEncoder encoder = VisionEncoder.load(file, b);
            ImagePreprocessor preprocessor = ImagePreprocessor.of(encoder.config(), preprocess);

            long t0 = System.nanoTime();
            DecodedImage decoded = ImageDecoder.defaults().withExifOrientation(!noExifOrientation).decode(image);
            long t1 = System.nanoTime();
            PreprocessedImage pre = preprocessor.preprocess(decoded.image());
            long t2 = System.nanoTime();
            List<PixelTensor> inputs = new ArrayList<>(pre.tiles());
            inputs.add(pre.global());
            int dim = encoder.outputWidth();
            int tokens = 0;
            List<float[]> parts = new ArrayList<>();
            for (PixelTensor input : inputs) {
                ImageEmbedding e = encoder.encode(input);
                parts.add(e.toFloats());
                tokens += e.tokens();
            }
            long t3 = System.nanoTime();

            float[] all = new float[tokens * dim];
            int offset = 0;
            for (float[] p : parts) {
                System.arraycopy(p, 0, all, offset, p.length);
                offset += p.length;
            }
            if (out != null) {
                Npy.writeFloat32(out, all, tokens, dim);
            }
            String shownImage = image.regionMatches(true, 0, "data:", 0, 5) ? "<data URI>" : image;
            Report report = new Report(tokens, dim, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6,
                    Arrays.copyOf(all, Math.min(FIRST_VALUES, all.length)), shownImage, decoded.format().displayName(),
                    decoded.width(), decoded.height(), inputs.size(), new int[] {pre.rows(), pre.cols()},
                    out == null ? null : out.toString());
            print(report);
        }
        return Main.EXIT_OK;
    }

    private void print(Report r) throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            w.println(new ObjectMapper().writeValueAsString(r));
        } else {
            w.printf("image: %s (%s, %d x %d)%s%n", r.image(), r.format(), r.width(), r.height(),
                    r.images() > 1 ? ", " + r.grid()[0] + " x " + r.grid()[1] + " tiles + global image" : "");
            w.printf("embedding: %d tokens x %d%n", r.tokens(), r.dim());
            w.printf("time: decode %.1f ms, preprocess %.1f ms, encode %.1f ms%n", r.decodeMs(), r.preprocessMs(), r.encodeMs());
            w.printf("first %d values: %s%n", r.first().length, Arrays.toString(r.first()));
            if (r.out() != null) {
                w.printf("written: %s%n", r.out());
            }
        }
        w.flush();
    }
}
