package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    private static Report sample() {
        CaseResult ok = new CaseResult("a", "m", List.of(
                new StageResult("step.0.velocity", 1.25e-5, Tolerances.STEP.label(), Status.PASS, ""),
                StageResult.notChecked("step.*.llm.*", "internal")), 10);
        CaseResult bad = new CaseResult("b", "m", List.of(
                new StageResult("image.uint8", 3.0, Tolerances.UINT8_LABEL, Status.FAIL, "too far"),
                StageResult.fail("run.free", "boom")), 20);
        return new Report(Path.of("fx"), 2, List.of(ok, bad));
    }

    @Test
    void tableHasOneRowPerStageAndTheClosingLine() {
        String t = sample().toTable();
        List<String> lines = t.lines().toList();
        assertTrue(lines.get(0).startsWith("CASE"));
        assertTrue(t.contains("step.0.velocity"));
        assertTrue(t.contains("1.250e-05"));
        assertTrue(t.contains("2e-4 + 1e-4·|ref|"));
        assertTrue(t.contains("NOT-CHECKED"));
        assertTrue(t.contains("FAIL b: 2 of 2 failed: image.uint8, run.free"));
        assertTrue(t.contains("PASS a: 1 stage passed, 1 not checked"));
        assertEquals("1 passed, 1 failed", lines.get(lines.size() - 1));
        assertFalse(sample().allPassed());
    }

    @Test
    void jsonCarriesTheSameContent() throws Exception {
        JsonNode j = new ObjectMapper().readTree(sample().toJson());
        assertEquals(1, j.get("passed").asInt());
        assertEquals(1, j.get("failed").asInt());
        assertEquals("1 passed, 1 failed", j.get("summary").asText());
        JsonNode b = j.get("cases").get(1);
        assertEquals("FAIL", b.get("result").asText());
        assertEquals("image.uint8", b.get("failed_stages").get(0).asText());
        assertEquals(3.0, b.get("stages").get(0).get("max_abs_error").asDouble());
        assertTrue(b.get("stages").get(1).get("max_abs_error").isNull());
    }

    @Test
    void uint8RuleAllowsOneLevelButNotThree() {
        byte[] ref = new byte[200];
        byte[] oneOff = ref.clone();
        oneOff[0] = 1;
        oneOff[1] = 2;
        assertEquals(Status.PASS, StageTable.uint8Rule("x", oneOff, ref).status());
        byte[] threeOff = ref.clone();
        threeOff[5] = 3;
        assertEquals(Status.FAIL, StageTable.uint8Rule("x", threeOff, ref).status());
        byte[] manyTwos = ref.clone();
        manyTwos[0] = 2;
        manyTwos[1] = 2;
        manyTwos[2] = 2;
        assertEquals(Status.FAIL, StageTable.uint8Rule("x", manyTwos, ref).status(), "more than 1 % over one level");
    }

    @Test
    void tolerancesCombineAbsoluteAndRelative() {
        assertTrue(Tolerances.STEP.accepts(10.0011, 10));
        assertFalse(Tolerances.STEP.accepts(10.002, 10));
        assertFalse(Tolerances.EXACT.accepts(Double.NaN, 0));
        assertEquals("exact", Tolerances.EXACT.label());
        assertEquals("1e-4", Tolerances.VAE_ENCODE.label());
    }
}
