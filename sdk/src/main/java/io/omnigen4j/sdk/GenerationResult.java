package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;

import java.time.Duration;
import java.util.List;

/**
 * The images of one call (one per prompt, in prompt order), optionally the final latents, the seed used and the time
 * spent per stage.
 *
 * @param images the generated images, one per prompt, in prompt order (immutable)
 * @param finalLatents the final latents [P, C, h, w] (before the VAE's scaling is undone) when the request asked for
 * them ({@link GenerationRequest#returnLatents()}), else null
 * @param latentShape the shape of {@code finalLatents}, or null with it
 * @param seed the seed of the noise, or null when the request had its own noise source
 * @param timings wall time per stage
 */
public record GenerationResult(List<RgbImage> images, float[] finalLatents, long[] latentShape, Long seed,
                               Timings timings) {

    /**
     * Copies the image list.
     * @param images the generated images (copied)
     * @param finalLatents the final latents, or null
     * @param latentShape their shape, or null
     * @param seed the seed used, or null
     * @param timings wall time per stage
     */
    public GenerationResult {
        images = List.copyOf(images);
    }

    /** {@return the first image (the only one for a single-prompt request)} */
    public RgbImage image() {
        return images.get(0);
    }

    /**
     * Wall time per stage. {@code steps} holds each denoising step's time. {@code graphRuns} is the part of
     * {@code total} spent inside ONNX Runtime graph runs (all stages together); the rest, {@link #outsideGraphs()},
     * is the SDK's own work (tokenizing, preprocessing, tensor handling, sampling arithmetic).
     */
    public record Timings(Duration tokenize, Duration preprocess, Duration vaeEncode, Duration prefill,
                          List<Duration> steps, Duration decode, Duration total, Duration graphRuns) {
        /**
         * Copies the step list; a null {@code graphRuns} counts as zero.
         * @param tokenize prompt tokenizing
         * @param preprocess input image decoding-independent preprocessing
         * @param vaeEncode VAE encoding of the input images
         * @param prefill the condition prefill (zero without the KV cache or when the condition cache hit)
         * @param steps each denoising step, in order
         * @param decode the VAE decode of the output
         * @param total the whole call
         * @param graphRuns time inside ONNX Runtime graph runs, all stages together (null = zero)
         */
        public Timings {
            steps = List.copyOf(steps);
            graphRuns = graphRuns == null ? Duration.ZERO : graphRuns;
        }

        /**
         * Stage times without the graph-run time (reported as zero).
         * @param tokenize prompt tokenizing
         * @param preprocess input image preprocessing
         * @param vaeEncode VAE encoding of the input images
         * @param prefill the condition prefill
         * @param steps each denoising step, in order
         * @param decode the VAE decode of the output
         * @param total the whole call
         */
        public Timings(Duration tokenize, Duration preprocess, Duration vaeEncode, Duration prefill,
                       List<Duration> steps, Duration decode, Duration total) {
            this(tokenize, preprocess, vaeEncode, prefill, steps, decode, total, Duration.ZERO);
        }

        /**
         * Time of the call outside ONNX Runtime graph runs: {@code total − graphRuns}.
         * @return the SDK's own share of {@code total}
         */
        public Duration outsideGraphs() {
            return total.minus(graphRuns);
        }

        /** {@return the sum of the denoising steps' times} */
        public Duration stepsTotal() {
            return steps.stream().reduce(Duration.ZERO, Duration::plus);
        }
    }
}
