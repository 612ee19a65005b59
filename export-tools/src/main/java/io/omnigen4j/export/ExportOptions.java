package io.omnigen4j.export;

import io.omnigen4j.export.graphs.VaeGraphs;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to export and where. Built with {@link #builder(Path, Path)}; {@link Builder#build()} validates.
 *
 * @param checkpoint folder holding config.json, model.safetensors, tokenizer files and vae/
 * @param output     the model folder to create
 * @param precision  weight and compute precision of the graphs; only {@link Precision#FP32} today
 * @param vaeConvolution how the VAE graphs write their 3×3 convolutions (default Winograd: VAE about 1.6× faster on
 *                   the CPU; vae.weights about 3.8× larger for the SDXL VAE)
 * @param force      replace an existing output folder
 * @param progress   receives one line per export stage (never null)
 */
public record ExportOptions(Path checkpoint, Path output, Precision precision, VaeGraphs.Convolution vaeConvolution,
                            boolean force, Consumer<String> progress) {

    public enum Precision {
        FP32, INT8, INT4, FP16, BF16;

        public static Precision parse(String s) {
            for (Precision p : values()) {
                if (p.name().equalsIgnoreCase(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown precision '" + s + "'; use fp32");
        }
    }

    public static Builder builder(Path checkpoint, Path output) {
        return new Builder(checkpoint, output);
    }

    public static final class Builder {
        private final Path checkpoint;
        private final Path output;
        private Precision precision = Precision.FP32;
        private VaeGraphs.Convolution vaeConvolution = VaeGraphs.Convolution.WINOGRAD;
        private boolean force;
        private Consumer<String> progress = s -> { };

        private Builder(Path checkpoint, Path output) {
            this.checkpoint = checkpoint;
            this.output = output;
        }

        public Builder precision(Precision p) {
            this.precision = Objects.requireNonNull(p, "precision");
            return this;
        }

        public Builder vaeConvolution(VaeGraphs.Convolution c) {
            this.vaeConvolution = Objects.requireNonNull(c, "vaeConvolution");
            return this;
        }

        public Builder force(boolean f) {
            this.force = f;
            return this;
        }

        public Builder progress(Consumer<String> listener) {
            this.progress = Objects.requireNonNull(listener, "progress");
            return this;
        }

        public ExportOptions build() {
            if (checkpoint == null) {
                throw new IllegalArgumentException("checkpoint folder is required");
            }
            if (output == null) {
                throw new IllegalArgumentException("output folder is required");
            }
            if (precision != Precision.FP32) {
                throw new IllegalArgumentException("precision " + precision.name().toLowerCase()
                        + " is not supported yet; export with fp32 (the graphs are built so fp16/bf16 can follow)");
            }
            if (checkpoint.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("output folder must differ from the checkpoint folder");
            }
            return new ExportOptions(checkpoint, output, precision, vaeConvolution, force, progress);
        }
    }
}
