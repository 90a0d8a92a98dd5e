package dev.vlm4j.language;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlm4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

class ReactorSmokeTest {
    @Test
    void fixturesLocatorIsOnTheTestClasspath() {
        assertTrue(Fixtures.require("models").toFile().isDirectory());
    }
}
