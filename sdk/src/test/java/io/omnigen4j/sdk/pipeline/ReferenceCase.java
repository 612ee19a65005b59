package io.omnigen4j.sdk.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.sampling.RecordedNoiseSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Builds the public-API request of a fixture case from its case.json and recorded noise. */
final class ReferenceCase {
    private ReferenceCase() {
    }

    static GenerationRequest request(JsonNode cj, SafetensorsFile t) throws IOException {
        return builder(cj, t).build();
    }

    /** The case's request, still open for more settings (an observer). */
    static GenerationRequest.Builder builder(JsonNode cj, SafetensorsFile t) throws IOException {
        JsonNode args = cj.get("pipeline_args");
        GenerationRequest.Builder b = GenerationRequest.builder();
        int imageIndex = 0;
        JsonNode prompts = cj.get("prompts");
        JsonNode inputImages = args.get("input_images");
        for (int i = 0; i < prompts.size(); i++) {
            int count = imagesOfPrompt(inputImages, prompts.size(), i);
            List<RgbImage> imgs = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                String key = "preprocess." + imageIndex++ + ".decoded_rgb";
                int[] s = t.info(key).intShape();
                imgs.add(RgbImage.of(s[1], s[0], t.bytes(key)));
            }
            b.prompt(prompts.get(i).asText(), imgs);
        }
        if (args.has("height") && !args.get("height").isNull()) {
            b.size(args.get("width").asInt(), args.get("height").asInt());
        }
        b.steps(args.get("num_inference_steps").asInt())
                .guidanceScale((float) args.get("guidance_scale").asDouble())
                .imageGuidanceScale((float) args.path("img_guidance_scale").asDouble(1.6))
                .imageGuidance(args.path("use_img_guidance").asBoolean(true))
                .maxInputImageSize(args.path("max_input_image_size").asInt(1024))
                .useInputImageSizeAsOutput(args.path("use_input_image_size_as_output").asBoolean(false))
                .negativePrompt(cj.get("negative_prompt").asText())
                .cfgMode(args.path("separate_cfg_infer").asBoolean(true)
                        ? GenerationRequest.CfgMode.SEPARATE : GenerationRequest.CfgMode.BATCHED)
                .kvCache(args.path("use_kv_cache").asBoolean(true))
                .returnLatents(true);
        List<float[]> eps = new ArrayList<>();
        for (int n = 0; t.contains("vae_encode." + n + ".eps"); n++) {
            eps.add(t.floats("vae_encode." + n + ".eps"));
        }
        b.noiseSource(new RecordedNoiseSource(t.floats("latents.z0"), eps));
        return b;
    }

    /** input_images is a flat list for one prompt, or a list per prompt. */
    private static int imagesOfPrompt(JsonNode inputImages, int prompts, int i) {
        if (inputImages == null || inputImages.isNull()) {
            return 0;
        }
        if (prompts == 1 && inputImages.size() > 0 && inputImages.get(0).isTextual()) {
            return inputImages.size();
        }
        JsonNode p = inputImages.get(i);
        return p == null || p.isNull() ? 0 : p.size();
    }
}
