package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One {@link OmniGen} instance, 4 threads × 3 generations at once over four different requests (text-to-image with
 * separate and batched CFG, an edit with the reference's input image and its size as output, and a two-prompt
 * batch without KV cache): every image and final latent is bit-identical to the same request run alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {

    private static final int THREADS = 4;
    private static final int PER_THREAD = 3;

    private OmniGen omnigen;
    private List<GenerationRequest> requests;

    @BeforeAll
    void load() throws Exception {
        omnigen = OmniGen.load(TinyModel.folder());
        RgbImage edit = TinyModel.editInput();
        requests = List.of(
                GenerationRequest.builder().prompt("a red square").size(32, 48).steps(3).seed(1)
                        .returnLatents(true).build(),
                GenerationRequest.builder().prompt("a blue circle on grass").size(64, 64).steps(4).seed(2)
                        .cfgMode(GenerationRequest.CfgMode.BATCHED).returnLatents(true).build(),
                GenerationRequest.builder()
                        .prompt("<img><|image_1|></img> Turn the sky into a sunset and remove the yellow triangle.",
                                List.of(edit))
                        .maxInputImageSize(64).useInputImageSizeAsOutput(true).guidanceScale(2f).steps(3).seed(123)
                        .returnLatents(true).build(),
                GenerationRequest.builder()
                        .prompt("<img><|image_1|></img> make it blue", List.of(edit))
                        .prompt("a cat on a mat")
                        .maxInputImageSize(32).size(48, 48).steps(2).seed(9).kvCache(false)
                        .returnLatents(true).build());
    }

    @AfterAll
    void close() {
        omnigen.close();
    }

    @Test
    void concurrentCallsAreBitIdenticalToSerialOnes() throws Exception {
        long t0 = System.nanoTime();
        List<GenerationResult> serial = new ArrayList<>();
        for (GenerationRequest r : requests) {
            serial.add(omnigen.generate(r));
        }
        // Serial runs are deterministic to begin with.
        for (int i = 0; i < requests.size(); i++) {
            assertSame(serial.get(i), omnigen.generate(requests.get(i)), "serial rerun of request " + i);
        }

        long t1 = System.nanoTime();
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<List<GenerationResult>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    barrier.await(30, TimeUnit.SECONDS);
                    List<GenerationResult> out = new ArrayList<>();
                    for (int k = 0; k < PER_THREAD; k++) {
                        out.add(omnigen.generate(requests.get((thread + k) % requests.size())));
                    }
                    return out;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                List<GenerationResult> got = futures.get(t).get(120, TimeUnit.SECONDS);
                for (int k = 0; k < PER_THREAD; k++) {
                    int req = (t + k) % requests.size();
                    assertSame(serial.get(req), got.get(k), "thread " + t + " call " + k + " (request " + req + ")");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("serial: %d calls in %.0f ms; concurrent: %d × %d calls in %.0f ms%n", 2 * requests.size(),
                (t1 - t0) / 1e6, THREADS, PER_THREAD, (System.nanoTime() - t1) / 1e6);
        assertEquals(0, Generation.liveResources());
    }

    private static void assertSame(GenerationResult expected, GenerationResult actual, String what) {
        assertEquals(expected.images().size(), actual.images().size(), what + ": image count");
        for (int i = 0; i < expected.images().size(); i++) {
            assertEquals(expected.images().get(i), actual.images().get(i), what + ": image " + i + " differs");
        }
        assertArrayEquals(expected.latentShape(), actual.latentShape(), what + ": latent shape");
        float[] e = expected.finalLatents(), a = actual.finalLatents();
        assertEquals(e.length, a.length, what + ": latent length");
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                throw new AssertionError(what + ": latent " + i + " differs: " + e[i] + " vs " + a[i]);
            }
        }
    }
}
