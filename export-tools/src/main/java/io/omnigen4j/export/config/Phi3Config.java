package io.omnigen4j.export.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The transformer part of an OmniGen checkpoint: the Phi-3 fields of {@code config.json} that change the
 * computation, validated against what the exported graphs implement.
 *
 * <p>Why strict: falling back to Phi-3 defaults for a missing field would run the real model with a different RoPE
 * or width and produce plausible-looking garbage. So every field that shapes the numbers is required, except:
 * <ul>
 *   <li>{@code num_key_value_heads}: absent/null means {@code num_attention_heads}, exactly what transformers'
 *       {@code Phi3Config} does (plain multi-head attention; no numeric choice is involved).</li>
 *   <li>{@code rope_scaling}: absent or null means no scaling (transformers' own default, and what
 *       {@code save_pretrained} writes for such models).</li>
 * </ul>
 * {@code hidden_act} must be {@code silu}; {@code rope_scaling} must be LongRoPE ({@code "su"}/{@code "longrope"},
 * {@code type} or {@code rope_type}) with {@code head_dim/2} short and long factors. Any other scaling type
 * ({@code "yarn"}, {@code "linear"}, {@code "dynamic"}…) is rejected even where transformers would reinterpret it.
 * {@code model_type}, when present, must be {@code phi3}. Unrelated fields (dropouts, token ids, dtype…) are ignored.
 *
 * <p>The record serialises with Jackson under the same snake_case names as {@code config.json} (see
 * {@link #toJson()}), so the export manifest can embed it and {@link #fromJson} can read it back.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "intermediate_size", "vocab_size", "rms_norm_eps", "rope_theta", "hidden_act", "max_position_embeddings",
        "original_max_position_embeddings", "rope_scaling"})
