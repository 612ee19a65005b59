package io.omnigen4j.conformance;

import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** case.json → request arguments, without running a model. */
class CaseSpecTest {

    @TempDir
    Path dir;

    private CaseSpec spec(String json) throws Exception {
        Files.writeString(dir.resolve("case.json"), json);
        return CaseSpec.read(dir);
    }

    private String error(String json) throws IOException {
        Files.writeString(dir.resolve("case.json"), json);
        return assertThrows(CaseFormatException.class, () -> CaseSpec.read(dir)).getMessage();
    }

    @Test
    void absentArgumentsTakeTheReferenceDefaults() throws Exception {
        CaseSpec s = spec("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"a cat\"}}");
        GenerationRequest r = s.requestBuilder(List.of(List.of())).seed(1).build();
        assertEquals(List.of("a cat"), s.prompts());
        assertEquals(50, r.steps());
        assertEquals(1024, r.width());
        assertEquals(1024, r.height());
        assertEquals(3f, r.guidanceScale());
        assertEquals(1.6f, r.imageGuidanceScale());
        assertEquals(GenerationRequest.CfgMode.SEPARATE, r.cfgMode());
        assertTrue(r.kvCache());
        assertTrue(r.imageGuidance());
        assertEquals(1024, r.maxInputImageSize());
    }

    @Test
    void argumentsComeFromCaseJson() throws Exception {
        CaseSpec s = spec("""
                {"model": "m", "prompts": ["p0 <img><|image_1|></img>", "p1 <img><|image_2|></img> <img><|image_1|></img>"],
                 "negative_prompt": "bad",
                 "pipeline_args": {"num_inference_steps": 3, "guidance_scale": 2.5, "img_guidance_scale": 1.8,
                   "use_img_guidance": false, "separate_cfg_infer": false, "use_kv_cache": false, "height": 32,
                   "width": 48, "max_input_image_size": 64, "offload_kv_cache": true, "seed": 5, "dtype": "float32",
                   "input_images": [["a.png"], ["b.jpg", "a.png"]]}}""");
        RgbImage px = RgbImage.of(16, 16, new byte[16 * 16 * 3]);
        GenerationRequest r = s.requestBuilder(List.of(List.of(px), List.of(px, px))).seed(1).build();
        assertEquals(2, r.prompts().size());
        assertEquals(List.of(dir.resolve("a.png"), dir.resolve("b.jpg"), dir.resolve("a.png")), s.allImages());
        assertEquals(3, r.steps());
        assertEquals(48, r.width());
        assertEquals(32, r.height());
        assertEquals(2.5f, r.guidanceScale());
        assertEquals(1.8f, r.imageGuidanceScale());
        assertEquals(false, r.imageGuidance());
        assertEquals(GenerationRequest.CfgMode.BATCHED, r.cfgMode());
        assertEquals(false, r.kvCache());
        assertEquals("bad", r.negativePrompt());
        assertEquals(64, r.maxInputImageSize());
    }

    @Test
    void inputImageSizeAsOutputLeavesTheSizeOpen() throws Exception {
        CaseSpec s = spec("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x <img><|image_1|></img>\","
                + " \"use_input_image_size_as_output\": true, \"input_images\": [\"i.png\"]}}");
        assertEquals(null, s.width());
        assertEquals(List.of(List.of(dir.resolve("i.png"))), s.images());
    }

    @Test
    void whatTheSdkCannotDoIsNamed() throws Exception {
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x\", \"dtype\": \"bfloat16\"}}")
                .contains("dtype = \"bfloat16\""));
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x\", \"strength\": 1}}")
                .contains("unsupported pipeline argument \"strength\""));
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x\", \"output_type\": \"latent\"}}")
                .contains("output_type"));
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": [\"a\", \"b\"],"
                + " \"input_images\": [\"x.png\"]}}").contains("one list per prompt"));
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x\", \"num_inference_steps\": \"3\"}}")
                .contains("num_inference_steps must be an integer"));
        assertTrue(error("{\"model\": \"m\", \"pipeline_args\": {\"prompt\": \"x\","
                + " \"input_images\": [\"../escape.png\"]}}").contains("outside the case folder"));
        assertTrue(error("{\"pipeline_args\": {\"prompt\": \"x\"}}").contains("model"));
        assertTrue(error("{\"model\": \"m\", \"n_prompt\": 2, \"pipeline_args\": {\"prompt\": \"x\"}}")
                .contains("n_prompt"));
    }
}
