package io.omnigen4j.sdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
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

    public static final String FILE_NAME = "manifest.json";
    public static final String FORMAT = "omnigen4j-model";
    public static final int SUPPORTED_VERSION = 1;
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
    public static final int MAX_GRAPHS_REVISION = 6;

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

        public int headDim() {
            return hiddenSize / heads;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RopeScaling(
            @JsonProperty("type") String type,
            @JsonProperty("short_factor") List<Double> shortFactor,
            @JsonProperty("long_factor") List<Double> longFactor) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record VaeSettings(
            @JsonProperty("latent_channels") int latentChannels,
            @JsonProperty("scaling_factor") double scalingFactor,
            @JsonProperty("shift_factor") Double shiftFactor) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Constants(
            @JsonProperty("pos_embed_max_size") int posEmbedMaxSize,
            @JsonProperty("patch_size") int patchSize,
            @JsonProperty("latent_channels") int latentChannels,
            @JsonProperty("vae_downscale") int vaeDownscale,
            @JsonProperty("pad_token_id") int padTokenId) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Graph(
            @JsonProperty("file") String file,
            @JsonProperty("data_files") List<String> dataFiles) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tokenizer(@JsonProperty("file") String file) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(
            @JsonProperty("path") String path,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("sha256") String sha256) {
    }

    /**
     * Reads and validates {@code folder/manifest.json}: format, version, every graph and file present with the
     * size the manifest records. Checksums are verified only on request ({@link ModelFolder#verifyChecksums}).
     */
    public static ModelManifest read(Path folder) throws ModelFolderException {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isDirectory(folder)) {
            throw new ModelFolderException("model folder " + folder + " does not exist; export a checkpoint first"
                    + " (omnigen export --checkpoint DIR --out " + folder + ")");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFolderException(folder + " has no " + FILE_NAME + "; it is not an exported OmniGen4J model"
                    + " folder (export one with: omnigen export --checkpoint DIR --out DIR)");
        }
        ModelManifest m;
        try {
            m = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                    .readValue(file.toFile(), ModelManifest.class);
        } catch (IOException e) {
            throw new ModelFolderException(file + " cannot be read: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(m.format())) {
            throw new ModelFolderException(file + ": format is '" + m.format() + "', expected '" + FORMAT + "'");
        }
        if (m.formatVersion() != SUPPORTED_VERSION) {
            throw new ModelFolderException(file + ": format version " + m.formatVersion() + " is not supported by"
                    + " this SDK (supports " + SUPPORTED_VERSION + "); re-export the model with a matching exporter");
        }
        if (m.transformer() == null || m.vae() == null || m.omnigen() == null || m.graphs() == null
                || m.tokenizer() == null) {
            throw new ModelFolderException(file + " is incomplete (transformer, vae, omnigen, graphs, tokenizer)");
        }
        int revision = m.graphsRevision() == null ? 1 : m.graphsRevision();
        if (revision < MIN_GRAPHS_REVISION || revision > MAX_GRAPHS_REVISION) {
            throw new ModelFolderException(file + ": graphs revision " + revision + " was written by "
                    + (revision < MIN_GRAPHS_REVISION ? "an older" : "a newer") + " exporter (" + m.producer()
                    + "); this SDK runs revisions " + MIN_GRAPHS_REVISION + "–" + MAX_GRAPHS_REVISION + " (one"
                    + " decoder graph shared by prefill and steps) — export the checkpoint again with this version's"
                    + " exporter");
        }
        for (String g : GRAPHS) {
            if (!m.graphs().containsKey(g)) {
                throw new ModelFolderException(file + " lists no graph '" + g + "'; re-export the model");
            }
        }
        if (m.files() != null) {
            for (FileEntry f : m.files()) {
                Path p = folder.resolve(f.path());
                try {
                    if (!Files.isRegularFile(p) || Files.size(p) != f.bytes()) {
                        throw new ModelFolderException(folder + ": file " + f.path() + " is missing or has the wrong"
                                + " size (manifest: " + f.bytes() + " bytes); the folder is incomplete or was"
                                + " modified — re-export or copy it again");
                    }
                } catch (IOException e) {
                    throw new ModelFolderException(p + " cannot be read: " + e.getMessage(), e);
                }
            }
        }
        return m;
    }
}
