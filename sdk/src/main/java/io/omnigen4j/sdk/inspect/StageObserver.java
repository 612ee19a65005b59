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

    /**
     * Per input image in prompt order, then image order: after decoding-independent preprocessing (§3).
     * @param index the image's position over all prompts (0-based)
     * @param image the resized, cropped and normalised image
     */
    default void imagePreprocessed(int index, PreprocessedImage image) {
    }

    /**
     * One forward group after collation.
     *
     * @param group group index (one per branch with separate CFG; one group when batched)
     * @param branches branch indices in the group's rows (0 cond, 1 uncond, 2 image-cond), branch-major
     * @param collation the group's padded token ids, attention mask, positions and image spans (internal type: its
     *   shape
     * may change between versions)
     * @param longRope whether this group's calls use the LongRoPE long factors
     */
    default void collated(int group, int[] branches, Collation collation, boolean longRope) {
    }

    /**
     * The n-th VAE encode call: encoder output [1, 2·C, h, w] (log-variance clamped), the posterior noise used
     * and the scaled latent [1, C, h, w].
     * @param encodeIndex the call's index (0-based, one per input image and guidance branch that encodes it)
     * @param pixels the encoder input, [−1, 1]
     * @param pixelShape its shape [1, 3, H, W]
     * @param moments the encoder output: means then log-variances
     * @param eps the posterior noise drawn for the sample
     * @param latent the scaled latent
     * @param latentShape its shape [1, C, h, w]
     */
    default void imageEncoded(int encodeIndex, float[] pixels, long[] pixelShape, float[] moments, float[] eps,
                              float[] latent, long[] latentShape) {
    }

    /**
     * The σ grid of the flow-matching schedule.
     * @param sigmas steps + 1 values, from 1 towards 0
     */
    default void schedule(float[] sigmas) {
    }

    /**
     * Called before step {@code step}; return non-null to replace the latents entering it (same length).
     * @param step the step about to run (0-based)
     * @param latents the latents the pipeline would use [P, C, h, w]
     * @return replacement latents of the same length, or null to keep {@code latents}
     */
    default float[] stepInput(int step, float[] latents) {
        return null;
    }

    /**
     * One denoising step: the latents it started from, the raw model output per branch (each [P, C, h, w]), the
     * guided velocity and the updated latents.
     * @param step the step (0-based)
     * @param sigma the step's σ
     * @param latentsIn the latents it started from
     * @param rawByBranch the model output per guidance branch (0 cond, 1 uncond, 2 image-cond)
     * @param velocity the guided velocity
     * @param latentsOut the latents after the Euler update
     */
    default void stepDone(int step, float sigma, float[] latentsIn, float[][] rawByBranch, float[] velocity,
                          float[] latentsOut) {
    }

    /**
     * The decoder's input (latents ÷ scaling) and raw output [P, 3, H, W], and the [0, 1] image.
     * @param decoderInput the VAE decoder input
     * @param latentShape its shape [P, C, h, w]
     * @param decoderOutput the decoder output, about [−1, 1]
     * @param image01 the output mapped to [0, 1] and clamped
     * @param imageShape the shape of both outputs [P, 3, H, W]
     */
    default void decoded(float[] decoderInput, long[] latentShape, float[] decoderOutput, float[] image01,
                         long[] imageShape) {
    }

    /**
     * The host↔device copies of the generation, by phase ({@code "prepare"}, {@code "prefill"}, {@code "step 0"},
     * …, {@code "decode"}), counted by its {@link io.omnigen4j.sdk.runtime.TensorStore}; called once, after {@link
     * #decoded}.
     *
     * @param phases one entry per phase, in order
     * @param store  the store's {@link io.omnigen4j.sdk.runtime.TensorStore#description()}
     */
    default void transfers(java.util.List<io.omnigen4j.sdk.runtime.TransferStats> phases, String store) {
    }
}
