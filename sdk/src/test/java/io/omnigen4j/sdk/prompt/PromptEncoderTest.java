package io.omnigen4j.sdk.prompt;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Prompt assembly with a fake tokenizer (ids = BOS + one id per character), so no native library is needed. */
class PromptEncoderTest {

    /** BOS 1, then 1000 + each char; records every call. */
    private static final class FakeTokenizer implements TextTokenizer {
        final List<String> calls = new ArrayList<>();

        @Override
        public long[] encode(String text) {
            calls.add(text);
            long[] ids = new long[text.length() + 1];
            ids[0] = 1;
            for (int i = 0; i < text.length(); i++) {
                ids[i + 1] = 1000 + text.charAt(i);
            }
            return ids;
        }
    }

    private static long[] expectedChunk(String text, boolean first) {
        long[] ids = new FakeTokenizer().encode(text);
        return first ? ids : java.util.Arrays.copyOfRange(ids, 1, ids.length);
    }

    @Test
    void negativePromptEqualsTheFixtures() throws IOException {
        for (String c : Fixtures.PUBLIC_CASES) {
            String neg = new ObjectMapper().readTree(Fixtures.caseDir(c).resolve("case.json").toFile())
                    .get("negative_prompt").asText();
            assertEquals(neg, PromptTemplate.DEFAULT_NEGATIVE_PROMPT, c);
        }
    }

    @Test
    void templateAndImageGuidancePrompt() {
        assertEquals("<|user|>\nGenerate an image according to the following instructions\nX<|end|>\n<|assistant|>\n"
                + "<|diffusion|>", PromptTemplate.wrap("X"));
        assertEquals("<img><|image_1|></img>", PromptTemplate.imageGuidancePrompt(1));
        assertEquals("<img><|image_1|></img> <img><|image_2|></img> <img><|image_3|></img>",
                PromptTemplate.imageGuidancePrompt(3));
        assertThrows(IllegalArgumentException.class, () -> PromptTemplate.imageGuidancePrompt(0));
    }

    @Test
    void textOnlyIsOneCall() {
        FakeTokenizer tok = new FakeTokenizer();
        BranchInput in = new PromptEncoder(tok, 10_000).encode("hi", new int[0]);
        assertEquals(List.of(PromptTemplate.wrap("hi")), tok.calls);
        assertArrayEquals(expectedChunk(PromptTemplate.wrap("hi"), true), in.ids());
        assertEquals(List.of(), in.spans());
    }

    @Test
    void chunksTokenizedSeparatelyWithBosDroppedAndPlaceholdersInserted() {
        FakeTokenizer tok = new FakeTokenizer();
        String prompt = "a<|image_2|>b<|image_1|><|image_2|>";
        BranchInput in = new PromptEncoder(tok, 10_000).encode(prompt, new int[] {3, 2});
        String wrapped = PromptTemplate.wrap(prompt);
        List<String> chunks = ImageTagParser.split(wrapped).chunks();
        assertEquals(chunks, tok.calls);
        assertEquals(List.of(PromptTemplate.PREFIX + "a", "b", "", PromptTemplate.SUFFIX), chunks);

        long[] c0 = expectedChunk(chunks.get(0), true);
        long[] c1 = expectedChunk("b", false);
        long[] c3 = expectedChunk(chunks.get(3), false);
        int s0 = c0.length;
        int s1 = s0 + 2 + c1.length;
        int s2 = s1 + 3;
        List<ImageSpan> spans = List.of(new ImageSpan(s0, s0 + 2, 1), new ImageSpan(s1, s1 + 3, 0),
                new ImageSpan(s2, s2 + 2, 1));
        assertEquals(spans, in.spans());
        assertEquals(s2 + 2 + c3.length, in.length());
        for (ImageSpan sp : spans) {
            for (int i = sp.start(); i < sp.end(); i++) {
                assertEquals(0, in.id(i));
            }
        }
        assertEquals(1, in.id(0));
        assertEquals(1000 + 'b', in.id(s0 + 2));
        assertEquals(c3[0], in.id(s2 + 2));
    }

    @Test
    void onlyALeadingBosIsDropped() {
        TextTokenizer noBos = text -> new long[] {7, 8};
        BranchInput in = new PromptEncoder(noBos, 100).encode("<|image_1|>", new int[] {1});
        assertArrayEquals(new long[] {7, 8, 0, 7, 8}, in.ids());
    }

    @Test
    void imageGuidanceRowAndFallbackToNegative() {
        FakeTokenizer tok = new FakeTokenizer();
        PromptEncoder enc = new PromptEncoder(tok, 10_000);
        BranchInput ig = enc.encodeImageGuidance(new int[] {2, 4}, "neg");
        assertEquals(PromptTemplate.PREFIX + "<img>", tok.calls.get(0));
        assertEquals("</img> <img>", tok.calls.get(1));
        assertEquals(2, ig.spans().size());
        assertEquals(enc.encodeNegative("neg"), enc.encodeImageGuidance(new int[0], "neg"));
    }

    @Test
    void overBudgetIsTooLong() {
        FakeTokenizer tok = new FakeTokenizer();
        int textOnly = new PromptEncoder(tok, 10_000).encode("<|image_1|>", new int[] {1}).length() - 1;
        PromptEncoder enc = new PromptEncoder(tok, textOnly + 5);
        assertEquals(textOnly + 5, enc.encode("<|image_1|>", new int[] {5}).length());
        PromptException e = assertThrows(PromptException.class, () -> enc.encode("<|image_1|>", new int[] {6}));
        assertEquals(PromptException.Kind.TOO_LONG, e.kind());
    }

    @Test
    void conditionBudget() {
        assertEquals(4096 - 1 - 16, PromptEncoder.conditionBudget(4096, 16));
        assertEquals(PromptException.Kind.TOO_LONG, assertThrows(PromptException.class,
                () -> PromptEncoder.conditionBudget(64, 63)).kind());
    }

    @Test
    void tagErrorsSurfaceFromTheEncoder() {
        PromptEncoder enc = new PromptEncoder(new FakeTokenizer(), 10_000);
        assertEquals(PromptException.Kind.TAG_WITHOUT_IMAGE, assertThrows(PromptException.class,
                () -> enc.encode("<img><|image_1|></img>", new int[0])).kind());
        assertEquals(PromptException.Kind.IMAGE_WITHOUT_TAG, assertThrows(PromptException.class,
                () -> enc.encode("text", new int[] {4})).kind());
        assertEquals(PromptException.Kind.BAD_NUMBERING, assertThrows(PromptException.class,
                () -> enc.encode("<|image_2|>", new int[] {4})).kind());
        assertEquals(PromptException.Kind.MALFORMED_TAG, assertThrows(PromptException.class,
                () -> enc.encode("<|image_|>", new int[] {4})).kind());
        assertThrows(IllegalArgumentException.class, () -> enc.encode("<|image_1|>", new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new PromptEncoder(new FakeTokenizer(), 0));
    }
}
