package io.omnigen4j.sdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link CancellationToken}: cancelled from the progress listener, from another thread during a long run, before
 * the start, and through {@link OmniGen#close()}; every case ends with {@link GenerationCancelledException} within
 * one step, all native resources released ({@link Generation#liveResources()} = 0), and the instance still
 * producing the same bits afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationTest {

    private OmniGen omnigen;
    private GenerationResult reference;

    @BeforeAll
    void load() throws Exception {
        omnigen = OmniGen.load(TinyModel.folder());
        reference = omnigen.generate(small());
    }

    @AfterAll
    void close() {
        omnigen.close();
    }

    @AfterEach
    void nothingLeaksAndStillCorrect() throws Exception {
        assertEquals(0, Generation.liveResources(), "native resources left open");
        GenerationResult again = omnigen.generate(small());
        assertEquals(reference.image(), again.image(), "a cancellation changed later results");
        assertArrayEquals(reference.finalLatents(), again.finalLatents());
    }

    private static GenerationRequest small() {
        return GenerationRequest.builder().prompt("a red square").size(32, 48).steps(3).seed(11).returnLatents(true)
                .build();
    }

    private static GenerationRequest manySteps(int steps) {
        return GenerationRequest.builder().prompt("a long run").size(64, 64).steps(steps).seed(3).build();
    }

    @Test
    void cancelledBeforeStartFailsImmediately() {
        CancellationToken token = new CancellationToken();
        token.cancel();
        long runs = Generation.nativeRuns();
        AtomicInteger steps = new AtomicInteger();
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class,
                () -> omnigen.generate(manySteps(50), (s, t, el) -> steps.incrementAndGet(), token));
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertEquals(runs, Generation.nativeRuns(), "no graph may run with a cancelled token");
        assertEquals(0, steps.get());
    }

    @Test
    void cancelFromListenerAfterStepOne() {
        CancellationToken token = new CancellationToken();
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        long runs = Generation.nativeRuns();
        // Prompts no other call used, so that neither branch's condition K/V comes from the model's cache.
        GenerationRequest fresh = GenerationRequest.builder().prompt("cancel after step one").size(64, 64).steps(20)
                .seed(3).negativePrompt("not cached anywhere").build();
        assertThrows(GenerationCancelledException.class, () -> omnigen.generate(fresh, (step, total, el) -> {
            seen.add(step);
            if (step == 1) {
                token.cancel();
            }
        }, token));
        assertEquals(List.of(1), seen, "no step may start after the cancel");
        // 2 prefills + 2 token embeds + 2 × 3 step runs (embed, decoder, head; two CFG branches, separate); no
        // step-2 run, no decode.
        assertEquals(10, Generation.nativeRuns() - runs, "graph runs up to the cancel");
    }

    @Test
    void cancelFromAnotherThreadWithinOneStep() throws Exception {
        int total = 1000;
        CancellationToken token = new CancellationToken();
        CountDownLatch third = new CountDownLatch(1);
        AtomicLong cancelledAt = new AtomicLong();
        AtomicInteger stepsAfterCancel = new AtomicInteger();
        AtomicInteger lastStep = new AtomicInteger();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<GenerationResult> f = pool.submit(() -> omnigen.generate(manySteps(total), (step, t, el) -> {
                lastStep.set(step);
                if (cancelledAt.get() != 0) {
                    stepsAfterCancel.incrementAndGet();
                }
                if (step == 3) {
                    third.countDown();
                }
            }, token));
            assertTrue(third.await(30, TimeUnit.SECONDS), "generation did not reach step 3");
            cancelledAt.set(System.nanoTime());
            token.cancel();
            Exception e = assertThrows(Exception.class, () -> f.get(30, TimeUnit.SECONDS));
            long latency = System.nanoTime() - cancelledAt.get();
            assertInstanceOf(GenerationCancelledException.class, e.getCause());
            System.out.printf("cancel from another thread: stopped after step %d of %d, %d step(s) reported after"
                    + " cancel, latency %.2f ms%n", lastStep.get(), total, stepsAfterCancel.get(), latency / 1e6);
            assertTrue(stepsAfterCancel.get() <= 1, "more than one step finished after cancel: "
                    + stepsAfterCancel.get());
            assertTrue(lastStep.get() < total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancelStopsTheGraphRunInFlight() throws Exception {
        // A 256×256 decode takes ~100 ms on the CPU: cancel in the middle of it; ORT's terminate flag must stop the
        // run instead of letting it finish.
        GenerationRequest r = GenerationRequest.builder().prompt("a big one").size(256, 256).steps(1).seed(1).build();
        long decodeNanos = Math.min(omnigen.generate(r).timings().decode().toNanos(),
                omnigen.generate(r).timings().decode().toNanos());
        Assumptions.assumeTrue(decodeNanos > 40_000_000L, "decode too fast here to cancel in flight: "
                + decodeNanos / 1e6 + " ms");
        CancellationToken token = new CancellationToken();
        AtomicLong cancelledAt = new AtomicLong();
        Thread canceller = new Thread(() -> {
            try {
                Thread.sleep(decodeNanos / 3_000_000L);
            } catch (InterruptedException ignored) {
                return;
            }
            cancelledAt.set(System.nanoTime());
            token.cancel();
        });
        long t0 = System.nanoTime();
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class,
                () -> omnigen.generate(r, (step, total, el) -> canceller.start(), token));
        long end = System.nanoTime();
        canceller.join();
        long latency = end - cancelledAt.get();
        System.out.printf("cancel during VAE decode (%.0f ms uncancelled): stopped %.1f ms after cancel(), run ended"
                + " %.0f ms after start%n", decodeNanos / 1e6, latency / 1e6, (end - t0) / 1e6);
        assertTrue(cancelledAt.get() != 0);
        assertTrue(latency < decodeNanos / 2, "the decode was not terminated: " + latency / 1e6 + " ms");
        assertTrue(e.getMessage().contains("cancelled"));
    }

    @Test
    void cancelRacingTheEndOfGenerations() throws Exception {
        // cancel() at arbitrary moments, also while a generation is closing its run options: each call either
        // completes or is cancelled, nothing crashes and nothing leaks.
        GenerationRequest r = GenerationRequest.builder().prompt("race").size(16, 16).steps(1).seed(2).build();
        omnigen.generate(r);
        long t0 = System.nanoTime();
        omnigen.generate(r);
        long callNanos = System.nanoTime() - t0;
        int cancelled = 0;
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 40; i++) {
                CancellationToken token = new CancellationToken();
                long delayNanos = callNanos * 3 / 2 * i / 40; // from the start to past the end of a call
                Future<?> canceller = pool.submit(() -> {
                    long until = System.nanoTime() + delayNanos;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    token.cancel();
                });
                try {
                    omnigen.generate(r, ProgressListener.NONE, token);
                } catch (GenerationCancelledException e) {
                    cancelled++;
                }
                canceller.get(10, TimeUnit.SECONDS);
                assertEquals(0, Generation.liveResources());
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("cancel race: %d of 40 calls cancelled (a call takes %.1f ms)%n", cancelled,
                callNanos / 1e6);
    }

    @Test
    void oneTokenCancelsEveryGenerationUsingIt() throws Exception {
        CancellationToken token = new CancellationToken();
        CountDownLatch started = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<GenerationResult>> fs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                fs.add(pool.submit(() -> omnigen.generate(manySteps(1000), (step, t, el) -> {
                    if (step == 2) {
                        started.countDown();
                    }
                }, token)));
            }
            assertTrue(started.await(30, TimeUnit.SECONDS));
            token.cancel();
            for (Future<GenerationResult> f : fs) {
                Exception e = assertThrows(Exception.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(GenerationCancelledException.class, e.getCause());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeStopsRunningGenerationsAndWaitsForThem() throws Exception {
        OmniGen second = OmniGen.load(TinyModel.folder());
        CountDownLatch running = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<GenerationResult> f = pool.submit(() -> second.generate(manySteps(1000), (step, t, el) -> {
                if (step == 2) {
                    running.countDown();
                }
            }, new CancellationToken()));
            assertTrue(running.await(30, TimeUnit.SECONDS));
            assertTimeoutPreemptively(Duration.ofSeconds(30), second::close);
            // close() returned: the generation has already ended and released everything.
            assertTrue(f.isDone(), "close() returned while the generation was still running");
            assertEquals(0, Generation.liveResources());
            try {
                f.get();
                fail("the generation should have been stopped by close()");
            } catch (java.util.concurrent.ExecutionException e) {
                assertInstanceOf(GenerationCancelledException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
            }
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> second.generate(small()));
            assertTrue(closed.getMessage().contains("closed"));
            second.close(); // idempotent
        } finally {
            pool.shutdownNow();
            second.close();
        }
    }
}
