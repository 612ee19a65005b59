package io.omnigen4j.sdk.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.sampling.RecordedNoiseSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public case through the public API with the recorded noise: final latents (atol 5e-4) and the uint8 image
 * (≤ 1 level on ≥ 99 % of values, never more than 2), the fixtures README's bounds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndConformanceTest {

    OmniGen omnigen;
    Path modelDir;

    @BeforeAll
    void load() throws Exception {
        modelDir = Files.createTempDirectory("og-e2e").resolve("model");
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), modelDir).build());
        omnigen = OmniGen.load(modelDir);
    }

    @AfterAll
    void close() throws Exception {
        omnigen.close();
        try (var files = Files.walk(modelDir.getParent())) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    static List<String> cases() {
        return Fixtures.PUBLIC_CASES;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void caseMatchesReference(String name) throws Exception {
        Path dir = Fixtures.caseDir(name);
        JsonNode cj = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
        JsonNode args = cj.get("pipeline_args");
        try (SafetensorsFile t = SafetensorsFile.open(dir.resolve("tensors.safetensors"))) {
            GenerationRequest request = ReferenceCase.request(cj, t);
            GenerationResult r = omnigen.generate(request);
            float[] expected = t.floats("latents.final");
            double latErr = maxErr(r.finalLatents(), expected);
            byte[] ref = t.bytes("image.uint8");
            int per = ref.length / r.images().size();
            int over1 = 0, maxDiff = 0;
            for (int i = 0; i < r.images().size(); i++) {
                byte[] got = r.images().get(i).toByteArray();
                assertEquals(per, got.length, "image size");
                for (int k = 0; k < per; k++) {
                    int d = Math.abs((got[k] & 0xFF) - (ref[i * per + k] & 0xFF));
                    maxDiff = Math.max(maxDiff, d);
                    if (d > 1) {
                        over1++;
                    }
                }
            }
            double stepMs = r.timings().stepsTotal().toNanos() / 1e6 / args.get("num_inference_steps").asInt();
            System.out.printf("%s: latents.final max err %.3g, uint8 max diff %d (%d values > 1), %.1f ms/step, total %.0f ms%n",
                    name, latErr, maxDiff, over1, stepMs, r.timings().total().toNanos() / 1e6);
            assertTrue(latErr <= 5e-4, name + ": final latents max err " + latErr);
            assertTrue(maxDiff <= 2, name + ": uint8 max diff " + maxDiff);
            assertTrue(over1 <= ref.length / 100, name + ": " + over1 + " values differ by more than 1");
        }
    }

    static double maxErr(float[] a, float[] e) {
        assertEquals(e.length, a.length, "length");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - e[i]));
        }
        return m;
    }
}
