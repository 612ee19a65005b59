package io.omnigen4j.sdk.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Prompt text with unpaired UTF-16 surrogates is refused in the request builder, the prompt encoder and the
 * tokenizer wrapper, naming the text and the char offset, before any tokenizer (native or not) sees it.
 */
class WellFormedTextTest {
    private static final String CAT = "\uD83D\uDC31";   // U+1F431, a valid surrogate pair
    private static final char HIGH = '\uD83D';
    private static final char LOW = '\uDC31';

    private static PromptException rejected(Executable call, String... fragments) {
        PromptException e = assertThrows(PromptException.class, call);
        System.out.println(e.getMessage());
        assertEquals(PromptException.Kind.MALFORMED_TEXT, e.kind());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void wellFormedTextPasses() {
        WellFormedText.require("", "t");
        WellFormedText.require("a cat " + CAT + " on a sofa, café, 日本", "t");
        GenerationRequest r = GenerationRequest.builder().prompt("a cat " + CAT).negativePrompt("no " + CAT).seed(1)
                .build();
        assertEquals("a cat " + CAT, r.prompts().get(0).text());
    }

    @Test
    void unpairedSurrogatesAreNamedWithTheirOffset() {
        rejected(() -> WellFormedText.require("abc" + HIGH + "def", "prompt 1"),
                "prompt 1", "U+D83D", "high surrogate not followed by a low one", "char offset 3 of 7");
        rejected(() -> WellFormedText.require("abc" + HIGH, "x"), "high surrogate at the end", "char offset 3");
        rejected(() -> WellFormedText.require(LOW + "abc", "x"), "U+DC31", "low surrogate without a high one",
                "char offset 0");
        // Reversed pair: the low one comes first, so it is unpaired.
        rejected(() -> WellFormedText.require("a" + LOW + HIGH, "x"), "char offset 1");
        // Pair then a stray high surrogate: the offset is the stray one's.
        rejected(() -> WellFormedText.require(CAT + "x" + HIGH + HIGH + LOW, "x"), "char offset 3");
    }

    @Test
    void requestBuilderChecksEveryPromptAndTheNegativePrompt() {
        PromptException e = rejected(() -> GenerationRequest.builder().prompt("fine").prompt("bro" + HIGH + "ken")
                .seed(1).build(), "prompt 2", "char offset 3");
        assertTrue(e instanceof InvalidRequestException);
        rejected(() -> GenerationRequest.builder().prompt("fine").negativePrompt("bad " + LOW).seed(1).build(),
                "negativePrompt", "char offset 4");
    }

    @Test
    void encoderRefusesBeforeTheTokenizer() {
        List<String> calls = new ArrayList<>();
        TextTokenizer spy = text -> {
            calls.add(text);
            return new long[] {1};
        };
        PromptEncoder enc = new PromptEncoder(spy, 10_000);
        rejected(() -> enc.encode("a " + HIGH + " b", new int[0]), "the prompt");
        rejected(() -> enc.encodeNegative(LOW + "x"), "the prompt");
        assertEquals(List.of(), calls, "the tokenizer was called");
        enc.encode("a " + CAT, new int[0]);
        assertEquals(1, calls.size());
    }

    @Test
    void nativeTokenizerWrapperRefusesBeforeTheNativeCall() throws Exception {
        try (PromptTokenizer t = PromptTokenizer.open(Fixtures.model("tiny-omnigen-a").resolve("tokenizer.json"))) {
            rejected(() -> t.encode("x" + HIGH), "the text to tokenize", "char offset 1");
            assertTrue(t.encode("x " + CAT).length > 1);
        }
    }
}
