package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner on the shared fixtures and on altered copies of them, through the CLI and the library API. */
class ConformanceRunnerTest {

    /** Output and exit code of one CLI run. */
    private record Cli(int exit, String out) {
        List<String> lines() {
            return out.lines().toList();
        }

        String lastLine() {
            List<String> l = lines();
            return l.isEmpty() ? "" : l.get(l.size() - 1);
        }
    }

    private static Cli cli(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            exit = ConformanceCommand.execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return new Cli(exit, out);
    }

    private static long caseCount(Path fixtures) throws IOException {
        try (Stream<Path> s = Files.list(fixtures.resolve("cases"))) {
            return s.filter(Files::isDirectory).count();
        }
    }

    @Test
    void publicFixturesPassThroughTheCommand(@TempDir Path tmp) throws IOException {
        Path fixtures = FixtureFiles.shared();
        long n = caseCount(fixtures);
        assertTrue(n >= 5, "the shared fixtures hold the 5 public cases");
        Path report = tmp.resolve("report.json");
        Cli r = cli("--fixtures", fixtures.toString(), "--report", report.toString(), "--quiet");

        assertEquals(n + " passed, 0 failed", r.lastLine());
        assertEquals(0, r.exit());
        assertFalse(r.out().contains(" FAIL "), "no FAIL row");

        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertEquals(n, json.get("passed").asLong());
        assertEquals(0, json.get("failed").asLong());
        assertEquals("fp32", json.get("precision").asText(), "the default precision");
        assertTrue(r.out().contains("\nPrecision fp32 (float32 weights)\n"));
        for (JsonNode c : json.get("cases")) {
            assertEquals("PASS", c.get("result").asText(), c.get("case").asText());
            List<String> stages = new ArrayList<>();
            c.get("stages").forEach(s -> stages.add(s.get("stage").asText()));
            for (String must : List.of("scheduler.sigma", "latents.z0", "step.0.raw.0", "step.0.raw.1",
                    "step.0.velocity", "step.0.z_out", "latents.final", "vae_decode.input", "vae_decode.output",
                    "image.float01", "image.uint8", "image.png.0", "tokenizer.call.0", "branches")) {
                assertTrue(stages.contains(must), c.get("case").asText() + " compares " + must);
            }
            assertTrue(stages.stream().anyMatch(s -> s.matches("processor(\\.branch\\.\\d+)?\\.input_ids")));
            for (JsonNode s : c.get("stages")) {
                String result = s.get("result").asText();
                if (s.get("stage").asText().matches("step\\.\\d+\\.(raw\\.\\d+|velocity|z_in|z_out)")) {
                    assertEquals(Tolerances.STEP.label(), s.get("tolerance").asText(), "fp32 keeps its bounds");
                }
                assertTrue(result.equals("PASS") || result.equals("NOT-CHECKED"), s.toString());
                if (result.equals("NOT-CHECKED")) {
                    assertFalse(s.get("note").asText().isBlank(), "a NOT-CHECKED row says why");
                }
            }
        }
    }

    @Test
    void corruptedTensorMakesTheCommandFailNamingTheStage(@TempDir Path tmp) throws IOException {
        Path root = FixtureFiles.copy(tmp.resolve("fixtures"), "tiny-omnigen-a", "t2i", "t2i_corrupted");
        FixtureFiles.corruptFirstFloat(root.resolve("cases/t2i_corrupted/tensors.safetensors"), "step.1.velocity");
        Path report = tmp.resolve("r.json");

        Cli r = cli("--fixtures", root.toString(), "--report", report.toString(), "--quiet");

        assertEquals(1, r.exit());
        assertEquals("0 passed, 1 failed", r.lastLine());
        assertTrue(r.lines().stream().anyMatch(l -> l.startsWith("t2i_corrupted") && l.contains("step.1.velocity")
                && l.contains("FAIL")), "the table names the corrupted stage");
        JsonNode c = new ObjectMapper().readTree(report.toFile()).get("cases").get(0);
        List<String> failed = new ArrayList<>();
        c.get("failed_stages").forEach(s -> failed.add(s.asText()));
        // Teacher forcing feeds the recorded z_in into every step, so only the corrupted tensor itself fails.
        assertEquals(List.of("step.1.velocity"), failed);
    }

