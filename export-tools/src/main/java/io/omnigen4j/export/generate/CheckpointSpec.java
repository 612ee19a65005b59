package io.omnigen4j.export.generate;

import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.RopeScaling;
import io.omnigen4j.export.config.VaeConfig;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link RandomCheckpointGenerator} builds: the transformer and VAE configs (validated like any checkpoint's)
 * plus the VAE key-naming variant. Build one with {@link #builder()}; {@code build()} validates.
 *
 * @param transformer the Phi-3 part, written as config.json
 * @param vae the AutoencoderKL part, written as vae/config.json
 * @param legacyVaeAttentionNames name the VAE mid-block attention {@code query/key/value/proj_attn} (pre-0.14
 *        diffusers) instead of {@code to_q/to_k/to_v/to_out.0}
 */
public record CheckpointSpec(Phi3Config transformer, VaeConfig vae, boolean legacyVaeAttentionNames) {

    public CheckpointSpec {
        Objects.requireNonNull(transformer, "transformer");
        Objects.requireNonNull(vae, "vae");
        int maxTokenId = AddedToken.PHI3.stream().mapToInt(AddedToken::id).max().orElse(0);
        if (transformer.vocabSize() <= maxTokenId) {
            throw new IllegalArgumentException("vocab size " + transformer.vocabSize() + " must exceed the largest"
                    + " tokenizer id " + maxTokenId + " (<|user|>), or prompts would index past the embedding");
        }
        if (transformer.hiddenSize() % 4 != 0) {
            throw new IllegalArgumentException("hidden size " + transformer.hiddenSize()
                    + " must be a multiple of 4: pos_embed splits it into sin/cos quarters for columns and rows");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Latent channels shared by the VAE and the transformer's patch embedders / output. */
    public int latentChannels() {
        return vae.latentChannels();
    }

    /** Builder with the defaults of the tiny fixtures and OmniGen-v1 where sizes do not matter. */
    public static final class Builder {
        private int hidden = 64;
        private int layers = 2;
        private int heads = 4;
        private Integer kvHeads;
        private int intermediate = 128;
        private int vocab = 32064;
        private double rmsEps = 1e-5;
        private double ropeTheta = 10000.0;
        private boolean longRope;
        private int originalMaxPositions = 4096;
        private int maxPositions = 4096;
        private List<Double> shortFactor;
        private List<Double> longFactor;
        private List<Integer> vaeBlockOutChannels = List.of(32, 32);
        private int vaeLayersPerBlock = 1;
        private int vaeNormGroups = 8;
        private int latentChannels = 4;
        private double scalingFactor = 0.13025;
        private Double shiftFactor;
        private boolean midBlockAttention = true;
        private boolean legacyNames;

        private Builder() {
        }

        public Builder hidden(int v) {
            hidden = v;
            return this;
        }

        public Builder layers(int v) {
            layers = v;
            return this;
        }

        public Builder heads(int v) {
            heads = v;
            return this;
        }

        /** Defaults to the head count. */
        public Builder kvHeads(int v) {
            kvHeads = v;
            return this;
        }

        public Builder intermediate(int v) {
            intermediate = v;
            return this;
        }

        /** Embedding rows; default 32064 as OmniGen-v1. */
        public Builder vocab(int v) {
            vocab = v;
            return this;
        }

        public Builder rmsNormEps(double v) {
            rmsEps = v;
            return this;
        }

        public Builder ropeTheta(double v) {
            ropeTheta = v;
            return this;
        }

        /** Plain RoPE (rope_scaling null), max_position_embeddings = original = {@code positions}. The default. */
        public Builder noRopeScaling(int positions) {
            longRope = false;
            originalMaxPositions = positions;
            maxPositions = positions;
            shortFactor = null;
            longFactor = null;
            return this;
        }

        /** LongRoPE with factors generated deterministically from head_dim (see {@link #defaultFactors}). */
        public Builder longRope(int originalMaxPositions, int maxPositions) {
            return longRope(originalMaxPositions, maxPositions, null, null);
        }

        /** LongRoPE with the given head_dim/2 short and long factors (null: generated). */
        public Builder longRope(int originalMaxPositions, int maxPositions, List<Double> shortFactor,
                                List<Double> longFactor) {
            this.longRope = true;
            this.originalMaxPositions = originalMaxPositions;
            this.maxPositions = maxPositions;
            this.shortFactor = shortFactor == null ? null : List.copyOf(shortFactor);
            this.longFactor = longFactor == null ? null : List.copyOf(longFactor);
            return this;
        }

        public Builder vaeBlockOutChannels(List<Integer> v) {
            vaeBlockOutChannels = List.copyOf(v);
            return this;
        }

        public Builder vaeLayersPerBlock(int v) {
            vaeLayersPerBlock = v;
            return this;
        }

        public Builder vaeNormGroups(int v) {
            vaeNormGroups = v;
            return this;
        }

        public Builder latentChannels(int v) {
            latentChannels = v;
            return this;
        }

        public Builder scalingFactor(double v) {
            scalingFactor = v;
            return this;
        }

        /** Null (the default) writes shift_factor null. */
        public Builder shiftFactor(Double v) {
            shiftFactor = v;
            return this;
        }

        public Builder vaeMidBlockAttention(boolean v) {
            midBlockAttention = v;
            return this;
        }

        public Builder legacyVaeAttentionNames(boolean v) {
            legacyNames = v;
            return this;
        }

        /** Validates every value through {@link Phi3Config} and {@link VaeConfig}; errors name the field. */
        public CheckpointSpec build() {
            int kv = kvHeads == null ? heads : kvHeads;
            RopeScaling rope = null;
            if (longRope) {
                if (heads <= 0 || hidden % heads != 0) {
                    throw new IllegalArgumentException("heads " + heads + " must divide hidden " + hidden);
                }
                int half = hidden / heads / 2;
                rope = RopeScaling.longRope(
                        shortFactor != null ? shortFactor : defaultFactors(half, 4.0),
                        longFactor != null ? longFactor : defaultFactors(half, 32.0));
            }
            Phi3Config phi3 = new Phi3Config(hidden, layers, heads, kv, intermediate, vocab, rmsEps, ropeTheta,
                    "silu", maxPositions, originalMaxPositions, rope);
            int n = vaeBlockOutChannels.size();
            VaeConfig vae = new VaeConfig(3, 3, latentChannels, vaeBlockOutChannels, vaeLayersPerBlock, vaeNormGroups,
                    "silu", java.util.Collections.nCopies(n, VaeConfig.DOWN_BLOCK),
                    java.util.Collections.nCopies(n, VaeConfig.UP_BLOCK), scalingFactor, shiftFactor,
                    midBlockAttention, true, true, 64);
            return new CheckpointSpec(phi3, vae, legacyNames);
        }
    }

    /**
     * {@code n} factors rising geometrically from 1 to {@code last}, rounded to 4 decimals: the shape of real
     * LongRoPE tables (low frequencies stretched most), deterministic so a spec without factors is reproducible.
     */
    public static List<Double> defaultFactors(int n, double last) {
        List<Double> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            double v = n == 1 ? 1.0 : Math.pow(last, (double) k / (n - 1));
            out.add(BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_EVEN).doubleValue());
        }
        return List.copyOf(out);
    }
}
