package io.omnigen4j.sdk.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.prompt.BranchInput;
import io.omnigen4j.sdk.prompt.ImageSpan;
import io.omnigen4j.sdk.prompt.PromptEncoder;
import io.omnigen4j.sdk.prompt.PromptTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rebuilds every branch batch of the public cases from case.json (prompts, negative prompt, sizes) and compares
 * ids, spans, position ids, masks, cached-step inputs and the LongRoPE choice exactly with the recorded tensors.
 */
class ProcessorConformanceTest {

    private static PromptTokenizer tokenizer;

    @BeforeAll
    static void open() throws IOException {
        tokenizer = PromptTokenizer.open(Fixtures.model("tiny-omnigen-a"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    static List<String> cases() {
        return Fixtures.PUBLIC_CASES;
    }

    /** The batches as the pipeline forms them: one per branch (separate CFG) or one for all (batched). */
    private static List<Collation> collate(ConformanceCase c) throws IOException {
        int n = c.outputTokens();
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptEncoder.conditionBudget(c.maxPositions(), n));
        List<List<BranchInput>> branches = c.branchRows(encoder);
        List<Collation> out = new ArrayList<>();
        if (c.separate()) {
            for (List<BranchInput> rows : branches) {
                out.add(Collator.collate(rows, n));
            }
        } else {
            List<BranchInput> all = new ArrayList<>();
            branches.forEach(all::addAll);
            out.add(Collator.collate(all, n));
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void processorTensorsMatch(String name) throws IOException {
        try (ConformanceCase c = new ConformanceCase(name)) {
            List<Collation> batches = collate(c);
            for (int g = 0; g < batches.size(); g++) {
                Collation col = batches.get(g);
                String p = c.processorPrefix(c.separate() ? g : null);
                String what = name + " " + p;
                int[] idShape = c.tensors.info(p + "input_ids").intShape();
                assertArrayEquals(new int[] {col.batch(), col.conditionLength()}, idShape, what + "input_ids shape");
                assertArrayEquals(c.tensors.longs(p + "input_ids"), col.inputIds(), what + "input_ids");
                int s = col.sequenceLength();
                assertArrayEquals(new int[] {col.batch(), s}, c.tensors.info(p + "position_ids").intShape());
                assertArrayEquals(c.tensors.longs(p + "position_ids"), col.positionIds(), what + "position_ids");
                assertArrayEquals(new int[] {col.batch(), s, s}, c.tensors.info(p + "attention_mask").intShape());
                assertArrayEquals(c.tensors.floats(p + "attention_mask"), col.attentionMask(), what + "mask");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void imageSpansMatch(String name) throws IOException {
        try (ConformanceCase c = new ConformanceCase(name)) {
            List<Collation> batches = collate(c);
            JsonNode recorded = c.json.get("image_spans");
            for (int g = 0; g < batches.size(); g++) {
                JsonNode byRow = c.separate() ? recorded.get(g) : recorded;
                Collation col = batches.get(g);
                for (int b = 0; b < col.batch(); b++) {
                    List<int[]> expected = new ArrayList<>();
                    JsonNode rowSpans = byRow.get(Integer.toString(b));
                    if (rowSpans != null) {
                        rowSpans.forEach(sp -> expected.add(new int[] {sp.get(0).asInt(), sp.get(1).asInt()}));
                    }
                    List<ImageSpan> actual = col.spans().get(b);
                    assertEquals(expected.size(), actual.size(), name + " branch " + g + " row " + b);
                    for (int k = 0; k < actual.size(); k++) {
                        assertArrayEquals(expected.get(k), new int[] {actual.get(k).start(), actual.get(k).end()});
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void cachedStepInputsMatch(String name) throws IOException {
        try (ConformanceCase c = new ConformanceCase(name)) {
            List<Collation> batches = collate(c);
            boolean recordedAny = false;
            for (int g = 0; g < batches.size(); g++) {
                String p = c.separate() ? "step.1.branch." + g + "." : "step.1.";
                if (!c.tensors.contains(p + "attention_mask")) {
                    continue;
                }
                recordedAny = true;
                Collation col = batches.get(g);
                assertArrayEquals(new int[] {col.batch(), col.stepTokens(), col.sequenceLength()},
                        c.tensors.info(p + "attention_mask").intShape());
                assertArrayEquals(c.tensors.floats(p + "attention_mask"), col.stepMaskRows(), name + " " + p);
                assertArrayEquals(c.tensors.longs(p + "position_ids"), col.stepPositionIds(), name + " " + p);
            }
            assertEquals(c.kvCache(), recordedAny, name + ": step inputs recorded iff the cache is on");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void longRopeChoiceMatches(String name) throws IOException {
        try (ConformanceCase c = new ConformanceCase(name)) {
            RotaryTables rope = RotaryTablesTest.fromConfig(c.config);
            List<Collation> batches = collate(c);
            JsonNode r = c.json.get("rope");
            if (c.separate()) {
                for (int g = 0; g < batches.size(); g++) {
                    int s = batches.get(g).sequenceLength();
                    assertEquals(r.get("key_length_per_branch").get(g).asInt(), s, name + " branch " + g);
                    assertEquals(r.get("factor_per_branch").get(g).asText(), rope.useLongFactors(s) ? "long" : "short");
                }
            } else {
                int s = batches.get(0).sequenceLength();
                assertEquals(r.get("key_length").asInt(), s);
                assertEquals(r.get("factor").asText(), rope.useLongFactors(s) ? "long" : "short");
            }
            assertTrue(rope.hasScaling());
        }
    }
}
