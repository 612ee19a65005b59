package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.prompt.PromptTemplate;
import io.omnigen4j.sdk.sampling.NoiseSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One call of the pipeline: one or more prompts (each with its input images) and the sampling settings.
 * Immutable; built with {@link #builder()}, whose {@code build()} checks everything that does not depend on the
 * model. Model-dependent limits (position table, prompt length budget) are checked by the pipeline before any
 * native call. Defaults are the reference pipeline's.
 */
public final class GenerationRequest {

    /** How the guidance branches are run: one model call per branch (the reference default) or all in one batch. */
    public enum CfgMode { SEPARATE, BATCHED }

    /** What the output tokens attend to at step 0 when the KV cache is on. */
    public enum Step0Attention {
        /** As the reference's cache: step 0 sees only the condition tokens (its known quirk). Default. */
        REFERENCE,
        /** As training and the reference without cache: step 0 also sees the time and output tokens. */
        CORRECT
    }

    /** A prompt and the images its {@code <|image_N|>} tags refer to (image N = index N−1). */
    public record Prompt(String text, List<RgbImage> images) {
        public Prompt {
            Objects.requireNonNull(text, "prompt text");
            images = List.copyOf(images);
        }
    }

    private final List<Prompt> prompts;
    private final int width;
    private final int height;
    private final int steps;
    private final float guidanceScale;
    private final boolean imageGuidance;
    private final float imageGuidanceScale;
    private final int maxInputImageSize;
    private final boolean useInputImageSizeAsOutput;
    private final String negativePrompt;
    private final CfgMode cfgMode;
    private final boolean kvCache;
    private final Step0Attention step0Attention;
    private final Long seed;
    private final NoiseSource noiseSource;
    private final boolean returnLatents;
    private final StageObserver observer;

    private GenerationRequest(Builder b, Long seed) {
        this.prompts = List.copyOf(b.prompts);
        this.width = b.width;
        this.height = b.height;
        this.steps = b.steps;
        this.guidanceScale = b.guidanceScale;
        this.imageGuidance = b.imageGuidance;
        this.imageGuidanceScale = b.imageGuidanceScale;
        this.maxInputImageSize = b.maxInputImageSize;
        this.useInputImageSizeAsOutput = b.useInputImageSizeAsOutput;
        this.negativePrompt = b.negativePrompt;
        this.cfgMode = b.cfgMode;
        this.kvCache = b.kvCache;
        this.step0Attention = b.step0Attention;
        this.seed = seed;
        this.noiseSource = b.noiseSource;
        this.returnLatents = b.returnLatents;
        this.observer = b.observer;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Prompt> prompts() {
        return prompts;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int steps() {
        return steps;
    }

    public float guidanceScale() {
        return guidanceScale;
    }

    /** True when image guidance is on and at least one prompt has images (the reference's rule). */
    public boolean usesImageGuidance() {
        return imageGuidance && prompts.stream().anyMatch(p -> !p.images().isEmpty());
    }

    public boolean imageGuidance() {
        return imageGuidance;
    }

    public float imageGuidanceScale() {
        return imageGuidanceScale;
    }

    public int maxInputImageSize() {
        return maxInputImageSize;
    }

    public boolean useInputImageSizeAsOutput() {
        return useInputImageSizeAsOutput;
    }

    public String negativePrompt() {
        return negativePrompt;
    }

    public CfgMode cfgMode() {
        return cfgMode;
    }

    public boolean kvCache() {
        return kvCache;
    }

    public Step0Attention step0Attention() {
        return step0Attention;
    }

    /** The seed of the default noise source, or null when a {@link NoiseSource} was given. */
    public Long seed() {
        return seed;
    }

    /** The noise source given to the builder, or null (then a seeded one is made from {@link #seed()}). */
    public NoiseSource noiseSource() {
        return noiseSource;
    }

    public boolean returnLatents() {
        return returnLatents;
    }

    /** The stage observer, or null. */
    public StageObserver observer() {
        return observer;
    }

    public static final class Builder {
        private final List<Prompt> prompts = new ArrayList<>();
        private int width = 1024;
        private int height = 1024;
        private int steps = 50;
        private float guidanceScale = 3f;
        private boolean imageGuidance = true;
        private float imageGuidanceScale = 1.6f;
        private int maxInputImageSize = 1024;
        private boolean useInputImageSizeAsOutput;
        private String negativePrompt = PromptTemplate.DEFAULT_NEGATIVE_PROMPT;
        private CfgMode cfgMode = CfgMode.SEPARATE;
        private boolean kvCache = true;
        private Step0Attention step0Attention = Step0Attention.REFERENCE;
        private Long seed;
        private NoiseSource noiseSource;
        private boolean returnLatents;
        private StageObserver observer;

        private Builder() {
        }

        /** Adds a text-only prompt. */
        public Builder prompt(String text) {
            return prompt(text, List.of());
        }

        /** Adds a prompt whose {@code <img><|image_N|></img>} tags refer to {@code images} (N = 1…). */
        public Builder prompt(String text, List<RgbImage> images) {
            prompts.add(new Prompt(text, images));
            return this;
        }

        public Builder size(int width, int height) {
            this.width = width;
            this.height = height;
            return this;
        }

        public Builder steps(int n) {
            this.steps = n;
            return this;
        }

        public Builder guidanceScale(float g) {
            this.guidanceScale = g;
            return this;
        }

        public Builder imageGuidanceScale(float g) {
            this.imageGuidanceScale = g;
            this.imageGuidance = true;
            return this;
        }

        public Builder imageGuidance(boolean on) {
            this.imageGuidance = on;
            return this;
        }

        public Builder maxInputImageSize(int px) {
            this.maxInputImageSize = px;
            return this;
        }

        public Builder useInputImageSizeAsOutput(boolean on) {
            this.useInputImageSizeAsOutput = on;
            return this;
        }

        public Builder negativePrompt(String text) {
            this.negativePrompt = Objects.requireNonNull(text, "negativePrompt");
            return this;
        }

        public Builder cfgMode(CfgMode mode) {
            this.cfgMode = Objects.requireNonNull(mode, "cfgMode");
            return this;
        }

        public Builder kvCache(boolean on) {
            this.kvCache = on;
            return this;
        }

        public Builder step0Attention(Step0Attention a) {
            this.step0Attention = Objects.requireNonNull(a, "step0Attention");
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Supplies the initial latents and VAE posterior noise (e.g. replayed reference noise in tests). */
        public Builder noiseSource(NoiseSource source) {
            this.noiseSource = Objects.requireNonNull(source, "noiseSource");
            return this;
        }

        public Builder returnLatents(boolean on) {
            this.returnLatents = on;
            return this;
        }

        /** Receives every intermediate stage (conformance checks, debugging); see {@link StageObserver}. */
        public Builder observer(StageObserver o) {
            this.observer = o;
            return this;
        }

        public GenerationRequest build() {
            if (prompts.isEmpty()) {
                throw new InvalidRequestException("a request needs at least one prompt: builder.prompt(\"…\")");
            }
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).text().isBlank()) {
                    throw new InvalidRequestException("prompt " + (i + 1) + " is empty; give the instruction text,"
                            + " e.g. builder.prompt(\"a cat on a sofa\")");
                }
            }
            if (useInputImageSizeAsOutput) {
                if (prompts.size() != 1 || prompts.get(0).images().size() != 1) {
                    throw new InvalidRequestException("useInputImageSizeAsOutput needs exactly one prompt with exactly"
                            + " one input image, got " + prompts.size() + " prompt(s) with "
                            + prompts.stream().mapToInt(pr -> pr.images().size()).sum() + " image(s); give the size"
                            + " with size(width, height) instead");
                }
            } else {
                checkSide("width", width);
                checkSide("height", height);
            }
            if (steps < 1 || steps > 1000) {
                throw new InvalidRequestException("steps must be between 1 and 1000, got " + steps);
            }
            if (!Float.isFinite(guidanceScale) || guidanceScale < 0) {
                throw new InvalidRequestException("guidanceScale must be a finite number ≥ 0, got " + guidanceScale);
            }
            if (!Float.isFinite(imageGuidanceScale) || imageGuidanceScale < 0) {
                throw new InvalidRequestException("imageGuidanceScale must be a finite number ≥ 0, got "
                        + imageGuidanceScale);
            }
            if (maxInputImageSize < 16) {
                throw new InvalidRequestException("maxInputImageSize must be at least 16 px, got " + maxInputImageSize);
            }
            if (noiseSource != null && seed != null) {
                throw new InvalidRequestException("give either a seed or a noise source, not both");
            }
            // A fresh random seed per build (never written back: the builder stays reusable).
            Long effectiveSeed = noiseSource == null && seed == null
                    ? Long.valueOf(new java.util.Random().nextLong() & Long.MAX_VALUE) : seed;
            return new GenerationRequest(this, effectiveSeed);
        }

        private static void checkSide(String name, int v) {
            if (v < 16 || v % 16 != 0) {
                throw new InvalidRequestException(name + " must be a positive multiple of 16, got " + v
                        + " (try " + Math.max(16, Math.round(v / 16f) * 16) + ")");
            }
        }
    }
}
