package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.prompt.PromptTemplate;
import io.omnigen4j.sdk.prompt.WellFormedText;
import io.omnigen4j.sdk.sampling.NoiseKind;
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
    public enum CfgMode {
        /** One model call per guidance branch: least memory (the reference default). */
        SEPARATE,
        /** All branches in one batched call: fewer, larger runs. */
        BATCHED
    }

    /** What the output tokens attend to at step 0 when the KV cache is on. */
    public enum Step0Attention {
        /** As the reference's cache: step 0 sees only the condition tokens (its known quirk). Default. */
        REFERENCE,
        /** As training and the reference without cache: step 0 also sees the time and output tokens. */
        CORRECT
    }

    /** A prompt and the images its {@code <|image_N|>} tags refer to (image N = index N−1). */
    public record Prompt(String text, List<RgbImage> images) {
        /**
         * Checks the text is present and copies the image list.
         * @param text the instruction; {@code <img><|image_N|></img>} marks where image N goes
         * @param images the input images, image N at index N−1 (copied)
         */
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
    private final NoiseKind noise;
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
        this.noise = b.noise == null ? NoiseKind.TORCH_CPU : b.noise;
        this.returnLatents = b.returnLatents;
        this.observer = b.observer;
    }

    /**
     * Starts a request with the reference pipeline's defaults (1024×1024, 50 steps, guidance 3, image guidance 1.6).
     * @return a new builder; one builder can build several requests
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the prompts, one output image each, in order (immutable)} */
    public List<Prompt> prompts() {
        return prompts;
    }

    /** {@return the output width in pixels (a multiple of 16; ignored with {@link #useInputImageSizeAsOutput()})} */
    public int width() {
        return width;
    }

    /** {@return the output height in pixels (a multiple of 16; ignored with {@link #useInputImageSizeAsOutput()})} */
    public int height() {
        return height;
    }

    /** {@return the number of denoising steps (1–1000)} */
    public int steps() {
        return steps;
    }

    /** {@return the text guidance scale (classifier-free guidance weight)} */
    public float guidanceScale() {
        return guidanceScale;
    }

    /**
     * True when image guidance is on and at least one prompt has images (the reference's rule).
     * @return whether the image-guidance branch runs
     */
    public boolean usesImageGuidance() {
        return imageGuidance && prompts.stream().anyMatch(p -> !p.images().isEmpty());
    }

    /** {@return whether image guidance was requested (it runs only when a prompt has images)} */
    public boolean imageGuidance() {
        return imageGuidance;
    }

    /** {@return the image guidance scale} */
    public float imageGuidanceScale() {
        return imageGuidanceScale;
    }

    /** {@return the longest side, in pixels, input images are scaled down to} */
    public int maxInputImageSize() {
        return maxInputImageSize;
    }

    /** {@return whether the output takes the (preprocessed) size of the single input image} */
    public boolean useInputImageSizeAsOutput() {
        return useInputImageSizeAsOutput;
    }

    /** {@return the text of the unconditional branch (the reference's negative prompt by default)} */
    public String negativePrompt() {
        return negativePrompt;
    }

    /** {@return how the guidance branches are run} */
    public CfgMode cfgMode() {
        return cfgMode;
    }

    /** {@return whether the condition's keys and values are computed once and reused by every step} */
    public boolean kvCache() {
        return kvCache;
    }

    /** {@return what the output tokens attend to at step 0 when the KV cache is on} */
    public Step0Attention step0Attention() {
        return step0Attention;
    }

    /**
     * The seed of the default noise source.
     * @return the seed (random when none was given), or null when a {@link NoiseSource} was given
     */
    public Long seed() {
        return seed;
    }

    /**
     * The noise source given to the builder.
     * @return the source, or null (then one of kind {@link #noise()} is made for {@link #seed()})
     */
    public NoiseSource noiseSource() {
        return noiseSource;
    }

    /**
     * What the seed means: the generator the seed feeds when no {@link NoiseSource} was given.
     * @return the kind, {@link NoiseKind#TORCH_CPU} unless the builder chose another
     */
    public NoiseKind noise() {
        return noise;
    }

    /**
     * The noise source a generation with this request uses: the given one, or a fresh one of {@link #noise()} for
     * {@link #seed()}.
     * @return a noise source for one generation
     */
    public NoiseSource effectiveNoiseSource() {
        return noiseSource != null ? noiseSource : noise.source(seed);
    }

    /** {@return whether the result carries the final latents ({@link GenerationResult#finalLatents()})} */
    public boolean returnLatents() {
        return returnLatents;
    }

    /** {@return the stage observer, or null} */
    public StageObserver observer() {
        return observer;
    }

    /**
     * Collects the settings of a {@link GenerationRequest}; setters only record, {@link #build()} validates.
     * Not thread-safe.
     */
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
        private NoiseKind noise;
        private boolean returnLatents;
        private StageObserver observer;

        private Builder() {
        }

        /**
         * Adds a text-only prompt (one more output image).
         * @param text the instruction, not blank
         * @return this builder
         */
        public Builder prompt(String text) {
            return prompt(text, List.of());
        }

        /**
         * Adds a prompt whose {@code <img><|image_N|></img>} tags refer to {@code images} (N = 1…).
         * @param text the instruction, not blank
         * @param images the input images, image N at index N−1
         * @return this builder
         */
        public Builder prompt(String text, List<RgbImage> images) {
            prompts.add(new Prompt(text, images));
            return this;
        }

        /**
         * Sets the output size; both sides must be positive multiples of 16 (checked by {@link #build()}).
         * @param width output width in pixels
         * @param height output height in pixels
         * @return this builder
         */
        public Builder size(int width, int height) {
            this.width = width;
            this.height = height;
            return this;
        }

        /**
         * Sets the number of denoising steps.
         * @param n 1–1000; default 50
         * @return this builder
         */
        public Builder steps(int n) {
            this.steps = n;
            return this;
        }

        /**
         * Sets the text guidance scale.
         * @param g finite, ≥ 0; default 3.0
         * @return this builder
         */
        public Builder guidanceScale(float g) {
            this.guidanceScale = g;
            return this;
        }

        /**
         * Sets the image guidance scale and turns image guidance on.
         * @param g finite, ≥ 0; default 1.6
         * @return this builder
         */
        public Builder imageGuidanceScale(float g) {
            this.imageGuidanceScale = g;
            this.imageGuidance = true;
            return this;
        }

        /**
         * Turns the image-guidance branch on or off (it only runs when a prompt has images).
         * @param on default true
         * @return this builder
         */
        public Builder imageGuidance(boolean on) {
            this.imageGuidance = on;
            return this;
        }

        /**
         * Sets the longest side input images are scaled down to before encoding.
         * @param px at least 16; default 1024
         * @return this builder
         */
        public Builder maxInputImageSize(int px) {
            this.maxInputImageSize = px;
            return this;
        }

        /**
         * Makes the output as large as the single input image (editing); needs exactly one prompt with one image.
         * @param on default false
         * @return this builder
         */
        public Builder useInputImageSizeAsOutput(boolean on) {
            this.useInputImageSizeAsOutput = on;
            return this;
        }

        /**
         * Replaces the unconditional branch's text.
         * @param text not null; default {@link PromptTemplate#DEFAULT_NEGATIVE_PROMPT}
         * @return this builder
         */
        public Builder negativePrompt(String text) {
            this.negativePrompt = Objects.requireNonNull(text, "negativePrompt");
            return this;
        }

        /**
         * Chooses how the guidance branches are run.
         * @param mode not null; default {@link CfgMode#SEPARATE}
         * @return this builder
         */
        public Builder cfgMode(CfgMode mode) {
            this.cfgMode = Objects.requireNonNull(mode, "cfgMode");
            return this;
        }

        /**
         * Turns the condition KV cache on (faster) or off (less memory on large edits; the reference's
         * {@code use_kv_cache=False}).
         * @param on default true
         * @return this builder
         */
        public Builder kvCache(boolean on) {
            this.kvCache = on;
            return this;
        }

        /**
         * Chooses what step 0 attends to with the KV cache on.
         * @param a not null; default {@link Step0Attention#REFERENCE}
         * @return this builder
         */
        public Builder step0Attention(Step0Attention a) {
            this.step0Attention = Objects.requireNonNull(a, "step0Attention");
            return this;
        }

        /**
         * Sets the seed of the default noise source; without a seed and a noise source each build draws a random seed.
         * @param s any value
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Chooses what the seed means (default {@link NoiseKind#TORCH_CPU}: PyTorch's CPU generator, so a seed gives
         * the initial noise of the reference run on a CPU with the same seed).
         * @param kind not null; only used with a seed, so it excludes {@link #noiseSource(NoiseSource)}
         * @return this builder
         */
        public Builder noise(NoiseKind kind) {
            this.noise = Objects.requireNonNull(kind, "noise");
            return this;
        }

        /**
         * Supplies the initial latents and VAE posterior noise instead of a seed (e.g. replayed reference noise in
         * tests).
         * @param source not null; excludes {@link #seed(long)}
         * @return this builder
         */
        public Builder noiseSource(NoiseSource source) {
            this.noiseSource = Objects.requireNonNull(source, "noiseSource");
            return this;
        }

        /**
         * Asks for the final latents in the result (conformance checks, further processing).
         * @param on default false
         * @return this builder
         */
        public Builder returnLatents(boolean on) {
            this.returnLatents = on;
            return this;
        }

        /**
         * Receives every intermediate stage (conformance checks, debugging); see {@link StageObserver}.
         * @param o the observer, or null for none
         * @return this builder
         */
        public Builder observer(StageObserver o) {
            this.observer = o;
            return this;
        }

        /**
         * Validates the settings that do not depend on the model and builds the request.
         * @return the immutable request
         * @throws InvalidRequestException naming the setting that is wrong and how to fix it; a prompt or negative
         *         prompt with an unpaired UTF-16 surrogate is a {@link io.omnigen4j.sdk.prompt.PromptException} of kind
         *         {@code MALFORMED_TEXT} naming the prompt and the char offset
         */
        public GenerationRequest build() {
            if (prompts.isEmpty()) {
                throw new InvalidRequestException("a request needs at least one prompt: builder.prompt(\"…\")");
            }
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).text().isBlank()) {
                    throw new InvalidRequestException("prompt " + (i + 1) + " is empty; give the instruction text,"
                            + " e.g. builder.prompt(\"a cat on a sofa\")");
                }
                WellFormedText.require(prompts.get(i).text(), "prompt " + (i + 1));
            }
            WellFormedText.require(negativePrompt, "negativePrompt");
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
            if (noiseSource != null && noise != null) {
                throw new InvalidRequestException("noise(" + noise.id() + ") gives a seed its meaning, but a noise"
                        + " source was given instead of a seed; drop one of them");
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
