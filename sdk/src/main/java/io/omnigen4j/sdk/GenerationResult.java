package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;

import java.time.Duration;
import java.util.List;

/**
 * The images of one call (one per prompt, in prompt order), optionally the final latents [P,4,h,w], the seed used
 * (null when a noise source was given) and the time spent per stage.
 */
public record GenerationResult(List<RgbImage> images, float[] finalLatents, long[] latentShape, Long seed,
                               Timings timings) {

    public GenerationResult {
        images = List.copyOf(images);
    }

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
        public Timings {
            steps = List.copyOf(steps);
            graphRuns = graphRuns == null ? Duration.ZERO : graphRuns;
        }

        /** Stage times without the graph-run time (reported as zero). */
        public Timings(Duration tokenize, Duration preprocess, Duration vaeEncode, Duration prefill,
                       List<Duration> steps, Duration decode, Duration total) {
            this(tokenize, preprocess, vaeEncode, prefill, steps, decode, total, Duration.ZERO);
        }

        /** Time of the call outside ONNX Runtime graph runs: {@code total − graphRuns}. */
        public Duration outsideGraphs() {
            return total.minus(graphRuns);
        }

        public Duration stepsTotal() {
            return steps.stream().reduce(Duration.ZERO, Duration::plus);
        }
    }
}
