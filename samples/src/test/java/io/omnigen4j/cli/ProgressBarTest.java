package io.omnigen4j.cli;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProgressBarTest {

    @Test
    void progressClock() {
        assertEquals("0:00", ProgressBar.clock(Duration.ofMillis(400)));
        assertEquals("1:05", ProgressBar.clock(Duration.ofSeconds(65)));
        assertEquals("1:01:01", ProgressBar.clock(Duration.ofSeconds(3661)));
    }
}
