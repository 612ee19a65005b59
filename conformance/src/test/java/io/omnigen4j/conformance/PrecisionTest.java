package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.ExportOptions.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --precision}: parsing, and the per-precision bounds really applied to the transformer-dependent stages. */
class PrecisionTest {

    /** Exit code, stdout and stderr of one CLI run. */
    private record Cli(int exit, String out, String err) {
    }

    private static Cli cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = ConformanceCommand.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void precisionParsesCaseInsensitivelyAndDefaultsToFp32() {
        assertSame(Precision.FP32, PrecisionTolerances.parse("fp32"));
        assertSame(Precision.INT8, PrecisionTolerances.parse("INT8"));
        assertSame(Precision.INT4, PrecisionTolerances.parse("int4"));
        assertSame(Precision.FP32, RunOptions.of(Path.of("x")).precision());
        assertSame(PrecisionTolerances.FP32, RunOptions.of(Path.of("x")).tolerances());
        assertSame(PrecisionTolerances.INT4, RunOptions.of(Path.of("x")).withPrecision(Precision.INT4).tolerances());
        assertSame(Precision.FP16, PrecisionTolerances.parse("FP16"));
        assertSame(PrecisionTolerances.FP16, RunOptions.of(Path.of("x")).withPrecision(Precision.FP16).tolerances());
        IllegalArgumentException bf16 = assertThrows(IllegalArgumentException.class,
                () -> PrecisionTolerances.parse("bf16"));
        assertTrue(bf16.getMessage().contains("no bfloat16 MatMul"), bf16.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RunOptions.of(Path.of("x")).withPrecision(Precision.BF16));
    }

