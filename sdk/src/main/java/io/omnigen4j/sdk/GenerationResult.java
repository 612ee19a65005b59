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

    /** Wall time per stage. {@code steps} holds each denoising step's time. */
    public record Timings(Duration tokenize, Duration preprocess, Duration vaeEncode, Duration prefill,
                          List<Duration> steps, Duration decode, Duration total) {
        public Timings {
            steps = List.copyOf(steps);
        }

        public Duration stepsTotal() {
            return steps.stream().reduce(Duration.ZERO, Duration::plus);
        }
    }
}
