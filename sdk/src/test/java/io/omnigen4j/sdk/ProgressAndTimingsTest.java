package io.omnigen4j.sdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ProgressListener} sees steps 1..total in order with non-decreasing elapsed time on the calling thread;
 * {@link GenerationResult.Timings} has one entry per step and non-negative stage times; {@code returnLatents}
 * controls {@link GenerationResult#finalLatents()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgressAndTimingsTest {

    private OmniGen omnigen;

    @BeforeAll
    void load() throws Exception {
        omnigen = OmniGen.load(TinyModel.folder());
    }

    @AfterAll
    void close() {
        omnigen.close();
    }

    private record Call(int step, int total, Duration elapsed, Thread thread) {
    }

    @Test
    void listenerSeesEveryStepInOrder() throws Exception {
        for (GenerationRequest.CfgMode mode : GenerationRequest.CfgMode.values()) {
            int steps = 7;
            List<Call> calls = new ArrayList<>();
            GenerationRequest req = GenerationRequest.builder().prompt("a cat").size(32, 32).steps(steps).seed(4)
                    .cfgMode(mode).build();
            ProgressListener listener =
                    (step, total, elapsed) -> calls.add(new Call(step, total, elapsed, Thread.currentThread()));
            // Both overloads that take a listener: without and with a cancellation token.
            GenerationResult r = mode == GenerationRequest.CfgMode.SEPARATE ? omnigen.generate(req, listener)
                    : omnigen.generate(req, listener, new CancellationToken());
            assertEquals(steps, calls.size(), mode + ": one call per step");
            for (int i = 0; i < steps; i++) {
                Call c = calls.get(i);
                assertEquals(i + 1, c.step(), mode + ": step numbers 1..total in order");
                assertEquals(steps, c.total());
                assertEquals(Thread.currentThread(), c.thread(), "called on the generating thread");
                assertFalse(c.elapsed().isNegative());
                if (i > 0) {
                    assertTrue(c.elapsed().compareTo(calls.get(i - 1).elapsed()) >= 0, mode + ": elapsed decreased");
                }
            }
            assertTrue(calls.get(steps - 1).elapsed().compareTo(r.timings().total()) <= 0,
                    "the last step's elapsed time is within the total");
        }
    }

    @Test
    void timingsHaveOneEntryPerStepAndNonNegativeStages() throws Exception {
        int steps = 5;
        GenerationResult r = omnigen.generate(GenerationRequest.builder()
                .prompt("<img><|image_1|></img> make it blue", List.of(TinyModel.pattern(40, 30)))
                .size(32, 32).steps(steps).seed(4).build());
        GenerationResult.Timings t = r.timings();
        assertEquals(steps, t.steps().size());
        for (Duration d : List.of(t.tokenize(), t.preprocess(), t.vaeEncode(), t.prefill(), t.decode(), t.total())) {
            assertNotNull(d);
            assertFalse(d.isNegative(), "negative stage time " + t);
        }
        t.steps().forEach(d -> assertFalse(d.isNegative()));
        assertTrue(t.vaeEncode().toNanos() > 0, "an input image was encoded");
        Duration stages = t.tokenize().plus(t.preprocess()).plus(t.vaeEncode()).plus(t.prefill())
                .plus(t.stepsTotal()).plus(t.decode());
        assertTrue(stages.compareTo(t.total()) <= 0, "stages " + stages + " exceed the total " + t.total());
    }

    @Test
    void returnLatentsControlsFinalLatents() throws Exception {
        GenerationRequest.Builder b = GenerationRequest.builder().prompt("a cat").size(48, 32).steps(2).seed(4);
        GenerationResult without = omnigen.generate(b.returnLatents(false).build());
        assertNull(without.finalLatents());
        assertNull(without.latentShape());
        assertEquals(4L, without.seed(), "the seed used is reported");
        GenerationResult with = omnigen.generate(b.returnLatents(true).build());
        assertArrayEquals(new long[] {1, 4, 4, 6}, with.latentShape());
        assertEquals(1 * 4 * 4 * 6, with.finalLatents().length);
        assertEquals(without.image(), with.image(), "returnLatents does not change the image");
        assertEquals(48, with.image().width());
        assertEquals(32, with.image().height());
    }
}
