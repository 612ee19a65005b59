package io.omnigen4j.sdk.inspect;

import io.omnigen4j.sdk.batch.Collation;
import io.omnigen4j.sdk.image.PreprocessedImage;

/**
 * Sees every intermediate stage of one generation, for conformance checks and debugging; set it with
 * {@code GenerationRequest.Builder.observer}. All callbacks run on the generating thread, receive arrays the
 * observer may keep (they are copies or no longer used by the pipeline), and default to doing nothing.
 * {@link #stepInput} is the one hook that can change the computation: it lets a checker feed recorded latents into
 * each step ("teacher forcing") so per-step errors do not compound.
 */
public interface StageObserver {

    /** Per input image in prompt order, then image order: after decoding-independent preprocessing (§3). */
    default void imagePreprocessed(int index, PreprocessedImage image) {
    }

    /**
     * One forward group after collation.
     *
     * @param group    group index (one per branch with separate CFG; one group when batched)
     * @param branches branch indices in the group's rows (0 cond, 1 uncond, 2 image-cond), branch-major
     * @param longRope whether this group's calls use the LongRoPE long factors
     */
    default void collated(int group, int[] branches, Collation collation, boolean longRope) {
    }

    /**
     * The n-th VAE encode call: encoder output [1, 2·C, h, w] (log-variance clamped), the posterior noise used
     * and the scaled latent [1, C, h, w].
     */
    default void imageEncoded(int encodeIndex, float[] pixels, long[] pixelShape, float[] moments, float[] eps,
                              float[] latent, long[] latentShape) {
    }

    /** The σ grid, steps + 1 values. */
    default void schedule(float[] sigmas) {
    }

    /** Called before step {@code step}; return non-null to replace the latents entering it (same length). */
    default float[] stepInput(int step, float[] latents) {
        return null;
    }

    /**
     * One denoising step: the latents it started from, the raw model output per branch (each [P, C, h, w]), the
     * guided velocity and the updated latents.
     */
    default void stepDone(int step, float sigma, float[] latentsIn, float[][] rawByBranch, float[] velocity,
                          float[] latentsOut) {
    }

    /** The decoder's input (latents ÷ scaling) and raw output [P, 3, H, W], and the [0, 1] image. */
    default void decoded(float[] decoderInput, long[] latentShape, float[] decoderOutput, float[] image01,
                         long[] imageShape) {
    }
}
