package dev.vlm4j.language.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits according to {@link SamplingParams}. One sampler per generation: it owns the random
 * stream (seeded once) and the recent-token window for the repetition penalty. Not thread-safe.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private final int[] recent;
    private int recentCount;
    private int recentNext;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.recent = new int[params.repeatLastN()];
    }

    public SamplingParams params() {
        return params;
    }

    /** Records a token as seen (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (recent.length == 0) return;
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Picks the next token. {@code logits} is not modified. */
    public int sample(float[] logits) {
        if (params.greedy() && params.repeatPenalty() == 1f) return argmax(logits);
        float[] z = logits.clone();
        applyRepeatPenalty(z);
        if (params.greedy()) return argmax(z);

        int[] ids = candidates(z);
        int n = ids.length;
        // ids is sorted by descending logit from here on.
        if (params.topK() > 0) n = Math.min(n, params.topK());

        double[] p = softmax(z, ids, n, 1f);
        if (params.topP() < 1f) {
            double sum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                sum += p[i];
                if (sum >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
            p = softmax(z, ids, n, 1f);
        }
        if (params.minP() > 0f) {
            double threshold = p[0] * params.minP();
            int keep = 1;
            while (keep < n && p[keep] >= threshold) keep++;
            n = keep;
        }
        p = softmax(z, ids, n, params.temperature());
        double u = random.nextDouble();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += p[i];
            if (u < sum) return ids[i];
        }
        return ids[n - 1];
    }

    /** The first largest value, as llama.cpp's greedy sampler picks it. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    private void applyRepeatPenalty(float[] z) {
        if (params.repeatPenalty() == 1f || recentCount == 0) return;
        boolean[] seen = new boolean[z.length];
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t < 0 || t >= z.length || seen[t]) continue;
            seen[t] = true;
            z[t] = z[t] <= 0 ? z[t] * params.repeatPenalty() : z[t] / params.repeatPenalty();
        }
    }

    /**
     * Token ids sorted by descending logit (ties by id). When top-k is set only the k best are sorted, which keeps
     * this cheap for large vocabularies.
     */
    private int[] candidates(float[] z) {
        int k = params.topK() > 0 ? Math.min(params.topK(), z.length) : z.length;
        if (k < z.length) {
            // Partial selection: keep a running list of the k best.
            int[] best = new int[k];
            int size = 0;
            for (int id = 0; id < z.length; id++) {
                if (size == k && !better(z, id, best[size - 1])) continue;
                int pos = size == k ? k - 1 : size++;
                while (pos > 0 && better(z, id, best[pos - 1])) {
                    best[pos] = best[pos - 1];
                    pos--;
                }
                best[pos] = id;
            }
            return best;
        }
        Integer[] boxed = new Integer[z.length];
        for (int i = 0; i < boxed.length; i++) boxed[i] = i;
        Arrays.sort(boxed, (a, b) -> better(z, a, b) ? -1 : better(z, b, a) ? 1 : 0);
        int[] ids = new int[boxed.length];
        for (int i = 0; i < ids.length; i++) ids[i] = boxed[i];
        return ids;
    }

    private static boolean better(float[] z, int a, int b) {
        return z[a] > z[b] || (z[a] == z[b] && a < b);
    }

    private static double[] softmax(float[] z, int[] ids, int n, float temperature) {
        double[] p = new double[n];
        double max = z[ids[0]];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((z[ids[i]] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }
}
