package io.omnigen4j.sdk;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.model.ModelFolderException;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.runtime.ProviderUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model folders exported with {@code --precision fp16|bf16} on the CPU provider: fp16 loads and runs (with a warning),
 * bf16 is refused with the fix named before ONNX Runtime fails on its own; unknown precisions are refused.
 */
class HalfPrecisionLoadTest {

    @TempDir
    Path tmp;

    private Path export(ExportOptions.Precision p) throws Exception {
        Path out = tmp.resolve(p.id());
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).precision(p).build());
        return out;
    }

    @Test
    void bf16IsRefusedOnTheCpuBeforeOnnxRuntimeTries() throws Exception {
        Path folder = export(ExportOptions.Precision.BF16);
        ProviderUnavailableException e = assertThrows(ProviderUnavailableException.class,
                () -> OmniGen.load(folder).close());
        assertTrue(e.getMessage().contains("--precision bf16") && e.getMessage().contains("fp32/int8")
                && e.getMessage().contains("CUDA provider"), e.getMessage());
        assertEquals(null, e.getCause(), "raised by the SDK, not by ONNX Runtime");
    }

    /** The fp16 folder runs on the CPU and lands near the fp32 result (conformance judges it stage by stage). */
    @Test
    void fp16LoadsAndGeneratesOnTheCpu() throws Exception {
        GenerationRequest req = GenerationRequest.builder().prompt("a red square").size(32, 48).steps(3).seed(11)
                .returnLatents(true).build();
        float[] fp32;
        try (OmniGen og = OmniGen.load(TinyModel.folder())) {
            fp32 = og.generate(req).finalLatents();
        }
        Path folder = export(ExportOptions.Precision.FP16);
        try (OmniGen og = OmniGen.load(folder)) {
            assertEquals("fp16", og.manifest().precision());
            float[] fp16 = og.generate(req).finalLatents();
            assertEquals(fp32.length, fp16.length);
            double maxErr = 0;
            for (int i = 0; i < fp32.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(fp16[i] - fp32[i]));
            }
            // conformance's fp16 bound for latents.final (PrecisionTolerances.FP16); 0 would mean fp32 ran
            assertTrue(maxErr > 0 && maxErr < 0.11, "final latents fp16 vs fp32: " + maxErr);
        }
    }

    @Test
    void unknownPrecisionIsRefused() throws Exception {
        Path folder = TinyModel.copy();
        try {
            Path m = folder.resolve(ModelManifest.FILE_NAME);
            String json = Files.readString(m, StandardCharsets.UTF_8);
            Files.writeString(m, json.replaceFirst("\"precision\"\\s*:\\s*\"fp32\"", "\"precision\" : \"fp8\""),
                    StandardCharsets.UTF_8);
            ModelFolderException e = assertThrows(ModelFolderException.class, () -> OmniGen.load(folder).close());
            assertTrue(e.getMessage().contains("precision 'fp8'") && e.getMessage().contains("bf16"), e.getMessage());
        } finally {
            TinyModel.deleteTree(folder.getParent());
        }
    }
}
