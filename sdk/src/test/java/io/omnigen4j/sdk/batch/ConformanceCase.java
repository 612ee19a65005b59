package io.omnigen4j.sdk.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.prompt.BranchInput;
import io.omnigen4j.sdk.prompt.ImageTagParser;
import io.omnigen4j.sdk.prompt.PromptEncoder;
import io.omnigen4j.sdk.prompt.PromptTemplate;
import io.omnigen4j.sdk.prompt.TaggedText;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what the pipeline would get from one fixture case (prompts, images, sizes) and rebuilds its branch rows
 * the way the SDK will: image token counts come from the recorded pixel_values shapes (hp·wp/256).
 */
final class ConformanceCase implements AutoCloseable {

    final String name;
    final JsonNode json;
    final JsonNode config;
    final SafetensorsFile tensors;

    ConformanceCase(String name) throws IOException {
        this.name = name;
        ObjectMapper om = new ObjectMapper();
        this.json = om.readTree(Fixtures.caseDir(name).resolve("case.json").toFile());
        this.config = om.readTree(Fixtures.model(json.get("model").asText()).resolve("config.json").toFile());
        this.tensors = SafetensorsFile.open(Fixtures.caseDir(name).resolve("tensors.safetensors"));
    }

    JsonNode args() {
        return json.get("pipeline_args");
    }

    boolean separate() {
        return args().path("separate_cfg_infer").asBoolean(true);
    }

    boolean kvCache() {
        return args().path("use_kv_cache").asBoolean(true);
    }

    List<String> prompts() {
        List<String> out = new ArrayList<>();
        json.get("prompts").forEach(p -> out.add(p.asText()));
        return out;
    }

    /** [H, W] of the output image. */
    int[] outputSize() {
        JsonNode a = args();
        int[] size = {json.get("output_size").get(0).asInt(), json.get("output_size").get(1).asInt()};
        if (a.has("height")) {
            if (a.get("height").asInt() != size[0] || a.get("width").asInt() != size[1]) {
                throw new AssertionError(name + ": pipeline_args size disagrees with output_size");
            }
        }
        return size;
    }

    /** N = H·W/256. */
    int outputTokens() {
        int[] s = outputSize();
        return s[0] * s[1] / 256;
    }

    int maxPositions() {
        return config.get("max_position_embeddings").asInt();
    }

    /** Tensor name prefix of the processor output of branch g (separate) or of the whole batch. */
    String processorPrefix(Integer branch) {
        return branch == null ? "processor." : "processor.branch." + branch + ".";
    }

    /**
     * Image token counts per prompt, indexed by image (tag number − 1), read from the shapes of
     * {@code <prefix>pixel_values.<j>}, which are numbered in row order, then span order within a row.
     */
    private int[][] imageCounts(String prefix, List<String> rowPrompts) throws IOException {
        int[][] out = new int[rowPrompts.size()][];
        int next = 0;
        for (int p = 0; p < rowPrompts.size(); p++) {
            TaggedText t = ImageTagParser.split(rowPrompts.get(p));
            int images = 0;
            for (int n : t.tagNumbers()) {
                images = Math.max(images, n);
            }
            int[] counts = new int[images];
            for (int k = 0; k < t.tagCount(); k++) {
                int[] shape = tensors.info(prefix + "pixel_values." + next++).intShape();
                int n = shape[2] * shape[3] / 256;
                int img = t.tagNumber(k) - 1;
                if (counts[img] != 0 && counts[img] != n) {
                    throw new AssertionError("repeated image with different sizes");
                }
                counts[img] = n;
            }
            out[p] = counts;
        }
        return out;
    }

    /** Whether an img_cond branch exists: image guidance on and some prompt has images. */
    boolean hasImageGuidance() {
        return args().path("use_img_guidance").asBoolean(true) && json.has("input_images")
                && !json.get("input_images").isEmpty();
    }

    /**
     * Rows per branch in branch order (cond, uncond[, img_cond]); each list has one row per prompt.
     */
    List<List<BranchInput>> branchRows(PromptEncoder encoder) throws IOException {
        List<String> prompts = prompts();
        String neg = json.get("negative_prompt").asText();
        boolean ig = hasImageGuidance();
        int[][] counts;
        if (separate()) {
            counts = imageCounts("processor.branch.0.", prompts);
        } else {
            counts = imageCounts("processor.", prompts);
        }
        List<BranchInput> cond = new ArrayList<>();
        List<BranchInput> uncond = new ArrayList<>();
        List<BranchInput> imgCond = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            cond.add(encoder.encode(prompts.get(p), counts[p]));
            uncond.add(encoder.encodeNegative(neg));
            if (ig) {
                imgCond.add(encoder.encodeImageGuidance(counts[p], neg));
            }
        }
        List<List<BranchInput>> out = new ArrayList<>(List.of(cond, uncond));
        if (ig) {
            out.add(imgCond);
        }
        if (out.size() != json.get("n_branch").asInt()) {
            throw new AssertionError(name + ": built " + out.size() + " branches, case has " + json.get("n_branch"));
        }
        if (!neg.equals(PromptTemplate.DEFAULT_NEGATIVE_PROMPT)) {
            throw new AssertionError(name + ": negative prompt differs from the default");
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        tensors.close();
    }
}
