package dev.vlm4j.language.sampling;

/**
 * How the next token is picked from the logits. A temperature of 0 (or less) means greedy: the first largest
 * logit, exactly as llama.cpp's greedy sampler. Otherwise the filters run in llama.cpp's default order:
 * repetition penalty, top-k, top-p, min-p, temperature, then a draw from the remaining distribution.
 *
 * @param temperature   0 for greedy; otherwise logits are divided by it before the draw
 * @param topK          keep the k most likely tokens; 0 keeps all
 * @param topP          keep the smallest set whose probabilities add up to at least p; 1 keeps all
 * @param minP          drop tokens less likely than {@code minP} times the most likely one; 0 keeps all
 * @param repeatPenalty divide positive (multiply negative) logits of recently seen tokens by it; 1 is off
 * @param repeatLastN   how many recent tokens the penalty looks at
 * @param seed          the random seed: the same seed, prompt and model give the same output
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             int repeatLastN, long seed) {
    /** Greedy decoding: what llama.cpp does with {@code --temp 0}. */
    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 0);

    /** llama.cpp's defaults for a sampled run: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05. */
    public static SamplingParams defaults(long seed) {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 64, seed);
    }

    public SamplingParams {
        if (!Float.isFinite(temperature)) throw new IllegalArgumentException("temperature must be finite, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0f && topP <= 1f)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0f && minP < 1f)) throw new IllegalArgumentException("min-p must be in [0, 1), got " + minP);
        if (!(repeatPenalty > 0f) || !Float.isFinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeatPenalty);
        }
        if (repeatLastN < 0) throw new IllegalArgumentException("repeat-last-n must be >= 0, got " + repeatLastN);
    }

    public boolean greedy() {
        return temperature <= 0f;
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repeatPenalty, repeatLastN, seed);
    }

    public SamplingParams withRepeatPenalty(float penalty, int lastN) {
        return new SamplingParams(temperature, topK, topP, minP, penalty, lastN, seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s);
    }
}
