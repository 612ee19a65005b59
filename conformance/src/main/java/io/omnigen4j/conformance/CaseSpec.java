package io.omnigen4j.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.prompt.PromptTemplate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A case folder's {@code case.json}, read into the arguments of one SDK request. Everything comes from the file:
 * prompts, the images of each prompt, size, steps, guidance, CFG mode, KV cache, image guidance. Arguments of
 * {@code OmniGenPipeline.__call__} that are absent take the reference's defaults. An argument the runner does not know,
 * or a value the SDK cannot reproduce (a dtype other than float32, …), is a {@link CaseFormatException} naming it.
 */
public final class CaseSpec {

    /** Branch names in case.json's {@code branch_order}, by branch index. */
    public static final List<String> BRANCH_NAMES = List.of("cond", "uncond", "img_cond");

    /** Top-level keys the runner interprets (see the fixtures README's case.json table). */
    static final Set<String> KNOWN_KEYS = Set.of("name", "model", "pipeline_args", "prompts", "negative_prompt",
            "n_prompt", "n_branch", "branch_order", "image_spans", "tokenizer_calls", "vae_noise", "initial_latents",
            "rope", "output_size", "outputs", "input_images", "tensors");

    /**
     * Pipeline arguments that do not change any number: where the KV cache and model live (CPU/GPU offload), the seed
     * (the recorded noise replaces the generator). Accepted with any value.
     */
    private static final Set<String> NUMERICALLY_NEUTRAL_ARGS = Set.of("offload_kv_cache", "offload_model", "seed");

    private static final Set<String> KNOWN_ARGS = Set.of("prompt", "input_images", "height", "width",
            "num_inference_steps", "guidance_scale", "use_img_guidance", "img_guidance_scale", "max_input_image_size",
            "separate_cfg_infer", "use_kv_cache", "use_input_image_size_as_output", "dtype", "output_type",
            "negative_prompt", "offload_kv_cache", "offload_model", "seed");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Path dir;
    private final JsonNode json;
    private final String model;
    private final List<String> prompts;
    private final List<List<Path>> images;
    private final Integer width;
    private final Integer height;
    private final int steps;
    private final float guidanceScale;
    private final boolean imageGuidance;
    private final float imageGuidanceScale;
    private final int maxInputImageSize;
    private final boolean useInputImageSizeAsOutput;
    private final String negativePrompt;
    private final boolean separateCfg;
    private final boolean kvCache;

