package dev.vlm4j.kernels.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bandwidth probe reads the whole buffer it reports (its speed is measured by bench, never asserted). */
class MemoryBandwidthTest {
    @Test
    void reportsTheBufferItReadAndAPositiveRate() {
        MemoryBandwidth.Result r = MemoryBandwidth.measureRead(8L << 20, 2, 2);
        assertEquals(8L << 20, r.bufferBytes(), "a buffer of whole vectors per thread, here exactly the size asked for");
        assertEquals(2, r.threads());
        assertTrue(r.bytesPerSecond() > 0 && Double.isFinite(r.bytesPerSecond()), "rate " + r.bytesPerSecond());
    }
}
