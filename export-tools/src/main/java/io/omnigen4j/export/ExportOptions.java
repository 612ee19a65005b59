package io.omnigen4j.export;

import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.graphs.WeightFormat;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to export and where. Built with {@link #builder(Path, Path)}; {@link Builder#build()} validates.
 *
 * @param checkpoint checkpoint folder in the original or the diffusers layout (see
 *                   {@link io.omnigen4j.export.checkpoint.CheckpointFolder})
 * @param output     the model folder to create
 * @param precision  weight precision of the transformer: {@link Precision#FP32}, {@link Precision#INT8} /
 *                   {@link Precision#INT4} weight-only quantization (activations stay float32), or
 *                   {@link Precision#FP16} / {@link Precision#BF16} weights and compute for GPUs; the VAE stays fp32
 * @param transformerWeights how the transformer's linear weights (and token embedding) are stored: derived from
 *                   {@code precision} and the quantization settings; {@link WeightFormat#FP32} for fp32
 * @param vaeConvolution how the VAE graphs write their 3×3 convolutions (default Winograd: VAE about 1.6× faster on
 *                   the CPU; vae.weights about 3.8× larger for the SDXL VAE)
 * @param attentionHeadsPerNode at most this many query heads per Attention node of the decoder (default
 *                   {@link io.omnigen4j.export.graphs.TransformerGraphs#DEFAULT_HEADS_PER_ATTENTION}): ONNX Runtime's CPU
 *                   kernel holds the scores of a node's heads at once and runs one thread per head, so fewer heads
 *                   per node is less memory and less attention parallelism
 * @param force      replace an existing output folder
 * @param allowUnusedTensors export even when the checkpoint holds tensors the graphs do not read (they are left
 *                   out and listed in the progress); by default that is a {@link CheckpointValidationException}
 * @param progress   receives one line per export stage (never null)
 */
public record ExportOptions(Path checkpoint, Path output, Precision precision, WeightFormat transformerWeights,
                            VaeGraphs.Convolution vaeConvolution, int attentionHeadsPerNode, boolean force,
                            boolean allowUnusedTensors, Consumer<String> progress) {

    /** Weight precision of the exported graphs. */
    public enum Precision {
        /** float32 weights (default). */
        FP32,
        /** int8 blocks with float scales (MatMulNBits). */
        INT8,
        /** int4 blocks with float scales (MatMulNBits). */
        INT4,
        /**
         * float16 weights and compute for GPUs (norms, softmax and the residual stream in float32; graph inputs and
         * outputs float32). Runs on ONNX Runtime's CPU provider too, but slower than fp32.
         */
        FP16,
        /**
         * bfloat16 weights and compute for GPUs (same float32 parts as {@link #FP16}). ONNX Runtime's CPU provider
         * has no bfloat16 MatMul: such a model loads only with the CUDA provider.
         */
        BF16;

        /**
         * Parses the command-line spelling, any case.
         * @param s {@code "fp32"}, {@code "int8"}, {@code "int4"}, …
         * @return the precision
         * @throws IllegalArgumentException naming the accepted values
         */
        public static Precision parse(String s) {
            for (Precision p : values()) {
                if (p.name().equalsIgnoreCase(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown precision '" + s + "'; use fp32, int8, int4, fp16 or bf16");
        }

        /**
         * Manifest and command-line spelling: "fp32", "int8", …
         * @return the lower-case name
         */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Starts export options with the defaults (fp32, Winograd VAE convolutions, 8 heads per attention node).
     * @param checkpoint the checkpoint folder (original or diffusers layout)
     * @param output the model folder to write; must not exist unless {@link Builder#force(boolean)} is set
     * @return a new builder
     */
    public static Builder builder(Path checkpoint, Path output) {
        return new Builder(checkpoint, output);
    }

    /** Collects the export settings; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {
        private final Path checkpoint;
        private final Path output;
        private Precision precision = Precision.FP32;
        private Integer blockSize;
        private Boolean symmetric;
        private Integer accuracyLevel;
        private Boolean quantizeEmbedding;
        private VaeGraphs.Convolution vaeConvolution = VaeGraphs.Convolution.WINOGRAD;
        private int attentionHeadsPerNode = io.omnigen4j.export.graphs.TransformerGraphs.DEFAULT_HEADS_PER_ATTENTION;
        private boolean force;
        private boolean allowUnusedTensors;
        private Consumer<String> progress = s -> { };

        private Builder(Path checkpoint, Path output) {
            this.checkpoint = checkpoint;
            this.output = output;
        }

        /**
         * Sets the weight precision.
         * @param p not null; default {@link Precision#FP32}
         * @return this builder
         */
        public Builder precision(Precision p) {
            this.precision = Objects.requireNonNull(p, "precision");
            return this;
        }

        /**
         * Values per quantization block (power of two ≥ 16); default per precision ({@link WeightFormat#defaults}).
         *
         * @param blockSize values per block
         * @return this builder
         */
        public Builder quantBlockSize(int blockSize) {
            this.blockSize = blockSize;
            return this;
        }

        /**
         * Symmetric blocks (no zero points) or asymmetric ones (a zero point per block).
         *
         * @param symmetric true for symmetric blocks; default per precision
         * @return this builder
         */
        public Builder quantSymmetric(boolean symmetric) {
            this.symmetric = symmetric;
            return this;
        }

        /**
         * MatMulNBits' accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 compute.
         *
         * @param level 0 to 4; default per precision
         * @return this builder
         */
        public Builder quantAccuracyLevel(int level) {
            this.accuracyLevel = level;
            return this;
        }

        /**
         * Whether the token embedding table is quantized too (GatherBlockQuantized) or kept float32.
         *
         * @param quantize default per precision
         * @return this builder
         */
        public Builder quantizeEmbedding(boolean quantize) {
            this.quantizeEmbedding = quantize;
            return this;
        }

        /**
         * Chooses how the VAE's 3×3 convolutions are exported: Winograd (faster on CPUs, default) or direct.
         * @param c not null
         * @return this builder
         */
        public Builder vaeConvolution(VaeGraphs.Convolution c) {
            this.vaeConvolution = Objects.requireNonNull(c, "vaeConvolution");
            return this;
        }

        /**
         * At most this many query heads per decoder Attention node (≥ 1; rounded down to keep whole GQA groups).
         *
         * @param heads at least 1; default 8
         * @return this builder
         */
        public Builder attentionHeadsPerNode(int heads) {
            this.attentionHeadsPerNode = heads;
            return this;
        }

        /**
         * Replaces an existing output folder instead of failing.
         * @param f default false
         * @return this builder
         */
        public Builder force(boolean f) {
            this.force = f;
            return this;
        }

        /**
         * Exports even when the checkpoint holds tensors the graphs do not read (say a config with fewer layers
         * than the weights): they are left out and listed in the progress instead of failing the export with a
         * {@link CheckpointValidationException} ({@code UNUSED_TENSORS}).
         *
         * @param allow default false
         * @return this builder
         */
        public Builder allowUnusedTensors(boolean allow) {
            this.allowUnusedTensors = allow;
            return this;
        }

        /**
         * Receives one line per export stage.
         * @param listener not null; default ignores the lines
         * @return this builder
         */
        public Builder progress(Consumer<String> listener) {
            this.progress = Objects.requireNonNull(listener, "progress");
            return this;
        }

        /**
         * Validates the settings and fills the precision's quantization defaults.
         * @return the immutable options
         * @throws IllegalArgumentException naming the setting that is wrong
         */
        public ExportOptions build() {
            if (checkpoint == null) {
                throw new IllegalArgumentException("checkpoint folder is required");
            }
            if (output == null) {
                throw new IllegalArgumentException("output folder is required");
            }
            WeightFormat weights = switch (precision) {
                case FP32, FP16, BF16 -> {
                    if (blockSize != null || symmetric != null || accuracyLevel != null || quantizeEmbedding != null) {
                        throw new IllegalArgumentException("quantization settings (block size, symmetric, accuracy"
                                + " level, embedding) apply to int8 and int4 only; precision is " + precision.id());
                    }
                    yield precision == Precision.FP32 ? WeightFormat.FP32
                            : precision == Precision.FP16 ? WeightFormat.FP16 : WeightFormat.BF16;
                }
                case INT8, INT4 -> {
                    WeightFormat d = WeightFormat.defaults(precision == Precision.INT8 ? 8 : 4);
                    yield new WeightFormat(d.bits(), blockSize != null ? blockSize : d.blockSize(),
                            symmetric != null ? symmetric : d.symmetric(),
                            accuracyLevel != null ? accuracyLevel : d.accuracyLevel(),
                            quantizeEmbedding != null ? quantizeEmbedding : d.quantizeEmbedding());
                }
            };
            if (attentionHeadsPerNode < 1) {
                throw new IllegalArgumentException("attention heads per node must be ≥ 1, got " + attentionHeadsPerNode);
            }
            if (checkpoint.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("output folder must differ from the checkpoint folder");
            }
            return new ExportOptions(checkpoint, output, precision, weights, vaeConvolution, attentionHeadsPerNode,
                    force, allowUnusedTensors, progress);
        }
    }
}
