package dev.vlm4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A lost wake-up hangs a job, hence the timeout on every test. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThreadTeamTest {
    @Test
    void everyIndexRunsOnceInGrainAlignedChunks() {
        try (ThreadTeam team = new ThreadTeam(3)) {
            for (int n : new int[] {1, 7, 32, 33, 100, 1000}) {
                for (int grain : new int[] {1, 8, 32}) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(n);
                    team.parallelFor(n, grain, (from, to) -> {
                        assertTrue(from % grain == 0 && from < to && to <= n, "chunk [" + from + ", " + to + ")");
                        for (int i = from; i < to; i++) runs.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, runs.get(i), "n " + n + ", grain " + grain + ": index " + i);
                }
            }
        }
    }

    @Test
    void eachWorkerIndexNamesOneThreadAndZeroIsTheCaller() {
        try (ThreadTeam team = new ThreadTeam(4)) {
            AtomicReferenceArray<Thread> threadOf = new AtomicReferenceArray<>(team.size());
            AtomicIntegerArray chunks = new AtomicIntegerArray(team.size());
            team.parallelForWorkers(4 * 64, 1, (worker, from, to) -> {
                chunks.incrementAndGet(worker);
                threadOf.set(worker, Thread.currentThread());
            });
            for (int w = 0; w < team.size(); w++) assertEquals(1, chunks.get(w), "worker " + w + " runs one chunk");
            assertSame(Thread.currentThread(), threadOf.get(0));
            for (int a = 0; a < team.size(); a++) {
                for (int b = a + 1; b < team.size(); b++) {
                    assertTrue(threadOf.get(a) != threadOf.get(b), "workers " + a + " and " + b + " share a thread");
                }
            }
            // a job too small to split runs on the caller as worker 0
            team.parallelForWorkers(3, 8, (worker, from, to) -> {
                assertEquals(0, worker);
                assertSame(Thread.currentThread(), threadOf.get(0));
            });
        }
    }

    @Test
    void aWorkersFailureReachesTheCaller() {
        try (ThreadTeam team = new ThreadTeam(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    team.parallelForWorkers(100, 1, (worker, from, to) -> {
                        if (worker == 1) throw new IllegalStateException("worker 1 failed");
                    }));
            assertEquals("worker 1 failed", e.getMessage());
        }
    }

    /**
     * Workers park after spinning a while (well under a millisecond) and are unparked only when their flag says so:
     * jobs handed over after pauses below, around and above that time must all wake every worker.
     */
    @Test
    void parkedWorkersWakeForTheNextJob() throws InterruptedException {
        try (ThreadTeam team = new ThreadTeam(3)) {
            SplittableRandom random = new SplittableRandom(7);
            for (int job = 0; job < 400; job++) {
                long pauseNanos = job % 50 == 0 ? 20_000_000 : random.nextLong(2_000_000);
                long until = System.nanoTime() + pauseNanos;
                if (pauseNanos > 1_000_000) {
                    Thread.sleep(pauseNanos / 1_000_000);
                } else {
                    while (System.nanoTime() < until) Thread.onSpinWait();
                }
                AtomicIntegerArray ranOn = new AtomicIntegerArray(team.size());
                team.parallelForWorkers(3 * 16, 16, (worker, from, to) -> ranOn.incrementAndGet(worker));
                for (int w = 0; w < team.size(); w++) assertEquals(1, ranOn.get(w), "job " + job + ": worker " + w);
            }
        }
    }
}
