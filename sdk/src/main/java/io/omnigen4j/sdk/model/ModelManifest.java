package io.omnigen4j.sdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of an exported model folder (format: {@code onnx-models/README.md}). Everything the SDK
 * knows about a model comes from here; it never opens the original checkpoint.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("producer") String producer,
        @JsonProperty("graphs_revision") Integer graphsRevision,
        @JsonProperty("precision") String precision,
        @JsonProperty("quantization") Quantization quantization,
        @JsonProperty("vae_convolution") String vaeConvolution,
        @JsonProperty("attention_heads_per_node") Integer attentionHeadsPerNode,
        @JsonProperty("transformer") TransformerConfig transformer,
        @JsonProperty("vae") VaeSettings vae,
        @JsonProperty("omnigen") Constants omnigen,
        @JsonProperty("graphs") Map<String, Graph> graphs,
        @JsonProperty("tokenizer") Tokenizer tokenizer,
        @JsonProperty("files") List<FileEntry> files) {

    /** The manifest's file name inside a model folder. */
    public static final String FILE_NAME = "manifest.json";
    /** The value of the manifest's {@code format} field. */
    public static final String FORMAT = "omnigen4j-model";
    /** The manifest format version this SDK reads. */
    public static final int SUPPORTED_VERSION = 1;
    /** The graphs every model folder has, by manifest name. */
    public static final List<String> GRAPHS = List.of("token_embed", "image_embed", "step_embed", "transformer",
            "step_head", "vae_encoder", "vae_decoder");
    /**
     * The graph layouts this SDK runs: 3 = one decoder graph for prefill and steps (one copy of the weights), 4 = the
     * same with head-grouped attention (same inputs and outputs; a quarter of the attention memory), 5 = the same
     * with the past K/V concatenated before Attention (less memory held during a step), 6 = the same with each
     * layer's new K/V freed within the layer (3 GB less at 1024² for OmniGen-v1). Folders from older exporters
     * (separate prefill and step graphs) must be exported again.
     */
    public static final int MIN_GRAPHS_REVISION = 3;
    /** The newest graph layout this SDK runs (see {@link #MIN_GRAPHS_REVISION}). */
    public static final int MAX_GRAPHS_REVISION = 6;
    /**
     * The transformer precisions this SDK runs ({@code precision} in the manifest; absent in folders from before the
     * field means fp32): {@code fp32}, weight-only quantized {@code int8} / {@code int4}, and the GPU precisions
     * {@code fp16} / {@code bf16} (half-precision weights and compute, float32 graph inputs and outputs). fp16 runs
     * on the CPU provider, slowly; bf16 needs the CUDA provider (ONNX Runtime's CPU provider has no bfloat16 MatMul).
     */
    public static final List<String> PRECISIONS = List.of("fp32", "int8", "int4", "fp16", "bf16");

    /**
     * How the transformer's weights are quantized; null in fp32 folders (and folders from before the field). The
     * graphs carry everything ONNX Runtime needs: this is for display and reports.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Quantization(
            @JsonProperty("scheme") String scheme,
            @JsonProperty("bits") int bits,
            @JsonProperty("block_size") int blockSize,
            @JsonProperty("symmetric") boolean symmetric,
            @JsonProperty("accuracy_level") int accuracyLevel,
            @JsonProperty("embedding") String embedding) {
    }

    /**
     * The Phi-3 transformer's architecture, as in the checkpoint's {@code config.json}.
     *
     * @param hiddenSize width of the hidden states
     * @param layers number of decoder layers
     * @param heads query heads per layer
     * @param kvHeads key/value heads per layer (fewer than {@code heads} with grouped-query attention)
     * @param intermediateSize width of the MLP
     * @param vocabSize tokenizer vocabulary size
     * @param rmsNormEps epsilon of the RMS norms
     * @param ropeTheta RoPE base
     * @param maxPositionEmbeddings longest sequence with the long RoPE factors
     * @param originalMaxPositionEmbeddings longest sequence with the short factors
     * @param ropeScaling the LongRoPE factors, or null without scaling
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TransformerConfig(
            @JsonProperty("hidden_size") int hiddenSize,
            @JsonProperty("num_hidden_layers") int layers,
            @JsonProperty("num_attention_heads") int heads,
            @JsonProperty("num_key_value_heads") int kvHeads,
            @JsonProperty("intermediate_size") int intermediateSize,
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("rms_norm_eps") double rmsNormEps,
            @JsonProperty("rope_theta") double ropeTheta,
            @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
            @JsonProperty("original_max_position_embeddings") int originalMaxPositionEmbeddings,
            @JsonProperty("rope_scaling") RopeScaling ropeScaling) {

        /** {@return the width of one attention head: {@code hiddenSize / heads}} */
        public int headDim() {
            return hiddenSize / heads;
        }
    }

    /**
     * RoPE scaling of the transformer.
     * @param type the scaling kind as named in {@code config.json}
     * @param shortFactor per-frequency factors for sequences up to the original length
     * @param longFactor per-frequency factors for longer sequences
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RopeScaling(
            @JsonProperty("type") String type,
            @JsonProperty("short_factor") List<Double> shortFactor,
            @JsonProperty("long_factor") List<Double> longFactor) {
    }

    /**
     * The VAE's latent constants.
     * @param latentChannels channels of the latent
     * @param scalingFactor latents are multiplied by this after encoding and divided before decoding
     * @param shiftFactor subtracted before scaling, or null for none (SDXL's VAE has none)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record VaeSettings(
            @JsonProperty("latent_channels") int latentChannels,
            @JsonProperty("scaling_factor") double scalingFactor,
            @JsonProperty("shift_factor") Double shiftFactor) {
    }

    /**
     * OmniGen's fixed sizes.
     * @param posEmbedMaxSize side of the position embedding table in patches (192)
     * @param patchSize latent pixels per patch side (2)
     * @param latentChannels channels of the latent (4)
     * @param vaeDownscale image pixels per latent pixel (8)
     * @param padTokenId id of the padding token
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Constants(
            @JsonProperty("pos_embed_max_size") int posEmbedMaxSize,
            @JsonProperty("patch_size") int patchSize,
            @JsonProperty("latent_channels") int latentChannels,
            @JsonProperty("vae_downscale") int vaeDownscale,
            @JsonProperty("pad_token_id") int padTokenId) {
    }

    /**
     * One graph of the folder.
     *
     * @param file      the {@code .onnx} file, relative to the folder
     * @param dataFiles the external-data files its tensors may point at (relative to the folder); null if none
     * @param inputs    its inputs as the exporter recorded them (null in manifests without them)
     * @param outputs   its outputs as the exporter recorded them (null in manifests without them)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Graph(
            @JsonProperty("file") String file,
            @JsonProperty("data_files") List<String> dataFiles,
            @JsonProperty("inputs") List<TensorInfo> inputs,
            @JsonProperty("outputs") List<TensorInfo> outputs) {
    }

    /**
     * A graph input or output as recorded in the manifest.
     *
     * @param name  the ONNX value name
     * @param dtype element type, e.g. {@code float32}, {@code int64}
     * @param dims  a {@link Long} per fixed size, a {@link String} per symbolic dimension
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TensorInfo(
            @JsonProperty("name") String name,
            @JsonProperty("dtype") String dtype,
            @JsonProperty("dims") List<Object> dims) {
    }

    /**
     * The tokenizer files.
     *
     * @param file       {@code tokenizer.json}, relative to the folder
     * @param extraFiles other tokenizer files copied from the checkpoint (may be null)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tokenizer(@JsonProperty("file") String file,
                            @JsonProperty("extra_files") List<String> extraFiles) {
    }

    /**
     * One file of the folder with its size and checksums.
     *
     * @param path         relative to the folder
     * @param bytes        its size
     * @param sha256       SHA-256 of the whole file (hex)
     * @param sampleSha256 SHA-256 of fixed windows of the file ({@link IntegrityCheck#SAMPLED}; hex), or null in
     *                     manifests written before it was recorded
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(
            @JsonProperty("path") String path,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("sample_sha256") String sampleSha256) {
    }

    /**
     * Reads and validates {@code folder/manifest.json} and the folder it describes, exactly as {@link
     * ModelFolder#open(Path, IntegrityCheck)} with {@link IntegrityCheck#SIZES}: every field present with its type,
     * every path confined to the folder, every file present with the size the manifest records, every graph's inputs,
     * outputs and external data checked. Checksums are not computed.
     *
     * @param folder the model folder
     * @return the validated manifest
     * @throws ModelFolderException naming the field, file or graph that is wrong
     */
    public static ModelManifest read(Path folder) throws ModelFolderException {
        return ModelFolder.open(folder, IntegrityCheck.SIZES).manifest();
    }
}
