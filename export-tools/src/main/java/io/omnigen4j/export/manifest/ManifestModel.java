package io.omnigen4j.export.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of an exported model folder: the whole contract between exporter and SDK (format in
 * {@code onnx-models/README.md}). The SDK reads it with its own records and never opens the checkpoint.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestModel(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("producer") String producer,
        @JsonProperty("graphs_revision") int graphsRevision,
        @JsonProperty("precision") String precision,
        @JsonProperty("quantization") Quantization quantization,
        @JsonProperty("vae_convolution") String vaeConvolution,
        @JsonProperty("attention_heads_per_node") Integer attentionHeadsPerNode,
        @JsonProperty("transformer") JsonNode transformerConfig,
        @JsonProperty("vae") JsonNode vaeConfig,
        @JsonProperty("omnigen") OmniGenConstants omnigen,
        @JsonProperty("graphs") Map<String, GraphEntry> graphs,
        @JsonProperty("tokenizer") TokenizerEntry tokenizer,
        @JsonProperty("files") List<FileEntry> files) {

    public static final String FORMAT = "omnigen4j-model";
    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "manifest.json";
    /**
     * How the exporter builds its graphs, raised whenever the same checkpoint would export to different graphs
     * (numerically equivalent ones included), so tools can tell a folder made by an older exporter. 1: fused
     * q/k/v and gate/up projections with Split (absent in folders from before the field); 2: one MatMul each;
     * 3: one decoder graph (`transformer`) for prefill and steps, with `step_embed` and `step_head` around it;
     * 4: the same with attention in groups of at most 8 heads (same inputs and outputs as 3); 5: the past K/V
     * concatenated before Attention instead of passed as its past (no unused present outputs held during a run); 6: the
     * present K/V feed the attention's key/value sequence, so each layer's new K/V are freed with the layer.
     */
    public static final int GRAPHS_REVISION = 6;

    /**
     * How the transformer's weights are quantized (absent for fp32 folders): the scheme of its linear layers and
     * what the token embedding is.
     *
     * @param scheme        "MatMulNBits" (ONNX Runtime contrib operator, domain com.microsoft)
     * @param bits          8 or 4
     * @param blockSize     weights per block along the input dimension
     * @param symmetric     true: no zero points (code midpoint 2^(bits−1)); false: a uint8 zero point per block
     * @param accuracyLevel MatMulNBits' accuracy_level (4: int8 compute)
     * @param embedding     "GatherBlockQuantized int8" / "GatherBlockQuantized int4", or "fp32"
     */
    public record Quantization(
            @JsonProperty("scheme") String scheme,
            @JsonProperty("bits") int bits,
            @JsonProperty("block_size") int blockSize,
            @JsonProperty("symmetric") boolean symmetric,
            @JsonProperty("accuracy_level") int accuracyLevel,
            @JsonProperty("embedding") String embedding) {
    }

    /** OmniGen's fixed architecture constants (not in config.json). */
    public record OmniGenConstants(
            @JsonProperty("pos_embed_max_size") int posEmbedMaxSize,
            @JsonProperty("patch_size") int patchSize,
            @JsonProperty("latent_channels") int latentChannels,
            @JsonProperty("vae_downscale") int vaeDownscale,
            @JsonProperty("time_features") int timeFeatures,
            @JsonProperty("pad_token_id") int padTokenId,
            @JsonProperty("kv_cache_layout") String kvCacheLayout) {
    }

    public record GraphEntry(
            @JsonProperty("file") String file,
            @JsonProperty("data_files") List<String> dataFiles,
            @JsonProperty("inputs") List<TensorEntry> inputs,
            @JsonProperty("outputs") List<TensorEntry> outputs) {
    }

    /** dims: numbers for fixed sizes, strings for symbolic ones. */
    public record TensorEntry(
            @JsonProperty("name") String name,
            @JsonProperty("dtype") String dtype,
            @JsonProperty("dims") List<Object> dims) {
    }

    public record TokenizerEntry(
            @JsonProperty("file") String file,
            @JsonProperty("extra_files") List<String> extraFiles) {
    }

    /**
     * One file of the folder.
     *
     * @param sampleSha256 {@link SampledDigest} of the file, checked by the SDK at every load (null: not recorded)
     */
    public record FileEntry(
            @JsonProperty("path") String path,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("sample_sha256") String sampleSha256) {

        /** An entry without a sampled digest. */
        public FileEntry(String path, long bytes, String sha256) {
            this(path, bytes, sha256, null);
        }
    }
}
