package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void worstPerStageGroupsIndexedStagesAndStatesThePrecision() throws Exception {
        CaseResult a = new CaseResult("a", "m", List.of(
                new StageResult("step.0.raw.0", 0.1, "0.64", Status.PASS, ""),
                new StageResult("step.0.raw.1", 0.3, "0.64", Status.PASS, ""),
                new StageResult("branches", null, "exact", Status.PASS, "")), 1);
        CaseResult b = new CaseResult("b", "m", List.of(
                new StageResult("step.2.raw.1", 0.2, "0.64", Status.PASS, ""),
                new StageResult("latents.final", 2.0, "1.7", Status.FAIL, "too far")), 1);
        Report r = new Report(Path.of("fx"), 0, io.omnigen4j.export.ExportOptions.Precision.INT8, List.of(a, b));
        assertEquals("step.*.raw.*", Report.kind("step.12.raw.3"));
        assertEquals("image.png.*", Report.kind("image.png.0"));
        assertEquals("case.json.tensors", Report.kind("case.json.tensors"));
        List<Report.Worst> w = r.worstPerStage();
        assertEquals(List.of("step.*.raw.*", "latents.final"), w.stream().map(Report.Worst::stage).toList());
        assertEquals(new Report.Worst("step.*.raw.*", 3, 0, 0.3, "0.64", "a", "step.0.raw.1", null), w.get(0));
        assertEquals(1, w.get(1).failed());

        String t = r.toTable();
        assertTrue(t.contains("\nPrecision int8 "), t);
        assertTrue(t.lines().anyMatch(l -> l.matches("step\\.\\*\\.raw\\.\\*\\s+3\\s+3\\.000e-01\\s+0\\.64\\s+0\\s+a step\\.0\\.raw\\.1")), t);
        assertTrue(t.endsWith("1 passed, 1 failed\n"));
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertEquals("int8", j.get("precision").asText());
        assertEquals("step.*.raw.*", j.get("worst_per_stage").get(0).get("stage").asText());
        assertEquals(0.3, j.get("worst_per_stage").get(0).get("max_abs_error").asDouble());
        assertEquals("fp32", new ObjectMapper().readTree(sample().toJson()).get("precision").asText());
    }

    @Test
    void uint8RuleGeneralisesTheFloat32Rule() {
        assertEquals(Tolerances.UINT8_LABEL, Tolerances.UINT8.label());
        Uint8Rule r = new Uint8Rule(20, 0.05, 44);
        assertEquals("≤20 levels on ≥95%, never >44", r.label());
        byte[] ref = new byte[100];
        byte[] act = ref.clone();
        for (int i = 0; i < 5; i++) {
            act[i] = 30; // 5 % beyond 20 levels: allowed
        }
        act[10] = 20;
        StageResult ok = r.judge("x", act, ref);
        assertEquals(Status.PASS, ok.status());
        assertEquals("of 100 values 1 differ by 1–20 levels, 5 (5.00%) by more", ok.note());
        act[5] = 21; // 6 %
        assertEquals(Status.FAIL, r.judge("x", act, ref).status());
        byte[] far = ref.clone();
        far[0] = 45;
        assertEquals(Status.FAIL, r.judge("x", far, ref).status(), "never more than 44");
    }

    @Test
    void correlationCheckRejectsAnUnrelatedTensorThatTheElementBoundLetsThrough(@TempDir Path tmp) throws Exception {
        int n = 400;
        float[] ref = new float[n];
        float[] near = new float[n];
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < n; i++) {
            ref[i] = (float) (2 * rnd.nextGaussian());
            near[i] = ref[i] + (float) (0.5 * rnd.nextGaussian()); // r ≈ 0.97
        }
        Path file = tmp.resolve("t.safetensors");
        writeF32(file, "v", ref);
        Tolerance tol = PrecisionTolerances.INT4.velocity(); // |Δ| ≤ 11, r ≥ 0.56
        try (io.omnigen4j.export.safetensors.SafetensorsFile f =
                     io.omnigen4j.export.safetensors.SafetensorsFile.open(file)) {
            StageTable ok = new StageTable(f, s -> true);
            ok.floats("v", near, new int[] {n}, tol);
            StageResult pass = ok.rows().get(0);
            assertEquals(Status.PASS, pass.status(), pass.note());
            assertTrue(pass.correlation() > 0.9 && pass.note().startsWith("r 0.9"), pass.note());

            StageTable zero = new StageTable(f, s -> true);
            zero.floats("v", new float[n], new int[] {n}, tol); // every |Δ| = |ref| < 11
            StageResult fail = zero.rows().get(0);
            assertTrue(fail.maxAbsError() < 11);
            assertEquals(Status.FAIL, fail.status());
            assertEquals(0.0, fail.correlation());
            assertTrue(fail.note().contains("r 0.0000 < 0.56"), fail.note());

            StageTable fp32 = new StageTable(f, s -> true);
            fp32.floats("v", ref.clone(), new int[] {n}, Tolerances.STEP);
            assertEquals(null, fp32.rows().get(0).correlation(), "float32 bounds measure no correlation");
            assertEquals("", fp32.rows().get(0).note());
        }
        Uint8Rule r = PrecisionTolerances.INT4.uint8();
        byte[] img = new byte[n];
        byte[] flat = new byte[n];
        for (int i = 0; i < n; i++) {
            img[i] = (byte) (60 + (i * 37) % 100);
            flat[i] = (byte) 110;
        }
        StageResult grey = r.judge("image.uint8", flat, img); // within 122 levels everywhere, but no image
        assertEquals(Status.FAIL, grey.status(), grey.note());
        assertTrue(grey.note().contains("correlation below 0.3"), grey.note());
    }

    private static void writeF32(Path file, String name, float[] v) throws java.io.IOException {
        byte[] header = ("{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + v.length + "],\"data_offsets\":[0,"
                + 4 * v.length + "]}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + header.length + 4 * v.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (float x : v) {
            b.putFloat(x);
        }
        java.nio.file.Files.write(file, b.array());
    }

    @Test
    void tolerancesCombineAbsoluteAndRelative() {
        assertTrue(Tolerances.STEP.accepts(10.0011, 10));
        assertFalse(Tolerances.STEP.accepts(10.002, 10));
        assertFalse(Tolerances.EXACT.accepts(Double.NaN, 0));
        assertEquals("exact", Tolerances.EXACT.label());
        assertEquals("1e-4", Tolerances.VAE_ENCODE.label());
        assertEquals("2e-4 + 1e-4·|ref|", Tolerances.STEP.label());
        assertEquals("13", Tolerance.abs(13).label());
        assertEquals("1.4", Tolerance.abs(1.4).label());
        assertEquals("0.045", Tolerance.abs(0.045).label());
    }
}
