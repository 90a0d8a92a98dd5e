package dev.vlm4j.language.sampling;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static float[] randomLogits(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[n];
        for (int i = 0; i < n; i++) z[i] = (float) (r.nextGaussian() * 3);
        return z;
    }

    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(1, new Sampler(SamplingParams.GREEDY).sample(new float[]{0f, 5f, 5f, -1f}));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] z = randomLogits(1000, 1);
        var params = SamplingParams.defaults(42).withTemperature(1.5f).withTopK(0).withMinP(0f);
        int[] a = draw(new Sampler(params), z, 50);
        int[] b = draw(new Sampler(params), z, 50);
        int[] c = draw(new Sampler(params.withSeed(43)), z, 50);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b), "same seed must give the same draws");
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c), "another seed should give other draws");
    }

    private static int[] draw(Sampler s, float[] z, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(z);
        return out;
    }

    @Test
    void topKKeepsOnlyTheKBest() {
        float[] z = randomLogits(500, 2);
        Integer[] order = new Integer[z.length];
        for (int i = 0; i < z.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Float.compare(z[y], z[x]));
        var allowed = java.util.Set.of(order[0], order[1], order[2]);
        Sampler s = new Sampler(new SamplingParams(5f, 3, 1f, 0f, 1f, 64, 7));
        for (int i = 0; i < 300; i++) assertTrue(allowed.contains(s.sample(z)), "top-k 3 drew outside the 3 best");
    }

    @Test
    void topPAndMinPCutTheTail() {
        // Probabilities ~ 0.5, 0.3, 0.15, 0.05 at temperature 1.
        float[] z = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        Sampler topP = new Sampler(new SamplingParams(1f, 0, 0.75f, 0f, 1f, 64, 3));
        Sampler minP = new Sampler(new SamplingParams(1f, 0, 1f, 0.35f, 1f, 64, 3));
        for (int i = 0; i < 500; i++) {
            assertTrue(topP.sample(z) <= 1, "top-p 0.75 keeps the two tokens that reach 0.75");
            assertTrue(minP.sample(z) <= 1, "min-p 0.35 drops tokens below 0.35 * 0.5");
        }
    }

    @Test
    void drawsFollowTheDistribution() {
        float[] z = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 64, 11));
        Map<Integer, Integer> counts = new HashMap<>();
        int n = 20000;
        for (int i = 0; i < n; i++) counts.merge(s.sample(z), 1, Integer::sum);
        assertEquals(0.6, counts.get(0) / (double) n, 0.02, "frequency of p=0.6 within 0.02");
        assertEquals(0.1, counts.get(2) / (double) n, 0.02, "frequency of p=0.1 within 0.02");
    }

    @Test
    void repetitionPenaltyDemotesSeenTokens() {
        Sampler s = new Sampler(SamplingParams.GREEDY.withRepeatPenalty(2f, 8));
        float[] z = {3f, 2f, -1f};
        assertEquals(0, s.sample(z));
        s.accept(0);
        assertEquals(1, s.sample(z), "3/2 = 1.5 < 2 after the penalty");
        assertEquals(3f, z[0], "the caller's logits are not modified");
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, -1, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0f, 1f, 64, 0));
    }
}
