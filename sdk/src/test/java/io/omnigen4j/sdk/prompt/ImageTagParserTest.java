package io.omnigen4j.sdk.prompt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImageTagParserTest {

    @Test
    void splitKeepsEmptyChunksLikePythonReSplit() {
        TaggedText t = ImageTagParser.split("<|image_1|><|image_2|>x<|image_1|>");
        assertEquals(List.of("", "", "x", ""), t.chunks());
        assertArrayEquals(new int[] {1, 2, 1}, t.tagNumbers());
    }

    @Test
    void splitWithoutTagsIsOneChunk() {
        TaggedText t = ImageTagParser.split("no tags here");
        assertEquals(List.of("no tags here"), t.chunks());
        assertEquals(0, t.tagCount());
    }

    @Test
    void documentedFormKeepsWrapperAsText() {
        TaggedText t = ImageTagParser.parse("The object in <img><|image_1|></img> on <img><|image_2|></img>.", 2);
        assertEquals(List.of("The object in <img>", "</img> on <img>", "</img>."), t.chunks());
        assertArrayEquals(new int[] {1, 2}, t.tagNumbers());
    }

    @Test
    void tagsInAnyOrderAndRepeatedAreAllowed() {
        TaggedText t = ImageTagParser.parse("<|image_2|> a <|image_1|> b <|image_2|>", 2);
        assertArrayEquals(new int[] {2, 1, 2}, t.tagNumbers());
    }

    @Test
    void leadingZerosReadLikePythonInt() {
        assertArrayEquals(new int[] {1}, ImageTagParser.parse("<|image_01|>", 1).tagNumbers());
    }

    @Test
    void unicodeDigitsReadLikePythonInt() {
        // ARABIC-INDIC DIGIT ONE: Python's \d and int() accept it.
        assertArrayEquals(new int[] {1}, ImageTagParser.parse("<|image_\u0661|>", 1).tagNumbers());
    }

    @ParameterizedTest
    @ValueSource(strings = {"<|image_|>", "<|image_x|>", "<|Image_1|>", "<|image_1>", "<|image_1 |>", "<| image_1|>",
            "<|image 1|>", "<|image_-1|>", "ok <img><|image_1|></img> then <|image|>"})
    void malformedTags(String prompt) {
        PromptException e = assertThrows(PromptException.class, () -> ImageTagParser.parse(prompt, 1));
        assertEquals(PromptException.Kind.MALFORMED_TAG, e.kind());
    }

    @Test
    void tagWithoutAnyImageIsTheReferenceAssertion() {
        PromptException e = assertThrows(PromptException.class,
                () -> ImageTagParser.parse("<img><|image_1|></img> edit", 0));
        assertEquals(PromptException.Kind.TAG_WITHOUT_IMAGE, e.kind());
    }

    @Test
    void tagNumberBeyondImages() {
        PromptException e = assertThrows(PromptException.class,
                () -> ImageTagParser.parse("<|image_1|> and <|image_2|>", 1));
        assertEquals(PromptException.Kind.TAG_WITHOUT_IMAGE, e.kind());
    }

    @Test
    void imageWithoutAnyTag() {
        PromptException e = assertThrows(PromptException.class, () -> ImageTagParser.parse("just text", 1));
        assertEquals(PromptException.Kind.IMAGE_WITHOUT_TAG, e.kind());
    }

    @Test
    void moreImagesThanTags() {
        PromptException e = assertThrows(PromptException.class, () -> ImageTagParser.parse("<|image_1|>", 2));
        assertEquals(PromptException.Kind.IMAGE_WITHOUT_TAG, e.kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {"<|image_2|>", "<|image_0|>", "<|image_1|><|image_3|>", "<|image_99999999999|>"})
    void numberingMustBeOneToK(String prompt) {
        PromptException e = assertThrows(PromptException.class, () -> ImageTagParser.parse(prompt, 3));
        assertEquals(PromptException.Kind.BAD_NUMBERING, e.kind());
    }

    @Test
    void negativeImageCountIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> ImageTagParser.parse("x", -1));
    }
}
