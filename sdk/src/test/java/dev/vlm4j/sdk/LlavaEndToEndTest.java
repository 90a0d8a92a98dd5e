package dev.vlm4j.sdk;

import dev.vlm4j.language.generate.FinishReason;
import dev.vlm4j.language.model.PromptTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole path, image file to caption, on the tiny LLaVA fixture against llama.cpp's llava-cli. coffee-rgba.png
 * is a PNG, so our decoder gives stb_image's exact pixels (JPEG decoders differ, see the fixtures' README).
 * Greedy tokens must be identical; the printed text must be llava-cli's byte for byte.
 */
class LlavaEndToEndTest {
    static final String IMAGE = "coffee-rgba.png";

    static List<TinyLlava.Pair> pairs() {
        return TinyLlava.pairs();
    }

    /**
     * Byte for byte, as the README's main command promises, with this machine kind's 512-bit vectors. Narrower
     * vectors add up in another order; the quantised pairs then part from llava-cli at coffee's fifth token, a
     * near-tie (margins 0.067 and 0.058 against logits that are within 0.09 of llama.cpp's), which
     * {@link #captionAgreesWithLlavaCliUpToTheFirstNearTie} still checks.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void captionEqualsLlavaCli(TinyLlava.Pair pair) {
        org.junit.jupiter.api.Assumptions.assumeTrue(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512,
                "skipped: the byte-for-byte caption is checked with 512-bit vectors (this CPU has "
                        + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit ones)");
        try (VisionLanguageModel model = pair.load()) {
            List<String> streamed = new ArrayList<>();
            GenerationResult r = model.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.")
                    .maxTokens(24).stream(streamed::add);
            assertEquals(pair.greedyIds(IMAGE), r.tokens(), "greedy ids must equal llama.cpp's for " + pair);
            assertEquals(pair.llavaCliPrints(IMAGE), r.text(), "text must equal what llava-cli printed");
            assertEquals(r.text(), String.join("", streamed), "streamed pieces add up to the text");
            assertEquals(FinishReason.MAX_TOKENS, r.finishReason());
            assertEquals(1, r.timings().imagesEncoded());
            assertEquals(108, r.timings().promptTokens(), "34 system ids + 64 image rows + 10 user ids, as llava-cli");
        }
    }

    /** Any vector width: llava-cli's greedy ids up to the first near-tie of the reference (see TinyLlava). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void captionAgreesWithLlavaCliUpToTheFirstNearTie(TinyLlava.Pair pair) {
        int comparable = pair.idsBeforeNearTie(IMAGE);
        assertTrue(comparable > 0, pair + ": the first token is a near-tie; the fixture cannot check this case");
        try (VisionLanguageModel model = pair.load()) {
            GenerationResult r = model.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24).generate();
            assertEquals(pair.greedyIds(IMAGE).subList(0, comparable), r.tokens().subList(0, comparable),
                    pair + ": greedy ids before the first near-tie");
        }
    }

    /**
     * The same caption on the accelerator backends (PoCL's CPU device in CI; TornadoVM only in a tornadovm-profile
     * build), skipped where the backend is absent. The F32 pair has wide margins, so tokens must be identical.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"OPENCL", "TORNADOVM"})
    void captionOnOtherBackendsEqualsLlavaCli(String backend) {
        Backend kind = Backend.valueOf(backend);
        boolean present = !dev.vlm4j.kernels.Backends.provider(kind.kind())
                .map(dev.vlm4j.kernels.BackendProvider::devices).orElse(List.of()).isEmpty();
        org.junit.jupiter.api.Assumptions.assumeTrue(present, "skipped: no " + kind + " device in this build/machine");
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        try (VisionLanguageModel model = VisionLanguageModel.builder().model(pair.textPath()).projector(pair.mmprojPath())
                .backend(kind).build()) {
            GenerationResult r = model.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24).generate();
            assertEquals(pair.greedyIds(IMAGE), r.tokens(), "greedy ids on " + kind + " must equal llama.cpp's");
            assertEquals(pair.llavaCliPrints(IMAGE), r.text());
            if (kind == Backend.TORNADOVM) { // it counts its JIT: the first prompt compiles the kernels
                assertTrue(r.timings().backendWarmUpMillis() > 0, "TornadoVM's warm-up shows in the timings: " + r.timings());
            }
            // A second prompt takes the embedding from the model's cache, where it stays on the device.
            GenerationResult again = model.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24).generate();
            assertEquals(1, model.imagesEncoded(), "the second prompt must reuse the cached embedding");
            assertEquals(pair.greedyIds(IMAGE), again.tokens(), "the cached device embedding gives the same answer");
        }
    }

    @Test
    void chatFollowUpReusesTheImageAndTheEarlierTurns() {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        try (VisionLanguageModel model = pair.load(); ChatSession chat = model.chat()) {
            GenerationResult first = chat.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24).generate();
            assertEquals(pair.greedyIds(IMAGE), first.tokens(), "the first turn is the plain caption");
            int cachedAfterFirst = chat.cachedPositions();
            GenerationResult second = chat.prompt().text("What colour is it?").maxTokens(8).generate();
            assertEquals(1, model.imagesEncoded(), "the follow-up must not re-encode the image");
            assertEquals(0, second.timings().imagesEncoded());
            int secondPrompt = chat.cachedPositions() - (second.tokens().size() - 1); // the last token is never fed
            assertTrue(second.timings().promptTokens() <= secondPrompt - 108,
                    "system, image and first question (108 positions) come from the cache; computed "
                            + second.timings().promptTokens() + " of " + secondPrompt);
            assertEquals(4, chat.history().size(), "user, assistant, user, assistant");

            // The same conversation from scratch gives the same second answer: the cache changes cost, not results.
            try (ChatSession fresh = model.chat()) {
                fresh.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24).generate();
                assertEquals(second.tokens(), fresh.prompt().text("What colour is it?").maxTokens(8).generate().tokens());
            }
            assertEquals(1, model.imagesEncoded(), "the second conversation hits the embedding cache");
        }
    }

    @Test
    void concurrentSessionsGiveTheSerialAnswers() throws Exception {
        TinyLlava.Pair pair = TinyLlava.pair("q8_0", "f16");
        String[] images = {"coffee-rgba.png", "camera-gray.png", "astronaut.gif", "hubble.bmp"};
        String[] questions = {"Describe the image.", "What is this?"};
        try (VisionLanguageModel model = pair.load()) {
            List<List<Integer>> serial = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                serial.add(model.prompt().image(TinyLlava.image(images[i % 4])).text(questions[i / 4]).maxTokens(12).generate().tokens());
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<List<Integer>>> parallel = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int k = i;
                    parallel.add(pool.submit(() -> model.prompt().image(TinyLlava.image(images[k % 4]))
                            .text(questions[k / 4]).maxTokens(12).generate().tokens()));
                }
                for (int i = 0; i < 8; i++) assertEquals(serial.get(i), parallel.get(i).get(), "session " + i);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void cancellationStopsWithinOneToken() {
        try (VisionLanguageModel model = TinyLlava.pair("f32", "f32").load()) {
            CancellationToken token = new CancellationToken();
            int[] pieces = {0};
            GenerationResult r = model.prompt().image(TinyLlava.image(IMAGE)).text("Describe the image.").maxTokens(24)
                    .cancellation(token).stream(p -> {
                        if (++pieces[0] == 3) token.cancel();
                    });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.tokens().size() <= 4, "cancelled after the third piece, got " + r.tokens().size() + " tokens");
        }
    }

    @Test
    void promptLongerThanTheContextFailsBeforeCompute() {
        TinyLlava.Pair pair = TinyLlava.pair("f32", "f32");
        try (VisionLanguageModel model = VisionLanguageModel.builder().model(pair.textPath()).projector(pair.mmprojPath())
                .backend(Backend.CPU).contextLength(80).build()) {
            var e = assertThrows(PromptTooLongException.class, () -> model.prompt().image(TinyLlava.image(IMAGE))
                    .text("Describe the image.").generate());
            assertEquals(108, e.required());
            assertEquals(0, model.imagesEncoded() - 1, "the image was encoded, the decoder never ran");
        }
    }

    @Test
    void imageBytesAndPathGiveTheSameAnswer() throws Exception {
        TinyLlava.Pair pair = TinyLlava.pair("f16", "f16");
        try (VisionLanguageModel model = pair.load()) {
            byte[] bytes = Files.readAllBytes(TinyLlava.image(IMAGE));
            GenerationResult r = model.prompt().image(bytes).text("Describe the image.").maxTokens(24).generate();
            assertEquals(pair.greedyIds(IMAGE), r.tokens());
            String uri = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(bytes);
            assertEquals(pair.greedyIds(IMAGE), model.prompt().imageDataUri(uri).text("Describe the image.").maxTokens(24)
                    .generate().tokens());
            assertEquals(1, model.imagesEncoded(), "same pixels, same cache entry");
        }
    }

    @Test
    void severalImagesInOnePrompt() {
        try (VisionLanguageModel model = TinyLlava.pair("f32", "f32").load()) {
            GenerationResult r = model.prompt().text("Compare").image(TinyLlava.image("coffee-rgba.png"))
                    .text("with").image(TinyLlava.image("hubble.bmp")).text("briefly.").maxTokens(4).generate();
            assertEquals(2, model.imagesEncoded(), "each distinct image encoded once");
            assertEquals(2, r.timings().imagesEncoded());
            assertTrue(r.timings().promptTokens() > 34 + 2 * 64, "both images' 64 rows are in the prompt: " + r.timings().promptTokens());
            assertEquals(4, r.tokens().size());
        }
    }

    record Caption(String caption) {
    }

    @Test
    void jsonOutputThatDoesNotParseIsATypedError() {
        try (VisionLanguageModel model = TinyLlava.pair("f32", "f32").load()) {
            var e = assertThrows(JsonOutputException.class, () -> model.prompt().image(TinyLlava.image(IMAGE))
                    .text("Describe the image.").maxTokens(8).json(Caption.class));
            assertTrue(e.answer().length() > 0, "the raw answer is kept for the caller");
        }
        assertEquals("{\"a\":1}", Prompt.extractJson("Sure! ```json\n{\"a\":1}\n``` done"));
    }

    @Test
    void mismatchedProjectorIsRefusedAtLoad() {
        var text = dev.vlm4j.testing.Fixtures.require("models/tiny-llama-tied/tiny-llama-tied-f16.gguf");
        var mmproj = TinyLlava.pair("f32", "f32").mmprojPath();
        var e = assertThrows(ModelLoadException.class, () -> VisionLanguageModel.builder()
                .model(text).projector(mmproj).backend(Backend.CPU).build());
        assertTrue(e.getMessage().contains("tiny-llama-tied-f16.gguf"), e.getMessage());
    }
}
