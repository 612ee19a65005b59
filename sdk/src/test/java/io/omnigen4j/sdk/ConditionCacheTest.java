package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The condition K/V kept between calls ({@link ConditionCache}): bit-identical results with and without it, which
 * groups it serves (no input images, KV cache on), the graph runs it saves, eviction, and no native resource
 * counted against a generation after it ends.
 */
class ConditionCacheTest {

    private static GenerationRequest textToImage(String prompt, String negative) {
        return GenerationRequest.builder().prompt(prompt).negativePrompt(negative).size(32, 48).steps(3).seed(5)
                .returnLatents(true).build();
    }

    private static void assertSameOutput(GenerationResult a, GenerationResult b) {
        assertEquals(a.image(), b.image());
        assertArrayEquals(a.finalLatents(), b.finalLatents());
    }

    @Test
    void repeatedConditionsSkipThePrefillAndGiveTheSameBits() throws Exception {
        GenerationRequest req = textToImage("a red square", "blurry");
        GenerationResult uncached;
        try (OmniGen off = OmniGen.load(TinyModel.folder(), RuntimeOptions.builder().conditionCacheEntries(0).build())) {
            uncached = off.generate(req);
            assertEquals(0, off.conditionCache().size());
        }
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            ConditionCache cache = og.conditionCache();
            long runs = Generation.nativeRuns();
            GenerationResult first = og.generate(req);
            long firstRuns = Generation.nativeRuns() - runs;
            assertEquals(2, cache.misses(), "both branches computed once");
            assertEquals(2, cache.size());
            runs = Generation.nativeRuns();
            GenerationResult second = og.generate(req);
            long secondRuns = Generation.nativeRuns() - runs;
            assertEquals(2, cache.hits());
            // per branch: no token_embed and no prefill run
            assertEquals(firstRuns - 4, secondRuns);
            assertSameOutput(uncached, first);
            assertSameOutput(uncached, second);
            // Another seed with the same prompt reuses both; another prompt only the negative one.
            og.generate(GenerationRequest.builder().prompt("a red square").negativePrompt("blurry").size(32, 48)
                    .steps(3).seed(6).build());
            assertEquals(4, cache.hits());
            og.generate(textToImage("a blue circle", "blurry"));
            assertEquals(5, cache.hits());
            assertEquals(3, cache.misses());
            assertEquals(0, Generation.liveResources(), "cached K/V belong to the model, not to a generation");
        }
    }

    @Test
    void groupsWithImagesAndCallsWithoutKvCacheDoNotUseIt() throws Exception {
        RgbImage img = TinyModel.editInput();
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            ConditionCache cache = og.conditionCache();
            GenerationRequest edit = GenerationRequest.builder().prompt("<img><|image_1|></img> make it blue",
                    List.of(img)).maxInputImageSize(32).size(32, 32).steps(2).seed(9).returnLatents(true).build();
            GenerationResult e1 = og.generate(edit);
            // three branches: the text-only negative branch is cacheable, the two with the image are not
            assertEquals(1, cache.misses());
            GenerationResult e2 = og.generate(edit);
            assertEquals(1, cache.hits());
            assertSameOutput(e1, e2);
            og.generate(GenerationRequest.builder().prompt("a red square").size(32, 48).steps(2).seed(1)
                    .kvCache(false).build());
            assertEquals(1, cache.hits());
            assertEquals(1, cache.misses());
        }
        try (OmniGen off = OmniGen.load(TinyModel.folder(), RuntimeOptions.builder().conditionCacheEntries(0).build())) {
            GenerationRequest edit = GenerationRequest.builder().prompt("<img><|image_1|></img> make it blue",
                    List.of(img)).maxInputImageSize(32).size(32, 32).steps(2).seed(9).returnLatents(true).build();
            try (OmniGen on = OmniGen.load(TinyModel.folder())) {
                on.generate(edit);
                assertSameOutput(off.generate(edit), on.generate(edit));
            }
        }
    }

    @Test
    void leastRecentlyUsedEntriesAreDropped() throws Exception {
        try (OmniGen og = OmniGen.load(TinyModel.folder(), RuntimeOptions.builder().conditionCacheEntries(1).build())) {
            ConditionCache cache = og.conditionCache();
            GenerationResult a1 = og.generate(textToImage("a red square", "ugly"));
            assertEquals(1, cache.size(), "capacity 1: the second branch pushed out the first");
            og.generate(textToImage("a green square", "dark"));
            GenerationResult a2 = og.generate(textToImage("a red square", "ugly"));
            assertSameOutput(a1, a2);
            assertEquals(1, cache.size());
            assertEquals(0, Generation.liveResources());
        }
    }

    @Test
    void closingTheModelEmptiesTheCache() throws Exception {
        OmniGen og = OmniGen.load(TinyModel.folder());
        og.generate(textToImage("a red square", "blurry"));
        assertTrue(og.conditionCache().size() > 0);
        og.close();
        assertEquals(0, og.conditionCache().size());
    }

    @Test
    void capacityIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.builder().conditionCacheEntries(-1).build());
        assertTrue(e.getMessage().contains("conditionCacheEntries") && e.getMessage().contains("-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.builder().conditionCacheEntries(RuntimeOptions.Builder.MAX_CONDITION_CACHE_ENTRIES
                        + 1).build());
        assertEquals(RuntimeOptions.Builder.DEFAULT_CONDITION_CACHE_ENTRIES,
                RuntimeOptions.defaults().conditionCacheEntries());
    }
}
