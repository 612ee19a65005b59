package io.omnigen4j.export.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code transformer/config.json} of the diffusers layout of OmniGen ({@code OmniGenTransformer2DModel}, as
 * {@code Shitao/OmniGen-v1-diffusers} has it), mapped to the {@link Phi3Config} the exporter builds graphs from.
 *
 * <p>Renamed fields: {@code num_layers} → {@code num_hidden_layers}, {@code rope_base} → {@code rope_theta}; the
 * other sizes, {@code rms_norm_eps}, {@code max_position_embeddings}, {@code original_max_position_embeddings} and
 * {@code rope_scaling} keep their names. The feed-forward is SiLU-gated by construction, so {@code hidden_act} is
 * {@code silu}. These are required: diffusers would fill a missing one with its current default, which could differ
 * between diffusers versions and would silently change the model.
 *
 * <p>Fields whose value is fixed in the exported graphs ({@code patch_size} 2, {@code pos_embed_max_size} 192,
 * {@code time_step_dim} 256, {@code flip_sin_to_cos} true, {@code downscale_freq_shift} 0,
 * {@code timestep_activation_fn} "silu": OmniGen's own timestep embedding {@code [cos | sin]} with frequencies
 * {@code exp(-ln(10000)·j/128)}) may be absent, meaning diffusers' default (the same value); any other value is
 * rejected. {@code in_channels} (default 4) must equal the VAE's {@code latent_channels}, checked by the caller.
 * {@code rope_scaling} is required: diffusers' OmniGen always applies LongRoPE (its rotary class indexes
 * {@code short_factor}/{@code long_factor} unconditionally, whatever {@code type} says), so a missing {@code type}
 * is read as LongRoPE and a {@code type} other than {@code su}/{@code longrope} is rejected as contradictory.
 * {@code pad_token_id} only affects training and is ignored; keys starting with {@code _} are diffusers'
 * bookkeeping. Any other key is rejected: a parameter this exporter does not know could change the computation.
 *
 * @param phi3       the transformer configuration in the exporter's terms
 * @param inChannels {@code in_channels}: latent channels the patch embedders read and the output projection writes
 */
public record DiffusersTransformerConfig(Phi3Config phi3, int inChannels) {

    /** Path of the file inside a diffusers-layout checkpoint folder. */
    public static final String FILE_NAME = "transformer/config.json";
    /** The diffusers class whose configuration this is. */
    public static final String CLASS_NAME = "OmniGenTransformer2DModel";

    /** Every parameter of {@code OmniGenTransformer2DModel.__init__}: unchanged from diffusers 0.33 (its first) to 0.40. */
    static final Set<String> KNOWN = Set.of("in_channels", "patch_size", "hidden_size", "rms_norm_eps",
            "num_attention_heads", "num_key_value_heads", "intermediate_size", "num_layers", "pad_token_id",
            "vocab_size", "max_position_embeddings", "original_max_position_embeddings", "rope_base", "rope_scaling",
            "pos_embed_max_size", "time_step_dim", "flip_sin_to_cos", "downscale_freq_shift",
            "timestep_activation_fn");

    private static final Set<String> ROPE_SCALING_KEYS = Set.of("type", "rope_type", "short_factor", "long_factor");
    /** Phi-3 names in {@link Phi3Config}'s messages → the diffusers names a user sees in the file. */
    private static final Map<String, String> RENAMED = Map.of("num_hidden_layers", "num_layers",
            "rope_theta", "rope_base");

    /**
     * Validates the components.
     *
     * @param phi3       the transformer configuration, non-null
     * @param inChannels latent channels, positive
     */
    public DiffusersTransformerConfig {
        java.util.Objects.requireNonNull(phi3, "phi3");
        if (inChannels <= 0) {
            throw new IllegalArgumentException("in_channels must be positive, got " + inChannels);
        }
    }

    /**
     * Reads and maps {@code transformer/config.json} of a diffusers-layout checkpoint folder.
     *
     * @param checkpointDir the folder holding {@code model_index.json} and {@code transformer/}
     * @return the mapped configuration
     * @throws ConfigException naming the file and the field when it is missing, malformed or not exportable
     */
    public static DiffusersTransformerConfig readFromCheckpoint(Path checkpointDir) throws ConfigException {
        return read(checkpointDir.resolve(FILE_NAME));
    }

    /**
     * Reads and maps a diffusers {@code OmniGenTransformer2DModel} config file.
     *
     * @param configJson the file
     * @return the mapped configuration
     * @throws ConfigException naming the file and the field when it is missing, malformed or not exportable
     */
    public static DiffusersTransformerConfig read(Path configJson) throws ConfigException {
        return parse(ConfigFields.readFile(configJson, "the diffusers transformer configuration"));
    }