public record Phi3Config(
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("num_key_value_heads") int numKeyValueHeads,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("rms_norm_eps") double rmsNormEps,
        @JsonProperty("rope_theta") double ropeTheta,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("original_max_position_embeddings") int originalMaxPositionEmbeddings,
        @JsonProperty("rope_scaling") RopeScaling ropeScaling) {

    /** File name inside a checkpoint folder. */
    public static final String FILE_NAME = "config.json";

    private static final Set<String> ROPE_SCALING_KEYS = Set.of("type", "rope_type", "short_factor", "long_factor");

    /** Validates; a violation is an {@link IllegalArgumentException} naming the field (use {@link #fromJson} for files). */
    public Phi3Config {
        Problem p = check(hiddenSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, intermediateSize,
                vocabSize, rmsNormEps, ropeTheta, hiddenAct, maxPositionEmbeddings, originalMaxPositionEmbeddings,
                ropeScaling);
        if (p != null) {
            throw p.toIllegalArgument("Phi3Config");
        }
    }

    /** Reads {@code config.json} of a checkpoint folder. */
    public static Phi3Config readFromCheckpoint(Path checkpointDir) throws ConfigException {
        return read(checkpointDir.resolve(FILE_NAME));
    }

    /** Reads and validates a Phi-3 {@code config.json}; errors name the file and the field. */
    public static Phi3Config read(Path configJson) throws ConfigException {
        return parse(ConfigFields.readFile(configJson, "the transformer configuration"));
    }

    /** Reads the object form (a config.json tree or the manifest's embedded copy); {@code source} names it in errors. */
    public static Phi3Config fromJson(JsonNode node, String source) throws ConfigException {
        return parse(ConfigFields.of(node, source));
    }

    private static Phi3Config parse(ConfigFields f) throws ConfigException {
        if (!f.isNull("model_type") && !"phi3".equals(f.requireString("model_type"))) {
            throw f.error("model_type", "must be \"phi3\", got \"" + f.requireString("model_type") + "\"");
        }
        int hidden = f.requireInt("hidden_size");
        int layers = f.requireInt("num_hidden_layers");
        int heads = f.requireInt("num_attention_heads");
        int kvHeads = f.optionalInt("num_key_value_heads", heads);
        int intermediate = f.requireInt("intermediate_size");
        int vocab = f.requireInt("vocab_size");
        double eps = f.requireNumber("rms_norm_eps");
        double theta = f.requireNumber("rope_theta");
        String act = f.requireString("hidden_act");
        int maxPos = f.requireInt("max_position_embeddings");
        int origMaxPos = f.requireInt("original_max_position_embeddings");
        RopeScaling rope = parseRopeScaling(f);
        Problem p = check(hidden, layers, heads, kvHeads, intermediate, vocab, eps, theta, act, maxPos, origMaxPos, rope);
        if (p != null) {
            throw p.toException(f.source());
        }
        return new Phi3Config(hidden, layers, heads, kvHeads, intermediate, vocab, eps, theta, act, maxPos,
                origMaxPos, rope);
    }

    private static RopeScaling parseRopeScaling(ConfigFields root) throws ConfigException {
        ConfigFields r = root.optionalObject("rope_scaling");
        if (r == null) {
            return null;
        }
        for (String k : r.fieldNames()) {
            if (!ROPE_SCALING_KEYS.contains(k)) {
                throw r.error(k, "is not supported: LongRoPE takes only type, short_factor and long_factor");
            }
        }
        String type;
        if (!r.isNull("type") && !r.isNull("rope_type")
                && !r.requireString("type").equals(r.requireString("rope_type"))) {
            throw r.error("rope_type", "\"" + r.requireString("rope_type") + "\" contradicts type \""
                    + r.requireString("type") + "\"");
        }
        type = r.isNull("type") ? r.optionalString("rope_type", null) : r.requireString("type");
        if (type == null) {
            throw r.error("type", "is required but missing");
        }
        if (!RopeScaling.LONGROPE_TYPES.contains(type)) {
            throw r.error(r.isNull("type") ? "rope_type" : "type", "\"" + type + "\" is not supported; only LongRoPE"
                    + " (\"su\" or \"longrope\") or rope_scaling null can be exported");
        }
        return new RopeScaling(type, r.requireNumberList("short_factor"), r.requireNumberList("long_factor"));
    }

    private static Problem check(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
                                 double eps, double theta, String act, int maxPos, int origMaxPos, RopeScaling rope) {
        if (hidden <= 0) {
            return new Problem("hidden_size", "must be positive, got " + hidden);
        }
        if (layers <= 0) {
            return new Problem("num_hidden_layers", "must be positive, got " + layers);
        }
        if (heads <= 0 || hidden % heads != 0) {
            return new Problem("num_attention_heads", "must be positive and divide hidden_size " + hidden
                    + ", got " + heads);
        }
        if ((hidden / heads) % 2 != 0) {
            return new Problem("num_attention_heads", "gives an odd head_dim " + hidden / heads
                    + "; rotary embedding needs an even head_dim");
        }
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            return new Problem("num_key_value_heads", "must be positive and divide num_attention_heads " + heads
                    + ", got " + kvHeads);
        }
        if (intermediate <= 0) {
            return new Problem("intermediate_size", "must be positive, got " + intermediate);
        }
        if (vocab <= 0) {
            return new Problem("vocab_size", "must be positive, got " + vocab);
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            return new Problem("rms_norm_eps", "must be a positive number, got " + eps);
        }
        if (!(theta > 0) || !Double.isFinite(theta)) {
            return new Problem("rope_theta", "must be a positive number, got " + theta);
        }
        if (!"silu".equals(act)) {
            return new Problem("hidden_act", "must be \"silu\" (the MLP graphs implement only SiLU), got \"" + act + "\"");
        }
        if (maxPos <= 0) {
            return new Problem("max_position_embeddings", "must be positive, got " + maxPos);
        }
        if (origMaxPos <= 0) {
            return new Problem("original_max_position_embeddings", "must be positive, got " + origMaxPos);
        }
        if (rope != null) {
            int half = hidden / heads / 2;
            Problem p = checkFactors("rope_scaling.short_factor", rope.shortFactor(), half);
            if (p == null) {
                p = checkFactors("rope_scaling.long_factor", rope.longFactor(), half);
            }
            if (p != null) {
                return p;
            }
            if (maxPos > origMaxPos && origMaxPos < 2) {
                return new Problem("original_max_position_embeddings", "must be at least 2 with LongRoPE (its log is a"
                        + " divisor of the attention scale), got " + origMaxPos);
            }
        }
        return null;
    }

    private static Problem checkFactors(String field, List<Double> factors, int expected) {
        if (factors.size() != expected) {
            return new Problem(field, "must have head_dim/2 = " + expected + " entries, got " + factors.size());
        }
        for (int i = 0; i < factors.size(); i++) {
            double v = factors.get(i);
            if (!(v > 0) || !Double.isFinite(v)) {
                return new Problem(field + "[" + i + "]", "must be a positive number, got " + v);
            }
        }
        return null;
    }

    /** hidden_size / num_attention_heads. */
    @JsonIgnore
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Rows of {@code qkv_proj}: (heads + 2·kv_heads)·head_dim. */
    @JsonIgnore
    public int qkvRows() {
        return (numAttentionHeads + 2 * numKeyValueHeads) * headDim();
    }

    @JsonIgnore
    public boolean hasLongRope() {
        return ropeScaling != null;
    }

    /**
     * The factor LongRoPE multiplies cos and sin by: {@code sqrt(1 + ln(max/orig) / ln(orig))} when
     * max_position_embeddings &gt; original_max_position_embeddings, else 1. It applies to both factor sets.
     * Without rope_scaling it is 1. (√2 for the tiny fixture 4096/64; √(17/12) for OmniGen-v1 131072/4096.)
     */
    @JsonIgnore
    public double ropeAttentionScale() {
        if (ropeScaling == null || maxPositionEmbeddings <= originalMaxPositionEmbeddings) {
            return 1.0;
        }
        double scale = (double) maxPositionEmbeddings / originalMaxPositionEmbeddings;
        return Math.sqrt(1 + Math.log(scale) / Math.log(originalMaxPositionEmbeddings));
    }

    /**
     * Whether a model call whose keys span {@code keyLength} positions (max position id + 1) uses the long factors:
     * strictly more than original_max_position_embeddings. Always false without LongRoPE.
     */
    public boolean usesLongFactors(long keyLength) {
        return ropeScaling != null && keyLength > originalMaxPositionEmbeddings;
    }

    /** The config as JSON with config.json's field names (rope_scaling null when absent). */
    public ObjectNode toJson() {
        return ConfigFields.JSON.valueToTree(this);
    }
}
