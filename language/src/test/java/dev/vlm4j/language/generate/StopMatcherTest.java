package dev.vlm4j.language.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopMatcherTest {
    @Test
    void holdsBackWhatMayStartAStopStringAndCutsAtIt() {
        StopMatcher m = new StopMatcher(List.of("USER:", "###"));
        assertEquals("A dog", m.accept("A dog"));
        assertEquals(" and a ", m.accept(" and a US"), "'US' may start 'USER:'");
        assertEquals("US cat", m.accept(" cat"), "'US cat' cannot start a stop string any more");
        assertFalse(m.stopped());
        assertEquals(".\n", m.accept(".\nUSER: more"), "text before the stop string is released, the rest cut");
        assertTrue(m.stopped());
        assertEquals("", m.accept("ignored"));
        assertEquals("", m.flush());
    }

    @Test
    void flushReleasesAHeldPrefixAtTheEnd() {
        StopMatcher m = new StopMatcher(List.of("</s>"));
        assertEquals("end", m.accept("end</"));
        assertEquals("</", m.flush());
        assertFalse(m.stopped());
    }
}