    /**
     * Maps the object form of a diffusers transformer config.
     *
     * @param node   the JSON object
     * @param source names it in errors
     * @return the mapped configuration
     * @throws ConfigException naming the source and the field when a value is missing, malformed or not exportable
     */
    public static DiffusersTransformerConfig fromJson(JsonNode node, String source) throws ConfigException {
        return parse(ConfigFields.of(node, source));
    }

    private static DiffusersTransformerConfig parse(ConfigFields f) throws ConfigException {
        for (String k : f.fieldNames()) {
            if (!k.startsWith("_") && !KNOWN.contains(k)) {
                throw f.error(k, "is not a parameter of diffusers' " + CLASS_NAME + " this exporter knows; it may"
                        + " change the computation, so the checkpoint is refused rather than exported without it");
            }
        }
        if (!f.isNull("_class_name") && !CLASS_NAME.equals(f.requireString("_class_name"))) {
            throw f.error("_class_name", "must be \"" + CLASS_NAME + "\", got \"" + f.requireString("_class_name")
                    + "\"; this folder is not an OmniGen transformer");
        }
        requireFixed(f, "patch_size", 2);
        requireFixed(f, "pos_embed_max_size", 192);
        requireFixed(f, "time_step_dim", 256);
        requireFixed(f, "downscale_freq_shift", 0);
        if (!f.optionalBoolean("flip_sin_to_cos", true)) {
            throw f.error("flip_sin_to_cos", "must be true: OmniGen's timestep features are [cos | sin]");
        }
        String act = f.optionalString("timestep_activation_fn", "silu");
        if (!"silu".equals(act)) {
            throw f.error("timestep_activation_fn", "must be \"silu\" (OmniGen's timestep MLPs), got \"" + act + "\"");
        }
        int inChannels = f.optionalInt("in_channels", 4);
        if (inChannels <= 0) {
            throw f.error("in_channels", "must be positive, got " + inChannels);
        }
        int hidden = f.requireInt("hidden_size");
        int layers = f.requireInt("num_layers");
        int heads = f.requireInt("num_attention_heads");
        int kvHeads = f.requireInt("num_key_value_heads");
        int intermediate = f.requireInt("intermediate_size");
        int vocab = f.requireInt("vocab_size");
        double eps = f.requireNumber("rms_norm_eps");
        double theta = f.requireNumber("rope_base");
        int maxPos = f.requireInt("max_position_embeddings");
        int origMaxPos = f.requireInt("original_max_position_embeddings");
        RopeScaling rope = ropeScaling(f);
        try {
            return new DiffusersTransformerConfig(new Phi3Config(hidden, layers, heads, kvHeads, intermediate, vocab,
                    eps, theta, "silu", maxPos, origMaxPos, rope), inChannels);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage().replace("Phi3Config: ", "");
            for (Map.Entry<String, String> r : RENAMED.entrySet()) {
                msg = msg.replace("'" + r.getKey() + "'", "'" + r.getValue() + "'");
            }
            throw new ConfigException(f.source(), "is not exportable: " + msg, e);
        }
    }

    private static void requireFixed(ConfigFields f, String field, int value) throws ConfigException {
        if (f.isNull(field)) {
            return;
        }
        Double v = f.optionalNumber(field);
        if (v == null || v != value) {
            throw f.error(field, "must be " + value + " (fixed in OmniGen and in the exported graphs), got "
                    + v);
        }
    }

    private static RopeScaling ropeScaling(ConfigFields root) throws ConfigException {
        ConfigFields r = root.optionalObject("rope_scaling");
        if (r == null) {
            throw root.error("rope_scaling", "is required: diffusers' " + CLASS_NAME + " always applies LongRoPE"
                    + " with its short_factor and long_factor");
        }
        for (String k : r.fieldNames()) {
            if (!ROPE_SCALING_KEYS.contains(k)) {
                throw r.error(k, "is not supported: LongRoPE takes only type, short_factor and long_factor");
            }
        }
        String type = null;
        for (String k : List.of("type", "rope_type")) {
            String t = r.optionalString(k, null);
            if (t != null && !RopeScaling.LONGROPE_TYPES.contains(t)) {
                throw r.error(k, "\"" + t + "\" contradicts diffusers' " + CLASS_NAME + ", which always applies"
                        + " LongRoPE (\"su\"/\"longrope\")");
            }
            if (type == null) {
                type = t;
            }
        }
        // Diffusers ignores the type: absent means the LongRoPE it applies anyway, written as OmniGen-v1 spells it.
        return new RopeScaling(type == null ? "su" : type, r.requireNumberList("short_factor"),
                r.requireNumberList("long_factor"));
    }
}