    private CaseSpec(Path dir, JsonNode json) throws CaseFormatException {
        this.dir = dir;
        this.json = json;
        this.name = dir.getFileName().toString();
        if (!json.isObject()) {
            throw new CaseFormatException("case.json must hold a JSON object");
        }
        this.model = text(json, "model", null);
        if (model == null || model.isBlank()) {
            throw new CaseFormatException("case.json has no \"model\" (the model folder under models/)");
        }
        JsonNode args = json.path("pipeline_args");
        if (!args.isObject()) {
            throw new CaseFormatException("case.json has no \"pipeline_args\" object");
        }
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KNOWN_ARGS.contains(k)) {
                throw new CaseFormatException("unsupported pipeline argument \"" + k + "\" = " + args.get(k)
                        + "; the runner knows " + String.join(", ", KNOWN_ARGS.stream().sorted().toList()));
            }
        }
        String dtype = text(args, "dtype", "float32");
        if (!dtype.equals("float32") && !dtype.equals("torch.float32")) {
            throw new CaseFormatException("unsupported pipeline argument dtype = \"" + dtype + "\": the SDK computes"
                    + " in float32 only, a " + dtype + " reference cannot be matched within the float32 tolerances");
        }
        String outputType = text(args, "output_type", "pil");
        if (!outputType.equals("pil") && !outputType.equals("pt")) {
            throw new CaseFormatException("unsupported pipeline argument output_type = \"" + outputType
                    + "\" (supported: pil, pt)");
        }
        for (String k : NUMERICALLY_NEUTRAL_ARGS) {
            JsonNode v = args.get(k);
            if (v != null && !v.isNull() && !(k.equals("seed") ? v.isIntegralNumber() : v.isBoolean())) {
                throw new CaseFormatException("pipeline argument " + k + " must be " + (k.equals("seed")
                        ? "an integer" : "true or false") + ", got " + v);
            }
        }

        this.prompts = readPrompts(json, args);
        this.images = readImages(json, args, prompts.size(), dir);
        this.steps = integer(args, "num_inference_steps", 50);
        this.guidanceScale = number(args, "guidance_scale", 3.0);
        this.imageGuidance = bool(args, "use_img_guidance", true);
        this.imageGuidanceScale = number(args, "img_guidance_scale", 1.6);
        this.maxInputImageSize = integer(args, "max_input_image_size", 1024);
        this.separateCfg = bool(args, "separate_cfg_infer", true);
        this.kvCache = bool(args, "use_kv_cache", true);
        this.useInputImageSizeAsOutput = bool(args, "use_input_image_size_as_output", false);
        if (useInputImageSizeAsOutput) {
            this.width = null;
            this.height = null;
        } else {
            this.width = integer(args, "width", 1024);
            this.height = integer(args, "height", 1024);
        }
        String neg = text(json, "negative_prompt", null);
        String argNeg = text(args, "negative_prompt", null);
        if (neg != null && argNeg != null && !neg.equals(argNeg)) {
            throw new CaseFormatException("negative_prompt and pipeline_args.negative_prompt disagree");
        }
        this.negativePrompt = neg != null ? neg : argNeg != null ? argNeg : PromptTemplate.DEFAULT_NEGATIVE_PROMPT;
        JsonNode np = json.get("n_prompt");
        if (np != null && !np.isNull() && (!np.isIntegralNumber() || np.asInt() != prompts.size())) {
            throw new CaseFormatException("n_prompt = " + np + " but the case has " + prompts.size() + " prompt(s)");
        }
    }

    /** Reads and checks {@code dir/case.json}. */
    public static CaseSpec read(Path dir) throws CaseFormatException {
        Path file = dir.resolve("case.json");
        if (!Files.isRegularFile(file)) {
            throw new CaseFormatException("case.json missing in " + dir);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new CaseFormatException("case.json is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CaseFormatException("cannot read case.json: " + e.getMessage(), e);
        }
        if (root == null) {
            throw new CaseFormatException("case.json is empty");
        }
        return new CaseSpec(dir, root);
    }

    private static List<String> readPrompts(JsonNode json, JsonNode args) throws CaseFormatException {
        List<String> fromPrompts = null;
        JsonNode p = json.get("prompts");
        if (p != null && !p.isNull()) {
            fromPrompts = stringList(p, "prompts");
        }
        List<String> fromArgs = null;
        JsonNode a = args.get("prompt");
        if (a != null && !a.isNull()) {
            fromArgs = a.isTextual() ? List.of(a.asText()) : stringList(a, "pipeline_args.prompt");
        }
        if (fromPrompts != null && fromArgs != null && !fromPrompts.equals(fromArgs)) {
            throw new CaseFormatException("prompts and pipeline_args.prompt disagree");
        }
        List<String> out = fromPrompts != null ? fromPrompts : fromArgs;
        if (out == null || out.isEmpty()) {
            throw new CaseFormatException("case.json has no prompt (\"prompts\" or pipeline_args.prompt)");
        }
        return out;
    }

    /**
     * pipeline_args.input_images (else the top-level input_images): a flat list of file names when the pipeline got
     * one prompt as a string, otherwise one list (or null) per prompt, as {@code OmniGenPipeline.__call__} takes them.
     */
    private static List<List<Path>> readImages(JsonNode json, JsonNode args, int promptCount, Path dir)
            throws CaseFormatException {
        JsonNode node = args.get("input_images");
        String where = "pipeline_args.input_images";
        if (node == null || node.isNull()) {
            node = json.get("input_images");
            where = "input_images";
        }
        List<List<Path>> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            for (int i = 0; i < promptCount; i++) {
                out.add(List.of());
            }
            return out;
        }
        if (!node.isArray()) {
            throw new CaseFormatException(where + " must be a list, got " + node);
        }
        boolean flat = node.size() > 0 && node.get(0).isTextual();
        if (flat) {
            if (promptCount != 1) {
                throw new CaseFormatException(where + " is a flat list of files but the case has " + promptCount
                        + " prompts; give one list per prompt");
            }
            out.add(files(node, where, dir));
            return out;
        }
        if (node.size() != promptCount) {
            throw new CaseFormatException(where + " has " + node.size() + " entries for " + promptCount + " prompts");
        }
        for (int i = 0; i < promptCount; i++) {
            JsonNode e = node.get(i);
            out.add(e == null || e.isNull() ? List.of() : files(e, where + "[" + i + "]", dir));
        }
        return out;
    }

    private static List<Path> files(JsonNode list, String where, Path dir) throws CaseFormatException {
        List<Path> out = new ArrayList<>();
        for (String f : stringList(list, where)) {
            Path p = dir.resolve(f).normalize();
            if (!p.startsWith(dir.normalize())) {
                throw new CaseFormatException(where + ": file \"" + f + "\" lies outside the case folder");
            }
            out.add(p);
        }
        return out;
    }

    private static List<String> stringList(JsonNode n, String where) throws CaseFormatException {
        if (!n.isArray()) {
            throw new CaseFormatException(where + " must be a list of strings, got " + n);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new CaseFormatException(where + " must hold strings, got " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    private static String text(JsonNode obj, String key, String dflt) throws CaseFormatException {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new CaseFormatException(key + " must be a string, got " + v);
        }
        return v.asText();
    }

    private static int integer(JsonNode obj, String key, int dflt) throws CaseFormatException {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new CaseFormatException("pipeline argument " + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static float number(JsonNode obj, String key, double dflt) throws CaseFormatException {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            return (float) dflt;
        }
        if (!v.isNumber()) {
            throw new CaseFormatException("pipeline argument " + key + " must be a number, got " + v);
        }
        return (float) v.asDouble();
    }

    private static boolean bool(JsonNode obj, String key, boolean dflt) throws CaseFormatException {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new CaseFormatException("pipeline argument " + key + " must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    /**
     * A request builder with every argument of the case set; the caller adds the images, the noise source and the
     * observer.
     */
    GenerationRequest.Builder requestBuilder(List<List<io.omnigen4j.sdk.image.RgbImage>> decoded) {
        GenerationRequest.Builder b = GenerationRequest.builder();
        for (int i = 0; i < prompts.size(); i++) {
            b.prompt(prompts.get(i), decoded.get(i));
        }
        if (!useInputImageSizeAsOutput) {
            b.size(width, height);
        }
        b.steps(steps)
                .guidanceScale(guidanceScale)
                .imageGuidanceScale(imageGuidanceScale)
                .imageGuidance(imageGuidance)
                .maxInputImageSize(maxInputImageSize)
                .useInputImageSizeAsOutput(useInputImageSizeAsOutput)
                .negativePrompt(negativePrompt)
                .cfgMode(separateCfg ? GenerationRequest.CfgMode.SEPARATE : GenerationRequest.CfgMode.BATCHED)
                .kvCache(kvCache)
                .step0Attention(GenerationRequest.Step0Attention.REFERENCE)
                .returnLatents(true);
        return b;
    }

    /** Top-level keys of case.json the runner does not interpret (reported as NOT-CHECKED). */
    List<String> unknownKeys() {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.properties().iterator(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!KNOWN_KEYS.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public JsonNode json() {
        return json;
    }

    public String model() {
        return model;
    }

    public List<String> prompts() {
        return prompts;
    }

    /** Input files per prompt, in the prompt's image order. */
    public List<List<Path>> images() {
        return images;
    }

    /** All input files in loading order: prompt order, then each prompt's image order (= preprocess.<n>). */
    public List<Path> allImages() {
        return images.stream().flatMap(List::stream).toList();
    }

    public int steps() {
        return steps;
    }

    public boolean separateCfg() {
        return separateCfg;
    }

    public boolean kvCache() {
        return kvCache;
    }

    public boolean useInputImageSizeAsOutput() {
        return useInputImageSizeAsOutput;
    }

    /** Output width, or null when the input image's size is used. */
    public Integer width() {
        return width;
    }

    public Integer height() {
        return height;
    }

    /** Whether the reference ran the image-guidance branch (on, and some prompt has images). */
    public boolean usesImageGuidance() {
        return imageGuidance && images.stream().anyMatch(l -> !l.isEmpty());
    }
}