    @Test
    void unknownPrecisionIsAOneLineUsageError() {
        for (String bad : List.of("int9", "fp8", "")) {
            Cli r = cli("--fixtures", FixtureFiles.shared().toString(), "--precision", bad, "--quiet");
            assertEquals(2, r.exit(), bad);
            assertEquals("", r.out(), "nothing on stdout");
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), "one line: " + r.err());
            assertEquals("conformance: unknown precision '" + bad + "'; use fp32, int8, int4 or fp16", lines.get(0));
        }
    }

    @Test
    void fp32BoundsAreTheFloat32Constants() {
        PrecisionTolerances t = PrecisionTolerances.FP32;
        for (Tolerance x : List.of(t.raw(), t.velocity(), t.latents())) {
            assertSame(Tolerances.STEP, x);
        }
        assertSame(Tolerances.FINAL_LATENTS, t.finalLatents());
        assertSame(Tolerances.DECODER_INPUT, t.decoderInput());
        assertSame(Tolerances.DECODER_OUTPUT, t.decoderOutput());
        assertSame(Tolerances.DECODER_OUTPUT, t.image01());
        assertEquals(Tolerances.UINT8_LABEL, t.uint8().label());
        // The quantized bounds are wider than float32's, int4's wider than int8's, at every stage.
        for (PrecisionTolerances[] pair : new PrecisionTolerances[][] {
                {PrecisionTolerances.FP32, PrecisionTolerances.INT8}, {PrecisionTolerances.INT8, PrecisionTolerances.INT4}}) {
            PrecisionTolerances a = pair[0];
            PrecisionTolerances b = pair[1];
            assertTrue(b.raw().bound(10) > a.raw().bound(10));
            assertTrue(b.velocity().bound(10) > a.velocity().bound(10));
            assertTrue(b.latents().bound(10) > a.latents().bound(10));
            assertTrue(b.finalLatents().atol() > a.finalLatents().atol());
            assertTrue(b.decoderInput().atol() > a.decoderInput().atol());
            assertTrue(b.decoderOutput().atol() > a.decoderOutput().atol());
            assertTrue(b.image01().atol() > a.image01().atol());
            assertTrue(b.uint8().levels() > a.uint8().levels() && b.uint8().maxLevels() > a.uint8().maxLevels());
        }
        assertEquals("0.64, r ≥ 0.9953", PrecisionTolerances.INT8.raw().label());
        assertEquals("≤20 levels on ≥95%, never >44, r ≥ 0.989", PrecisionTolerances.INT8.uint8().label());
        // Float32 checks no correlation (its element-wise bounds are tight); the quantized ones check it everywhere.
        assertFalse(PrecisionTolerances.FP32.raw().checksCorrelation());
        assertTrue(Double.isNaN(PrecisionTolerances.FP32.uint8().minCorrelation()));
        for (PrecisionTolerances q : List.of(PrecisionTolerances.INT8, PrecisionTolerances.INT4)) {
            for (Tolerance x : List.of(q.raw(), q.velocity(), q.latents(), q.finalLatents(), q.decoderInput(),
                    q.decoderOutput(), q.image01())) {
                // Still far above an unrelated tensor's r ≈ 0 (int4 blocks of 128 drift most: decoder output r 0.71).
                assertTrue(x.checksCorrelation() && x.minCorrelation() >= 0.4 && x.minCorrelation() < 1, x.label());
            }
            assertTrue(q.uint8().minCorrelation() >= 0.3);
        }
    }

    @Test
    void int8RunPassesWithTheInt8BoundsThatFloat32WouldReject(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("int8.json");
        Cli r = cli("--fixtures", FixtureFiles.shared().toString(), "--case", "t2i", "--precision", "int8",
                "--report", json.toString(), "--quiet");
        System.out.print(r.out());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\nPrecision int8 "), "the table states the precision");
        assertTrue(r.out().contains("Worst error per stage over all cases:"));
        assertTrue(r.out().endsWith("1 passed, 0 failed\n"));

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("int8", root.get("precision").asText());
        assertQuantizedRows(root.get("cases").get(0), PrecisionTolerances.INT8);

        JsonNode raw = worst(root, "step.*.raw.*");
        assertNotNull(raw, "worst_per_stage lists step.*.raw.*");
        double err = raw.get("max_abs_error").asDouble();
        assertEquals(PrecisionTolerances.INT8.raw().label(), raw.get("tolerance").asText());
        assertEquals(0, raw.get("failed").asInt());
        assertTrue(err > 0 && err <= PrecisionTolerances.INT8.raw().atol(), "within the int8 bound: " + err);
        // Float32's step bound is 2e-4 + 1e-4·|ref|; the raw outputs are far below |ref| = 100 here, so float32 would
        // have rejected this error at any element: the int8 bound is what let the case pass.
        assertTrue(err > Tolerances.STEP.bound(100), "float32 would reject " + err);
        // Stages independent of the transformer keep their float32 bounds.
        assertEquals(Tolerances.SIGMA.label(), worst(root, "scheduler.sigma").get("tolerance").asText());
        assertEquals(0.0, worst(root, "scheduler.sigma").get("max_abs_error").asDouble());
        assertEquals("exact", worst(root, "tokenizer.call.*").get("tolerance").asText());
    }

    /**
     * fp16 (half-precision weights and compute) on the CPU provider: the t2i case passes with the fp16 bounds, its
     * raw outputs are off by more than float32's bound allows and far less than int8's, and fp16 bounds sit between
     * float32's and int8's at every stage.
     */
    @Test
    void fp16RunPassesWithTheFp16Bounds() {
        Report r = ConformanceRunner.run(RunOptions.of(FixtureFiles.shared()).withCases(List.of("t2i"))
                .withPrecision(Precision.FP16));
        System.out.print(r.toTable());
        assertTrue(r.allPassed());
        assertTrue(r.toTable().contains("\nPrecision fp16 (transformer weights and compute fp16"), "precision line");
        Report.Worst raw = r.worstPerStage().stream().filter(w -> w.stage().equals("step.*.raw.*")).findFirst()
                .orElseThrow();
        assertEquals(PrecisionTolerances.FP16.raw().label(), raw.tolerance());
        assertTrue(raw.maxAbsError() > Tolerances.STEP.bound(100), "float32 would reject " + raw.maxAbsError());
        assertTrue(raw.maxAbsError() <= PrecisionTolerances.FP16.raw().atol());
        assertTrue(raw.maxAbsError() < PrecisionTolerances.INT8.raw().atol() / 10, "fp16 far closer than int8");
        PrecisionTolerances h = PrecisionTolerances.FP16;
        PrecisionTolerances q = PrecisionTolerances.INT8;
        assertTrue(h.raw().bound(10) > PrecisionTolerances.FP32.raw().bound(10));
        for (Tolerance[] pair : new Tolerance[][] {{h.raw(), q.raw()}, {h.velocity(), q.velocity()},
                {h.latents(), q.latents()}, {h.finalLatents(), q.finalLatents()},
                {h.decoderInput(), q.decoderInput()}, {h.decoderOutput(), q.decoderOutput()},
                {h.image01(), q.image01()}}) {
            assertTrue(pair[0].atol() < pair[1].atol() && pair[0].minCorrelation() > pair[1].minCorrelation(),
                    pair[0].label() + " vs " + pair[1].label());
        }
        assertEquals("≤2 levels on ≥95%, never >4, r ≥ 0.99984", h.uint8().label());
    }

    @Test
    void int4RunPassesWithTheInt4Bounds() {
        Report r = ConformanceRunner.run(RunOptions.of(FixtureFiles.shared()).withCases(List.of("t2i"))
                .withPrecision(Precision.INT4));
        System.out.print(r.toTable());
        assertTrue(r.allPassed());
        assertSame(Precision.INT4, r.precision());
        Report.Worst raw = r.worstPerStage().stream().filter(w -> w.stage().equals("step.*.raw.*")).findFirst()
                .orElseThrow();
        assertEquals(PrecisionTolerances.INT4.raw().label(), raw.tolerance());
        assertTrue(raw.maxAbsError() > Tolerances.STEP.bound(100), "float32 would reject " + raw.maxAbsError());
        assertTrue(raw.maxAbsError() <= PrecisionTolerances.INT4.raw().atol());
    }

    /** Every transformer-dependent row of the case carries the precision's bound; step 0's z_in keeps float32's. */
    private static void assertQuantizedRows(JsonNode c, PrecisionTolerances t) {
        int checked = 0;
        for (JsonNode s : c.get("stages")) {
            String stage = s.get("stage").asText();
            String tol = s.get("tolerance").asText();
            String want = null;
            if (stage.matches("step\\.\\d+\\.raw\\.\\d+")) {
                want = t.raw().label();
            } else if (stage.matches("step\\.\\d+\\.velocity")) {
                want = t.velocity().label();
            } else if (stage.matches("step\\.\\d+\\.z_out") || stage.matches("step\\.[1-9]\\d*\\.z_in")) {
                want = t.latents().label();
            } else if (stage.equals("step.0.z_in")) {
                want = Tolerances.STEP.label();
            } else if (stage.equals("latents.final")) {
                want = t.finalLatents().label();
            } else if (stage.equals("vae_decode.input")) {
                want = t.decoderInput().label();
            } else if (stage.equals("vae_decode.output")) {
                want = t.decoderOutput().label();
            } else if (stage.equals("image.float01")) {
                want = t.image01().label();
            } else if (stage.equals("image.uint8") || stage.startsWith("image.png.")) {
                want = t.uint8().label();
            }
            if (want != null) {
                assertEquals(want, tol, stage);
                assertEquals("PASS", s.get("result").asText(), stage);
                if (!stage.equals("step.0.z_in")) {
                    double r = s.get("correlation").asDouble();
                    assertTrue(r < 1 && r > 0.98, stage + " correlates with the reference: " + r);
                    assertTrue(s.get("note").asText().contains("r 0.9"), s.toString());
                }
                checked++;
            }
        }
        assertTrue(checked >= 20, "the case has its transformer-dependent stages: " + checked);
        assertFalse(c.get("stages").toString().contains("\"FAIL\""));
    }

    private static JsonNode worst(JsonNode root, String stage) {
        for (JsonNode w : root.get("worst_per_stage")) {
            if (w.get("stage").asText().equals(stage)) {
                return w;
            }
        }
        return null;
    }
}
