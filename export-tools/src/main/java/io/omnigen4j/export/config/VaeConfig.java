package io.omnigen4j.export.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.List;

/**
 * The VAE of an OmniGen checkpoint: the diffusers {@code AutoencoderKL} fields of {@code vae/config.json}, checked
 * against what the VAE graphs implement (DownEncoderBlock2D / UpDecoderBlock2D stacks, SiLU, GroupNorm).
 *
 * <p>Required: {@code in_channels}, {@code out_channels}, {@code latent_channels}, {@code block_out_channels},
 * {@code layers_per_block}, {@code norm_num_groups}, {@code down_block_types}, {@code up_block_types},
 * {@code scaling_factor} (diffusers' default 0.18215 would be wrong for the SDXL VAE OmniGen uses).
 * Defaults, the same as diffusers' {@code AutoencoderKL.__init__} and needed because configs written by older
 * diffusers versions (such as the public SDXL VAE's) omit these fields:
 * <ul>
 *   <li>{@code act_fn}: "silu"</li>
 *   <li>{@code shift_factor}: null (no shift)</li>
 *   <li>{@code mid_block_add_attention}, {@code use_quant_conv}, {@code use_post_quant_conv}: true</li>
 *   <li>{@code sample_size}: 32 (informational; the graphs take any size)</li>
 * </ul>
 * {@code _class_name}, when present, must be {@code AutoencoderKL}. {@code latents_mean}/{@code latents_std} and
 * {@code force_upcast} are ignored: OmniGen's pipeline does not use them.
 *
 * <p>Serialises with Jackson under the config file's snake_case names ({@link #toJson()}).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"in_channels", "out_channels", "latent_channels", "block_out_channels", "layers_per_block",
        "norm_num_groups", "act_fn", "down_block_types", "up_block_types", "scaling_factor", "shift_factor",
        "mid_block_add_attention", "use_quant_conv", "use_post_quant_conv", "sample_size"})
public record VaeConfig(
        @JsonProperty("in_channels") int inChannels,
        @JsonProperty("out_channels") int outChannels,
        @JsonProperty("latent_channels") int latentChannels,
        @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
        @JsonProperty("layers_per_block") int layersPerBlock,
        @JsonProperty("norm_num_groups") int normNumGroups,
        @JsonProperty("act_fn") String actFn,
        @JsonProperty("down_block_types") List<String> downBlockTypes,
        @JsonProperty("up_block_types") List<String> upBlockTypes,
        @JsonProperty("scaling_factor") double scalingFactor,
        @JsonProperty("shift_factor") Double shiftFactor,
        @JsonProperty("mid_block_add_attention") boolean midBlockAddAttention,
        @JsonProperty("use_quant_conv") boolean useQuantConv,
        @JsonProperty("use_post_quant_conv") boolean usePostQuantConv,
        @JsonProperty("sample_size") int sampleSize) {

    /** Path of the file inside a checkpoint folder. */
    public static final String FILE_NAME = "vae/config.json";
    public static final String DOWN_BLOCK = "DownEncoderBlock2D";
    public static final String UP_BLOCK = "UpDecoderBlock2D";
    /** Epsilon of every VAE GroupNorm (fixed in diffusers' encoder/decoder, not a config field). */
    public static final double GROUP_NORM_EPS = 1e-6;

    /** Validates; a violation is an {@link IllegalArgumentException} naming the field (use {@link #fromJson} for files). */
    public VaeConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        Problem p = check(inChannels, outChannels, latentChannels, blockOutChannels, layersPerBlock, normNumGroups,
                actFn, downBlockTypes, upBlockTypes, scalingFactor, shiftFactor, sampleSize);
        if (p != null) {
            throw p.toIllegalArgument("VaeConfig");
        }
    }

    /** Reads {@code vae/config.json} of a checkpoint folder. */
    public static VaeConfig readFromCheckpoint(Path checkpointDir) throws ConfigException {
        return read(checkpointDir.resolve(FILE_NAME));
    }

    /** Reads and validates a diffusers AutoencoderKL config; errors name the file and the field. */
    public static VaeConfig read(Path configJson) throws ConfigException {
        return parse(ConfigFields.readFile(configJson, "the VAE configuration"));
    }

    /** Reads the object form (a vae/config.json tree or the manifest's embedded copy). */
    public static VaeConfig fromJson(JsonNode node, String source) throws ConfigException {
        return parse(ConfigFields.of(node, source));
    }

    private static VaeConfig parse(ConfigFields f) throws ConfigException {
        if (!f.isNull("_class_name") && !"AutoencoderKL".equals(f.requireString("_class_name"))) {
            throw f.error("_class_name", "must be \"AutoencoderKL\", got \"" + f.requireString("_class_name") + "\"");
        }
        int in = f.requireInt("in_channels");
        int out = f.requireInt("out_channels");
        int latent = f.requireInt("latent_channels");
        List<Integer> boc = f.requireIntList("block_out_channels");
        int lpb = f.requireInt("layers_per_block");
        int groups = f.requireInt("norm_num_groups");
        String act = f.optionalString("act_fn", "silu");
        List<String> down = f.requireStringList("down_block_types");
        List<String> up = f.requireStringList("up_block_types");
        double scaling = f.requireNumber("scaling_factor");
        Double shift = f.optionalNumber("shift_factor");
        boolean midAttn = f.optionalBoolean("mid_block_add_attention", true);
        boolean quant = f.optionalBoolean("use_quant_conv", true);
        boolean postQuant = f.optionalBoolean("use_post_quant_conv", true);
        int sample = f.optionalInt("sample_size", 32);
        Problem p = check(in, out, latent, boc, lpb, groups, act, down, up, scaling, shift, sample);
        if (p != null) {
            throw p.toException(f.source());
        }
        return new VaeConfig(in, out, latent, boc, lpb, groups, act, down, up, scaling, shift, midAttn, quant,
                postQuant, sample);
    }

    private static Problem check(int in, int out, int latent, List<Integer> boc, int lpb, int groups, String act,
                                 List<String> down, List<String> up, double scaling, Double shift, int sample) {
        if (in <= 0) {
            return new Problem("in_channels", "must be positive, got " + in);
        }
        if (out <= 0) {
            return new Problem("out_channels", "must be positive, got " + out);
        }
        if (latent <= 0) {
            return new Problem("latent_channels", "must be positive, got " + latent);
        }
        if (groups <= 0) {
            return new Problem("norm_num_groups", "must be positive, got " + groups);
        }
        if (boc.isEmpty()) {
            return new Problem("block_out_channels", "must not be empty");
        }
        for (int i = 0; i < boc.size(); i++) {
            int c = boc.get(i);
            if (c <= 0 || c % groups != 0) {
                return new Problem("block_out_channels[" + i + "]", "must be a positive multiple of norm_num_groups "
                        + groups + " (GroupNorm), got " + c);
            }
        }
        if (lpb <= 0) {
            return new Problem("layers_per_block", "must be positive, got " + lpb);
        }
        if (!"silu".equals(act)) {
            return new Problem("act_fn", "must be \"silu\" (the VAE graphs implement only SiLU), got \"" + act + "\"");
        }
        Problem p = checkBlocks("down_block_types", down, DOWN_BLOCK, boc.size());
        if (p == null) {
            p = checkBlocks("up_block_types", up, UP_BLOCK, boc.size());
        }
        if (p != null) {
            return p;
        }
        if (!(scaling > 0) || !Double.isFinite(scaling)) {
            return new Problem("scaling_factor", "must be a positive number, got " + scaling);
        }
        if (shift != null && !Double.isFinite(shift)) {
            return new Problem("shift_factor", "must be a finite number or null, got " + shift);
        }
        if (sample <= 0) {
            return new Problem("sample_size", "must be positive, got " + sample);
        }
        return null;
    }

    private static Problem checkBlocks(String field, List<String> types, String expected, int count) {
        if (types.size() != count) {
            return new Problem(field, "must have one entry per block_out_channels entry (" + count + "), got "
                    + types.size());
        }
        for (int i = 0; i < types.size(); i++) {
            if (!expected.equals(types.get(i))) {
                return new Problem(field + "[" + i + "]", "must be \"" + expected + "\", got \"" + types.get(i) + "\"");
            }
        }
        return null;
    }

    /** Number of down (= up) blocks. */
    @JsonIgnore
    public int blockCount() {
        return blockOutChannels.size();
    }

    /** Pixels per latent cell along each axis: 2^(blocks − 1) (8 for SDXL's four blocks). */
    @JsonIgnore
    public int downsampleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    /** The config as JSON with vae/config.json's field names (shift_factor null when absent). */
    public ObjectNode toJson() {
        return ConfigFields.JSON.valueToTree(this);
    }
}
