package dev.vlm4j.sdk;

/**
 * Where the time of one generation went.
 *
 * @param imageEncodeMillis time spent decoding, preprocessing and encoding images (0 for cached images)
 * @param imagesEncoded     images that ran through the encoder (cache hits not counted)
 * @param promptTokens      prompt positions computed (text tokens and image rows; positions reused from the
 *                          KV cache of an earlier turn are not counted)
 * @param promptMillis      time of that prompt prefill
 * @param generatedTokens   tokens generated
 * @param decodeMillis      time of the generation loop
 * @param backendWarmUpMillis of all that, the backend's one-time warm-up while this generation ran: device plan
 *                          builds, weight uploads and kernel compilation (TornadoVM); 0 on backends that keep no
 *                          such counters (CPU, OpenCL). Subtract it for steady-state speed.
 */
public record Timings(double imageEncodeMillis, int imagesEncoded, int promptTokens, double promptMillis,
                      int generatedTokens, double decodeMillis, double backendWarmUpMillis) {
    public double promptTokensPerSecond() {
        return promptMillis <= 0 ? 0 : promptTokens * 1000.0 / promptMillis;
    }

    public double decodeTokensPerSecond() {
        return decodeMillis <= 0 ? 0 : generatedTokens * 1000.0 / decodeMillis;
    }

    public double totalMillis() {
        return imageEncodeMillis + promptMillis + decodeMillis;
    }
}
