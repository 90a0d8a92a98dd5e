package dev.vlm4j.cli;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The warm-up policy: the runs asked for, more while compilation goes on, never more than the cap. */
class WarmUpTest {
    @Test
    void stopsAfterThreeQuietRunsOrAtTheMinimum() {
        AtomicInteger bodyRuns = new AtomicInteger();
        assertEquals(3, WarmUp.run(1, 0, () -> 0.0, bodyRuns::incrementAndGet).runs(), "three quiet runs in a row");
        assertEquals(4, WarmUp.run(4, 0, () -> 0.0, bodyRuns::incrementAndGet).runs(), "the minimum asked for");
        assertEquals(7, bodyRuns.get(), "each run is one call of the body");
    }

    @Test
    void goesOnWhileCompilingUpToTheCap() {
        double[] compiled = {0};
        AtomicInteger bodyRuns = new AtomicInteger();
        // every run compiles for 1000 ms more: never settles
        WarmUp w = WarmUp.run(1, 0, () -> compiled[0], () -> { compiled[0] += 1000; bodyRuns.incrementAndGet(); });
        assertEquals(WarmUp.MAX_RUNS, w.runs());
        assertEquals(WarmUp.MAX_RUNS, bodyRuns.get());
        // compiles in runs 1, 2, 5 and 6: the quiet runs 3 and 4 do not end it, runs 7, 8 and 9 do
        compiled[0] = 0;
        bodyRuns.set(0);
        WarmUp settling = WarmUp.run(1, 0, () -> compiled[0], () -> {
            int run = bodyRuns.incrementAndGet();
            if (run <= 2 || run == 5 || run == 6) compiled[0] += 1000;
        });
        assertEquals(9, settling.runs());
    }

    @Test
    void zeroMeansNoWarmUpEvenWhileCompiling() {
        double[] compiled = {0};
        assertEquals(0, WarmUp.run(0, 1e9, () -> compiled[0]++, () -> { }).runs());
    }

    @Test
    void lastsAtLeastTheShortestWarmUpWithinTheCap() {
        // quiet 5 ms runs: three would do, but the warm-up must last 100 ms
        WarmUp w = WarmUp.run(1, 100, () -> 0.0, () -> sleep(5));
        assertTrue(w.runs() > WarmUp.QUIET_RUNS && w.millis() >= 100, w.toString());
        assertTrue(w.runs() <= 100 / 5 + 1, "stops once the time is up: " + w);
        // the cap on runs wins over the time
        assertEquals(WarmUp.MAX_RUNS, WarmUp.run(1, 1e9, () -> 0.0, () -> { }).runs());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
