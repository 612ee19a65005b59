package io.omnigen4j.sdk;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OmniGen#warmUp}: runs the described shapes, checks its input before any native call, stops on
 * cancellation and close, leaves the condition cache alone and changes no later result by a single bit.
 */
class WarmUpTest {

    /** A text-to-image request and an edit, both on the tiny model's scale. */
    private static GenerationRequest textToImage() {
        return GenerationRequest.builder().prompt("a red square on a blue floor").size(32, 48).steps(3).seed(5)
                .returnLatents(true).build();
    }

    private static GenerationRequest edit() throws Exception {
        return GenerationRequest.builder().prompt("<img><|image_1|></img> make it green", List.of(TinyModel.editInput()))
                .useInputImageSizeAsOutput(true).maxInputImageSize(64).steps(3).seed(6).returnLatents(true).build();
    }

    private static WarmUp smallWarmUp() {
        return WarmUp.builder().size(32, 48).build();
    }

    private static WarmUp editWarmUp() {
        return WarmUp.builder().inputImage(75, 100).useInputImageSizeAsOutput(true).maxInputImageSize(64).build();
    }

    @Test
    void laterResultsAreBitIdenticalWithAndWithoutWarmUp() throws Exception {
        GenerationResult coldT2i, coldEdit, warmT2i, warmEdit;
        try (OmniGen cold = OmniGen.load(TinyModel.folder())) {
            coldT2i = cold.generate(textToImage());
            coldEdit = cold.generate(edit());
        }
        try (OmniGen warm = OmniGen.load(TinyModel.folder())) {
            WarmUpResult a = warm.warmUp(smallWarmUp());
            WarmUpResult b = warm.warmUp(editWarmUp());
            assertEquals(2, a.rounds().size());
            assertEquals(2, a.rounds().get(0).steps().size(), "2 steps per round by default");
            assertTrue(b.rounds().get(0).vaeEncode().toNanos() > 0, "the edit warm-up ran the VAE encoder");
            assertTrue(a.total().compareTo(a.rounds().get(0).total()) > 0);
            assertEquals(0, warm.conditionCache().size(), "the warm-up must not fill the condition cache");
            warmT2i = warm.generate(textToImage());
            warmEdit = warm.generate(edit());
        }
        assertEquals(coldT2i.image(), warmT2i.image());
        assertArrayEquals(coldT2i.finalLatents(), warmT2i.finalLatents());
        assertEquals(coldEdit.image(), warmEdit.image());
        assertArrayEquals(coldEdit.finalLatents(), warmEdit.finalLatents());
        assertEquals(0, Generation.liveResources());
    }

    @Test
    void everyWarmUpShapeRuns() throws Exception {
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            for (WarmUp w : List.of(
                    WarmUp.builder().size(32, 32).kvCache(false).steps(1).rounds(1).build(),
                    WarmUp.builder().size(32, 32).cfgMode(GenerationRequest.CfgMode.BATCHED).rounds(1).build(),
                    WarmUp.builder().size(48, 32).inputImage(40, 30).imageGuidance(false).rounds(3).build())) {
                WarmUpResult r = og.warmUp(w);
                assertEquals(w.rounds(), r.rounds().size());
                r.rounds().forEach(t -> assertEquals(w.steps(), t.steps().size()));
            }
        }
    }

    @Test
    void builderRejectsBadSettingsNamingThem() {
        assertMessage("steps", () -> WarmUp.builder().steps(0).build());
        assertMessage("rounds", () -> WarmUp.builder().rounds(11).build());
        assertMessage("image tags", () -> WarmUp.builder().prompt("see <img><|image_1|></img>").build());
        assertMessage("useInputImageSizeAsOutput needs an input image",
                () -> WarmUp.builder().useInputImageSizeAsOutput(true).build());
        assertMessage("inputImage sides", () -> WarmUp.builder().inputImage(0, 10).build());
        assertMessage("inputImage sides", () -> WarmUp.builder().inputImage(100_000, 10).build());
        assertMessage("multiple of 16", () -> WarmUp.builder().size(100, 64).build());
        assertMessage("maxInputImageSize", () -> WarmUp.builder().inputImage(64, 64).maxInputImageSize(8).build());
        assertThrows(NullPointerException.class, () -> WarmUp.builder().prompt(null));
        WarmUp w = WarmUp.builder().inputImage(64, 32).build();
        assertTrue(w.hasInputImage());
        assertEquals(64, w.inputImageWidth());
        assertFalse(WarmUp.builder().build().hasInputImage());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        InvalidRequestException x = assertThrows(InvalidRequestException.class, e);
        assertTrue(x.getMessage().contains(expected), x.getMessage());
    }

    @Test
    void modelLimitsAreCheckedBeforeAnyGraphRuns() throws Exception {
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            long runs = Generation.nativeRuns();
            // The tiny model's position table is far smaller than 4096×4096 pixels.
            assertThrows(InvalidRequestException.class,
                    () -> og.warmUp(WarmUp.builder().size(4096, 4096).build()));
            assertEquals(runs, Generation.nativeRuns());
            assertThrows(NullPointerException.class, () -> og.warmUp(null));
        }
    }

    @Test
    void cancellationStopsItAndLeavesTheInstanceUsable() throws Exception {
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            GenerationResult before = og.generate(textToImage());
            CancellationToken token = new CancellationToken();
            token.cancel();
            long runs = Generation.nativeRuns();
            assertThrows(GenerationCancelledException.class, () -> og.warmUp(smallWarmUp(), token));
            assertEquals(runs, Generation.nativeRuns(), "no graph may run with a cancelled token");

            // Cancelled from another thread while it runs (many rounds, so it is still running).
            CancellationToken later = new CancellationToken();
            AtomicBoolean done = new AtomicBoolean();
            Thread canceller = new Thread(() -> {
                long start = Generation.nativeRuns();
                while (!done.get() && Generation.nativeRuns() < start + 3) {
                    Thread.onSpinWait();
                }
                later.cancel();
            });
            canceller.start();
            try {
                assertThrows(GenerationCancelledException.class,
                        () -> og.warmUp(WarmUp.builder().size(64, 64).steps(50).rounds(10).build(), later));
            } finally {
                done.set(true);
                canceller.join();
            }
            assertEquals(0, Generation.liveResources());
            GenerationResult after = og.generate(textToImage());
            assertEquals(before.image(), after.image());
            assertArrayEquals(before.finalLatents(), after.finalLatents());
        }
    }

    @Test
    void aClosedInstanceRefusesIt() throws Exception {
        OmniGen og = OmniGen.load(TinyModel.folder());
        og.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> og.warmUp(smallWarmUp()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
