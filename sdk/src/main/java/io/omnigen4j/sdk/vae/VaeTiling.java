package io.omnigen4j.sdk.vae;

/**
 * When the VAE decodes latents (and encodes input images) in overlapping tiles instead of in one graph run. Tiling
 * bounds the VAE's working memory by the tile size instead of the image size, at the price of results that are
 * close to, but not bit-identical with, the untiled ones (see {@link TiledVae}).
 */
public enum VaeTiling {
    /**
     * Tile only images of more than {@link TiledVae#AUTO_MAX_UNTILED_PIXELS} pixels that do not fit in one tile;
     * smaller images run untiled, bit-identical to {@link #NEVER}. The default.
     */
    AUTO,
    /** Tile every image that does not fit in one tile (diffusers' {@code enable_tiling()}). */
    ALWAYS,
    /** Never tile: one graph run per image batch, whatever its size. */
    NEVER
}
