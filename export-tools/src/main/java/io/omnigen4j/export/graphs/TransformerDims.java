package io.omnigen4j.export.graphs;

/**
 * The numbers the transformer graphs are built from (from config.json plus OmniGen's fixed constants).
 *
 * @param posEmbedMaxSize side of the square sin-cos position table (192 in OmniGen)
 * @param patchSize       latent patch size (2)
 * @param latentChannels  VAE latent channels (4)
 */
public record TransformerDims(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab,
                              float rmsEps, int posEmbedMaxSize, int patchSize, int latentChannels) {

    public TransformerDims {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    /** Values per output token of the final layer: patch² × channels. */
    public int patchValues() {
        return patchSize * patchSize * latentChannels;
    }

    /** Width of the sinusoidal timestep features (fixed 256 in OmniGen). */
    public static final int TIME_FEATURES = 256;
}
