package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.sampling.NoiseKind;
import io.omnigen4j.sdk.sampling.SeededNoiseSource;
import io.omnigen4j.sdk.sampling.TorchCpuNoiseSource;
import io.omnigen4j.sdk.sampling.TorchCudaNoiseSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GenerationRequest.Builder#build()}: every model-independent rule raises {@link InvalidRequestException}
 * whose message names the setting, the bad value and what is allowed.
 */
class GenerationRequestTest {

    private static final RgbImage IMG = TinyModel.pattern(32, 32);

    private static GenerationRequest.Builder ok() {
        return GenerationRequest.builder().prompt("a cat").size(64, 64).steps(2).seed(1);
    }

    /** Asserts an InvalidRequestException whose message contains every fragment (case-insensitive). */
    private static void rejects(Executable build, String... fragments) {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, build);
        String msg = e.getMessage().toLowerCase(java.util.Locale.ROOT);
        for (String f : fragments) {
            assertTrue(msg.contains(f.toLowerCase(java.util.Locale.ROOT)),
                    "message should contain '" + f + "': " + e.getMessage());
        }
    }

    @Test
    void validRequestBuildsWithDefaults() {
        GenerationRequest r = assertDoesNotThrow(() -> GenerationRequest.builder().prompt("a cat").build());
        assertEquals(1024, r.width());
        assertEquals(1024, r.height());
        assertEquals(50, r.steps());
        assertEquals(3f, r.guidanceScale());
        assertEquals(1.6f, r.imageGuidanceScale());
        assertEquals(1024, r.maxInputImageSize());
        assertEquals(GenerationRequest.CfgMode.SEPARATE, r.cfgMode());
        assertTrue(r.kvCache());
        assertNotNull(r.seed(), "a random seed is chosen when neither seed nor noise source is given");
        assertNull(r.noiseSource());
    }

    @Test
    void noPrompt() {
        rejects(() -> GenerationRequest.builder().size(64, 64).build(), "at least one prompt", "builder.prompt");
    }

    @Test
    void blankPrompt() {
        rejects(() -> GenerationRequest.builder().prompt("").build(), "prompt 1", "empty");
        rejects(() -> GenerationRequest.builder().prompt("a cat").prompt(" \t\n ").build(), "prompt 2", "empty");
    }

    @Test
    void sideNotAPositiveMultipleOf16() {
        rejects(() -> ok().size(0, 64).build(), "width", "positive multiple of 16", "got 0", "try 16");
        rejects(() -> ok().size(-32, 64).build(), "width", "got -32", "try 16");
        rejects(() -> ok().size(30, 64).build(), "width", "got 30", "try 32");
        rejects(() -> ok().size(64, 100).build(), "height", "got 100", "try 96");
        rejects(() -> ok().size(64, 8).build(), "height", "got 8", "try 16");
        assertDoesNotThrow(() -> ok().size(16, 48).build());
    }

    @Test
    void stepsOutOfRange() {
        rejects(() -> ok().steps(0).build(), "steps", "between 1 and 1000", "got 0");
        rejects(() -> ok().steps(-3).build(), "steps", "got -3");
        rejects(() -> ok().steps(1001).build(), "steps", "got 1001");
        assertDoesNotThrow(() -> ok().steps(1).build());
        assertDoesNotThrow(() -> ok().steps(1000).build());
    }

    @Test
    void negativeOrNonFiniteGuidance() {
        rejects(() -> ok().guidanceScale(-0.5f).build(), "guidanceScale", "≥ 0", "-0.5");
        rejects(() -> ok().guidanceScale(Float.NaN).build(), "guidanceScale", "finite", "NaN");
        rejects(() -> ok().guidanceScale(Float.POSITIVE_INFINITY).build(), "guidanceScale", "Infinity");
        rejects(() -> ok().imageGuidanceScale(-1f).build(), "imageGuidanceScale", "-1");
        rejects(() -> ok().imageGuidanceScale(Float.NaN).build(), "imageGuidanceScale", "NaN");
        assertDoesNotThrow(() -> ok().guidanceScale(0f).imageGuidanceScale(0f).build());
    }

    @Test
    void maxInputImageSizeBelow16() {
        rejects(() -> ok().maxInputImageSize(15).build(), "maxInputImageSize", "at least 16", "15");
        rejects(() -> ok().maxInputImageSize(0).build(), "maxInputImageSize", "0");
        assertDoesNotThrow(() -> ok().maxInputImageSize(16).build());
    }

    @Test
    void seedAndNoiseSourceBothGiven() {
        rejects(() -> ok().noiseSource(new SeededNoiseSource(3)).build(), "seed", "noise source", "not both");
        GenerationRequest r = GenerationRequest.builder().prompt("a cat").size(64, 64)
                .noiseSource(new SeededNoiseSource(3)).build();
        assertNull(r.seed());
    }

    @Test
    void seedMeansPyTorchsCpuGeneratorUnlessChosenOtherwise() {
        GenerationRequest r = ok().build();
        assertEquals(NoiseKind.TORCH_CPU, r.noise());
        assertTrue(r.effectiveNoiseSource() instanceof TorchCpuNoiseSource);
        assertArrayEquals(new TorchCpuNoiseSource(1).initialLatents(new int[] {1, 4, 8, 8}),
                r.effectiveNoiseSource().initialLatents(new int[] {1, 4, 8, 8}), "the seed feeds the generator");
        assertTrue(ok().noise(NoiseKind.TORCH_CUDA).build().effectiveNoiseSource() instanceof TorchCudaNoiseSource);
        assertTrue(ok().noise(NoiseKind.JAVA).build().effectiveNoiseSource() instanceof SeededNoiseSource);
        SeededNoiseSource given = new SeededNoiseSource(3);
        assertSame(given, GenerationRequest.builder().prompt("a cat").noiseSource(given).build()
                .effectiveNoiseSource());
        rejects(() -> GenerationRequest.builder().prompt("a cat").noise(NoiseKind.JAVA).noiseSource(given).build(),
                "noise(java)", "noise source", "drop one");
        assertThrows(NullPointerException.class, () -> ok().noise(null));
    }

    @Test
    void useInputImageSizeAsOutputNeedsExactlyOnePromptWithOneImage() {
        rejects(() -> GenerationRequest.builder().prompt("a cat").useInputImageSizeAsOutput(true).build(),
                "useInputImageSizeAsOutput", "exactly one prompt", "one input image");
        rejects(() -> GenerationRequest.builder()
                        .prompt("<img><|image_1|></img> and <img><|image_2|></img>", List.of(IMG, IMG))
                        .useInputImageSizeAsOutput(true).build(),
                "useInputImageSizeAsOutput", "exactly one");
        rejects(() -> GenerationRequest.builder()
                        .prompt("<img><|image_1|></img> a", List.of(IMG))
                        .prompt("<img><|image_1|></img> b", List.of(IMG))
                        .useInputImageSizeAsOutput(true).build(),
                "useInputImageSizeAsOutput", "exactly one");
        // With one image the (unused) width/height are not checked.
        assertDoesNotThrow(() -> GenerationRequest.builder().prompt("<img><|image_1|></img> a", List.of(IMG))
                .size(7, 7).useInputImageSizeAsOutput(true).seed(1).build());
    }

    @Test
    void requestsAreImmutable() {
        List<RgbImage> images = new java.util.ArrayList<>(List.of(IMG));
        GenerationRequest r = GenerationRequest.builder().prompt("<img><|image_1|></img> x", images).seed(1).build();
        images.clear();
        assertEquals(1, r.prompts().get(0).images().size());
        assertThrows(UnsupportedOperationException.class, () -> r.prompts().clear());
    }
}
