package io.omnigen4j.sdk.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every recorded tokenizer call of the public cases must give the recorded ids exactly. */
class PromptTokenizerConformanceTest {

    private static PromptTokenizer tokenizer;

    @BeforeAll
    static void open() throws IOException {
        tokenizer = PromptTokenizer.open(Fixtures.model("tiny-omnigen-a").resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    static List<String> cases() {
        return Fixtures.PUBLIC_CASES;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void recordedCallsGiveRecordedIds(String name) throws IOException {
        JsonNode calls = new ObjectMapper().readTree(Fixtures.caseDir(name).resolve("case.json").toFile())
                .get("tokenizer_calls");
        assertFalse(calls.isEmpty(), "no tokenizer calls in " + name);
        for (JsonNode call : calls) {
            String text = call.get("text").asText();
            long[] expected = new long[call.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = call.get("ids").get(i).asLong();
            }
            assertArrayEquals(expected, tokenizer.encode(text), name + ": " + text);
        }
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "a cat ".repeat(400);
        // BOS + ("▁a", "▁cat") × 400 + the trailing "▁": far beyond DJL's silent default cut at 512
        assertEquals(802, tokenizer.encode(text).length);
    }

    @Test
    void emptyTextIsBosOnly() {
        assertArrayEquals(new long[] {1}, tokenizer.encode(""));
    }

    @Test
    void directoryPathFindsTokenizerJson() throws IOException {
        try (PromptTokenizer t = PromptTokenizer.open(Fixtures.model("tiny-omnigen-a"))) {
            assertArrayEquals(tokenizer.encode("A blue bird."), t.encode("A blue bird."));
        }
    }

    @Test
    void closedTokenizerRefuses() throws IOException {
        PromptTokenizer t = PromptTokenizer.open(Fixtures.model("tiny-omnigen-a"));
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> t.encode("x"));
    }

    @Test
    void concurrentUseGivesSameIds() throws Exception {
        String text = PromptTemplate.wrap(PromptTemplate.DEFAULT_NEGATIVE_PROMPT);
        long[] expected = tokenizer.encode(text);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                results.add(pool.submit(() -> tokenizer.encode(text)));
            }
            for (Future<long[]> f : results) {
                assertArrayEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
