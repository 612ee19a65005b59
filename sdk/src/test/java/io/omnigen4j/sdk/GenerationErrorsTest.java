package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.ImageTooLargeException;
import io.omnigen4j.sdk.image.InputImageException;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.prompt.PromptException;
import io.omnigen4j.sdk.sampling.NoiseSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests the model cannot serve fail through {@code generate()} with the specific exception type and a useful
 * message, <b>before any ONNX Runtime graph runs</b> ({@link Generation#nativeRuns()} unchanged) and without
 * leaking native resources ({@link Generation#liveResources()} back to 0). Runtime failures after graphs ran also
 * release everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationErrorsTest {

    private static final RgbImage IMG = TinyModel.pattern(64, 48);
    private OmniGen omnigen;

    @BeforeAll
    void load() throws Exception {
        omnigen = OmniGen.load(TinyModel.folder());
    }

    @AfterAll
    void close() {
        omnigen.close();
    }

    @AfterEach
    void nothingLeaks() {
        assertEquals(0, Generation.liveResources(), "native resources left open");
    }

    private static GenerationRequest.Builder base() {
        return GenerationRequest.builder().size(32, 32).steps(2).seed(5);
    }

    /** Runs the request, expects {@code type} raised before any graph run, and checks message fragments. */
    private <T extends Throwable> T failsEarly(Class<T> type, GenerationRequest request, String... fragments) {
        long runs = Generation.nativeRuns();
        T e = assertThrows(type, () -> omnigen.generate(request));
        assertEquals(runs, Generation.nativeRuns(), "an ONNX Runtime graph ran before the request was rejected");
        String msg = e.getMessage().toLowerCase(Locale.ROOT);
        for (String f : fragments) {
            assertTrue(msg.contains(f.toLowerCase(Locale.ROOT)), "message should contain '" + f + "': "
                    + e.getMessage());
        }
        return e;
    }

    private PromptException promptError(PromptException.Kind kind, GenerationRequest request, String... fragments) {
        PromptException e = failsEarly(PromptException.class, request, fragments);
        assertEquals(kind, e.kind(), e.getMessage());
        return e;
    }

    @Test
    void tagWithoutImage() {
        // Tags but no images at all.
        promptError(PromptException.Kind.TAG_WITHOUT_IMAGE,
                base().prompt("<img><|image_1|></img> make it red").build(), "image tag", "no input images");
        // Two images referenced, one given.
        promptError(PromptException.Kind.TAG_WITHOUT_IMAGE,
                base().prompt("<img><|image_1|></img> next to <img><|image_2|></img>", List.of(IMG)).build(),
                "<|image_2|>", "only 1 input image");
    }

    @Test
    void onlyTagTwoWithOneImageIsANumberingError() {
        // The reference asserts the numbering (1..K) before comparing K with the image count, and so does the SDK:
        // <|image_2|> alone is "must start at 1", not "tag without image".
        promptError(PromptException.Kind.BAD_NUMBERING,
                base().prompt("<img><|image_2|></img> make it red", List.of(IMG)).build(),
                "start at 1", "[2]");
    }

    @Test
    void imageWithoutTag() {
        promptError(PromptException.Kind.IMAGE_WITHOUT_TAG, base().prompt("make it red", List.of(IMG)).build(),
                "1 input image", "no image tag", "<img><|image_n|></img>");
        promptError(PromptException.Kind.IMAGE_WITHOUT_TAG,
                base().prompt("<img><|image_1|></img> make it red", List.of(IMG, IMG)).build(),
                "2 input images", "only refers to images 1..1");
    }

    @Test
    void numberingNotOneToK() {
        promptError(PromptException.Kind.BAD_NUMBERING,
                base().prompt("<img><|image_1|></img> and <img><|image_3|></img>", List.of(IMG, IMG, IMG)).build(),
                "start at 1", "consecutive", "[1, 3]");
        promptError(PromptException.Kind.BAD_NUMBERING,
                base().prompt("<img><|image_2|></img> only", List.of(IMG, IMG)).build(), "start at 1", "[2]");
        promptError(PromptException.Kind.BAD_NUMBERING,
                base().prompt("<img><|image_0|></img> zero", List.of(IMG)).build(), "start at 1", "[0]");
    }

    @Test
    void malformedTag() {
        promptError(PromptException.Kind.MALFORMED_TAG,
                base().prompt("<img><|image_|></img> make it red", List.of(IMG)).build(),
                "malformed image tag", "<|image_|>", "<img><|image_n|></img>");
        promptError(PromptException.Kind.MALFORMED_TAG,
                base().prompt("<img><|Image_1|></img> make it red", List.of(IMG)).build(), "malformed");
    }

    @Test
    void tagInNegativePrompt() {
        promptError(PromptException.Kind.TAG_WITHOUT_IMAGE,
                base().prompt("a cat").negativePrompt("blurry <img><|image_1|></img>").build(), "no input images");
    }

    @Test
    void promptOverTheLengthBudget() {
        // The tiny model has max_position_embeddings 4096; 3000 × "a cat" is ~6000 tokens.
        String longPrompt = "a cat ".repeat(3000);
        promptError(PromptException.Kind.TOO_LONG, base().prompt(longPrompt).build(),
                "condition tokens", "allows", "shorten the prompt");
    }

    @Test
    void inputImageTokensOverTheLengthBudget() {
        // A 1024×1024 input image is 64·64 = 4096 tokens: alone more than the 4096 positions.
        RgbImage big = TinyModel.pattern(1024, 1024);
        promptError(PromptException.Kind.TOO_LONG,
                base().prompt("<img><|image_1|></img> edit", List.of(big)).build(), "smaller input images");
    }

    @Test
    void outputOverThePositionTable() {
        // pos_embed_max_size 192 patches × 16 px = 3072 px per side.
        failsEarly(InvalidRequestException.class, base().prompt("a cat").size(3088, 32).build(), "3088",
                "position table", "3072 px", "smaller size");
        failsEarly(InvalidRequestException.class, base().prompt("a cat").size(32, 4096).build(), "position table");
    }

    @Test
    void outputOverTheSequenceLength() {
        // 2048×2048 = 16384 output tokens > 4096 positions of the tiny model, though inside the position table.
        failsEarly(InvalidRequestException.class, base().prompt("a cat").size(2048, 2048).build(),
                "16384 image tokens", "4096 positions", "smaller size");
    }

    @Test
    void outputCheckedBeforeInputImagesArePreprocessed() {
        // An image that would be rejected by the preprocessor: the output size error comes first (cheaper).
        RgbImage tooWide = TinyModel.pattern(16, 4000);
        failsEarly(InvalidRequestException.class,
                base().prompt("<img><|image_1|></img> x", List.of(tooWide)).size(3088, 32).build(), "position table");
    }

    @Test
    void inputImageTooLargeAfterPreprocessing() {
        // maxInputImageSize above 3072 lets a 3200 px image through the resize: over the 192-patch table.
        RgbImage big = TinyModel.pattern(3200, 3200);
        ImageTooLargeException e = failsEarly(ImageTooLargeException.class,
                base().prompt("<img><|image_1|></img> x", List.of(big)).maxInputImageSize(4096).build(),
                "prompt 1 image 1", "3200x3200", "at most 3072 px", "maxinputimagesize");
        assertEquals(3200, e.preprocessed().width());
        // Extreme aspect ratio: the short side is enlarged to 16 px, stretching the long side to 4096 px.
        failsEarly(ImageTooLargeException.class,
                base().prompt("<img><|image_1|></img> x", List.of(TinyModel.pattern(16, 4000))).build(),
                "aspect ratio", "crop or pad");
    }

    @Test
    void inputImageThatCannotBeResized() {
        InputImageException e = failsEarly(InputImageException.class,
                base().prompt("<img><|image_1|></img> x", List.of(TinyModel.pattern(1, 5000))).build(),
                "prompt 1 image 1", "aspect ratio is too extreme", "crop or pad");
        assertFalse(e instanceof ImageTooLargeException);
        assertEquals("prompt 1 image 1", e.imageLabel());
    }

    @Test
    void inputImageSizeAsOutputOverTheSequenceLength() {
        // The output takes the (preprocessed) input size: 1024×1024 → 4096 tokens > 4096 positions.
        failsEarly(InvalidRequestException.class,
                base().prompt("<img><|image_1|></img> x", List.of(TinyModel.pattern(1024, 1024)))
                        .useInputImageSizeAsOutput(true).build(),
                "1024×1024", "smaller size", "lower maxInputImageSize");
    }

    @Test
    void failureAfterGraphsRanReleasesEverything() {
        RuntimeException boom = new IllegalStateException("observer failed");
        StageObserver failing = new StageObserver() {
            @Override
            public void stepDone(int step, float sigma, float[] zIn, float[][] raw, float[] v, float[] zOut) {
                if (step == 1) {
                    throw boom;
                }
            }
        };
        long runs = Generation.nativeRuns();
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> omnigen.generate(base().prompt("a cat").steps(4).observer(failing).build()));
        assertEquals(boom, e);
        assertTrue(Generation.nativeRuns() > runs, "graphs ran before the failure");
        assertEquals(0, Generation.liveResources());
    }

    @Test
    void noiseSourceFailureAfterVaeEncodeReleasesEverything() {
        NoiseSource wrong = new NoiseSource() {
            @Override
            public float[] initialLatents(int[] shape) {
                return new float[NoiseSource.elementCount(shape)];
            }

            @Override
            public float[] posteriorNoise(int encodeIndex, int[] shape) {
                throw new IllegalArgumentException("no recorded noise for encode " + encodeIndex);
            }
        };
        GenerationRequest r = GenerationRequest.builder().prompt("<img><|image_1|></img> x", List.of(IMG))
                .size(32, 32).steps(2).noiseSource(wrong).build();
        long runs = Generation.nativeRuns();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> omnigen.generate(r));
        assertTrue(e.getMessage().contains("no recorded noise"));
        assertEquals(runs + 1, Generation.nativeRuns(), "exactly the VAE encode ran");
        assertEquals(0, Generation.liveResources());
    }

    @Test
    void errorsLeaveTheInstanceUsable() throws Exception {
        assertThrows(PromptException.class, () -> omnigen.generate(base().prompt("<|image_|>").build()));
        GenerationResult r = omnigen.generate(base().prompt("a cat").returnLatents(true).build());
        assertNotNull(r.image());
        assertEquals(32, r.image().width());
        assertInstanceOf(float[].class, r.finalLatents());
    }
}