    @Test
    void unsupportedOrBrokenCasesFailWithReasonsWithoutCrashing(@TempDir Path tmp) throws IOException {
        Path root = FixtureFiles.copy(tmp.resolve("fixtures"), "tiny-omnigen-a", "t2i",
                "bf16", "mystery_tensor", "unknown_arg", "unknown_model", "bad_json", "flat_images");
        FixtureFiles.copyTree(FixtureFiles.shared().resolve("cases/edit"), root.resolve("cases/missing_image"));
        Path cases = root.resolve("cases");
        FixtureFiles.editCaseJson(cases.resolve("bf16"),
                j -> ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("pipeline_args")).put("dtype", "bfloat16"));
        FixtureFiles.addTensor(cases.resolve("mystery_tensor"), "step.0.mystery");
        FixtureFiles.editCaseJson(cases.resolve("unknown_arg"),
                j -> ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("pipeline_args")).put("strength", 0.5));
        FixtureFiles.editCaseJson(cases.resolve("unknown_model"), j -> j.put("model", "no-such-model"));
        Files.writeString(cases.resolve("bad_json/case.json"), "{ \"model\": ");
        FixtureFiles.editCaseJson(cases.resolve("flat_images"), j -> {
            j.putArray("prompts").add("a").add("b");
            ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("pipeline_args")).putArray("prompt").add("a").add("b");
            ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("pipeline_args")).putArray("input_images")
                    .add("x.png");
        });
        Files.delete(cases.resolve("missing_image/input_1.png"));

        Report report = ConformanceRunner.run(RunOptions.of(root).withCases(List.of("bf16", "mystery_tensor",
                "unknown_arg", "unknown_model", "bad_json", "flat_images", "missing_image", "ghost")));
        System.out.print(report.toTable());

        Map<String, CaseResult> byName = report.cases().stream()
                .collect(Collectors.toMap(CaseResult::name, Function.identity()));
        assertEquals(8, byName.size());
        assertEquals(0, report.passed());
        assertEquals("0 passed, 8 failed", report.summaryLine());
        assertFails(byName.get("bf16"), "case.json", "dtype");
        assertFails(byName.get("bf16"), "case.json", "bfloat16");
        assertFails(byName.get("unknown_arg"), "case.json", "unsupported pipeline argument \"strength\"");
        assertFails(byName.get("unknown_model"), "model", "model folder not found");
        assertFails(byName.get("bad_json"), "case.json", "not valid JSON");
        assertFails(byName.get("flat_images"), "case.json", "one list per prompt");
        assertFails(byName.get("missing_image"), "preprocess.0.decoded_rgb", "input image file missing");
        assertFails(byName.get("ghost"), "case", "case folder not found");

        // An unknown recorded tensor is named as unsupported; everything else of that case still passes.
        CaseResult mystery = byName.get("mystery_tensor");
        assertEquals(List.of("step.0.mystery"), mystery.failures().stream().map(StageResult::stage).toList());
        assertFails(mystery, "step.0.mystery", "unsupported stage");
    }

    @Test
    void caseAndStageFiltersNarrowTheRun() {
        Cli r = cli("--fixtures", FixtureFiles.shared().toString(), "--case", "t2i", "--stage", "step.2",
                "--threads", "1", "--quiet");
        assertEquals(0, r.exit());
        assertEquals("1 passed, 0 failed", r.lastLine());
        List<String> rows = r.lines().stream().filter(l -> l.startsWith("t2i ")).toList();
        assertFalse(rows.isEmpty());
        for (String row : rows) {
            assertTrue(row.split("\\s+")[1].startsWith("step.2"), row);
        }
        assertTrue(rows.stream().anyMatch(l -> l.contains("step.2.velocity")));
    }

    @Test
    void missingFixtureFolderIsAUsageError(@TempDir Path tmp) {
        assertEquals(2, cli("--fixtures", tmp.resolve("nothing").toString(), "--quiet").exit());
        assertEquals(2, cli("--threads", "1").exit(), "--fixtures is required");
    }

    private static void assertFails(CaseResult c, String stage, String reasonPart) {
        assertNotNull(c);
        assertFalse(c.passed(), c.name());
        StageResult row = c.stages().stream().filter(s -> s.stage().equals(stage)).findFirst().orElse(null);
        assertNotNull(row, c.name() + " has a row " + stage + ": " + c.stages());
        assertEquals(Status.FAIL, row.status());
        assertTrue(row.note().contains(reasonPart), c.name() + ": '" + row.note() + "' mentions '" + reasonPart + "'");
    }
}
