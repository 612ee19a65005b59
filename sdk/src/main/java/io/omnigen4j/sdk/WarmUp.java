package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.prompt.PromptTemplate;

import java.util.List;
import java.util.Objects;

/**
 * What {@link OmniGen#warmUp(WarmUp)} runs: short generations with the shapes of the calls that will follow, so
 * that ONNX Runtime plans and allocates the memory of every graph for those shapes before the first real call.
 * Immutable; built with {@link #builder()}, whose {@code build()} checks everything that does not depend on the
 * model (the model-dependent checks run when the warm-up starts, before any native call).
 *
 * <p>Describe the calls to come: their output size, whether they have an input image (then the VAE encoder and the
 * image-guidance branch are warmed up too) and of what size, and the settings that change which graphs run or with
 * which shapes ({@link Builder#kvCache}, {@link Builder#cfgMode}, {@link Builder#imageGuidance}, the prompts).
 * Guidance scales, seeds and step counts do not change any shape. For several kinds of call, warm up once per kind.
 *
 * <pre>{@code
 * omnigen.warmUp(WarmUp.builder().size(1024, 1024).build());                       // text to image
 * omnigen.warmUp(WarmUp.builder().inputImage(1024, 1024).useInputImageSizeAsOutput(true).build()); // edits
 * }</pre>
 */
public final class WarmUp {

    /** The prompt of the warm-up calls unless {@link Builder#prompt} says otherwise. */
    public static final String DEFAULT_PROMPT = "A photo of a red bicycle leaning on a brick wall in the sun.";

    /** Largest side of the synthetic input image. */
    private static final int MAX_INPUT_SIDE = 8192;

    private final int width;
    private final int height;
    private final int inputImageWidth;
    private final int inputImageHeight;
    private final boolean useInputImageSizeAsOutput;
    private final int maxInputImageSize;
    private final boolean imageGuidance;
    private final GenerationRequest.CfgMode cfgMode;
    private final boolean kvCache;
    private final String prompt;
    private final String negativePrompt;
    private final int steps;
    private final int rounds;
    /** The request each round runs (its synthetic input image included). */
    private final GenerationRequest request;

    private WarmUp(Builder b, GenerationRequest request) {
        this.width = b.width;
        this.height = b.height;
        this.inputImageWidth = b.inputImageWidth;
        this.inputImageHeight = b.inputImageHeight;
        this.useInputImageSizeAsOutput = b.useInputImageSizeAsOutput;
        this.maxInputImageSize = b.maxInputImageSize;
        this.imageGuidance = b.imageGuidance;
        this.cfgMode = b.cfgMode;
        this.kvCache = b.kvCache;
        this.prompt = b.prompt;
        this.negativePrompt = b.negativePrompt;
        this.steps = b.steps;
        this.rounds = b.rounds;
        this.request = request;
    }

    /**
     * A builder with the defaults: 1024×1024 text to image, 2 steps, 2 rounds, KV cache on, separate branches.
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Output width in pixels (ignored with {@link #useInputImageSizeAsOutput()}).
     * @return the width
     */
    public int width() {
        return width;
    }

    /**
     * Output height in pixels (ignored with {@link #useInputImageSizeAsOutput()}).
     * @return the height
     */
    public int height() {
        return height;
    }

    /**
     * Whether the warm-up calls have an input image.
     * @return true when {@link Builder#inputImage} was set
     */
    public boolean hasInputImage() {
        return inputImageWidth > 0;
    }

    /**
     * Width of the synthetic input image before preprocessing, or 0 without one.
     * @return the width, or 0
     */
    public int inputImageWidth() {
        return inputImageWidth;
    }

    /**
     * Height of the synthetic input image before preprocessing, or 0 without one.
     * @return the height, or 0
     */
    public int inputImageHeight() {
        return inputImageHeight;
    }

    /**
     * Whether the output takes the preprocessed input image's size, as {@link
     * GenerationRequest.Builder#useInputImageSizeAsOutput}.
     * @return whether the output takes the input image's size
     */
    public boolean useInputImageSizeAsOutput() {
        return useInputImageSizeAsOutput;
    }

    /**
     * As {@link GenerationRequest#maxInputImageSize()}.
     * @return the longest side input images are scaled down to, in pixels
     */
    public int maxInputImageSize() {
        return maxInputImageSize;
    }

    /**
     * As {@link GenerationRequest#imageGuidance()}: with an input image, true runs the third guidance branch.
     * @return whether image guidance is on
     */
    public boolean imageGuidance() {
        return imageGuidance;
    }

    /**
     * As {@link GenerationRequest#cfgMode()}.
     * @return how the guidance branches are run
     */
    public GenerationRequest.CfgMode cfgMode() {
        return cfgMode;
    }

    /**
     * As {@link GenerationRequest#kvCache()}.
     * @return whether the KV cache is on
     */
    public boolean kvCache() {
        return kvCache;
    }

    /**
     * The prompt text (without the input image's tag, which the warm-up puts in front of it).
     * @return the prompt text
     */
    public String prompt() {
        return prompt;
    }

    /**
     * The negative prompt.
     * @return the negative prompt
     */
    public String negativePrompt() {
        return negativePrompt;
    }

    /**
     * Denoising steps per round.
     * @return the steps, 1 to 50
     */
    public int steps() {
        return steps;
    }

    /**
     * Warm-up generations run one after another.
     * @return the rounds, 1 to 10
     */
    public int rounds() {
        return rounds;
    }

    GenerationRequest request() {
        return request;
    }

    /** Builds a {@link WarmUp}; every setter has a default, see {@link WarmUp#builder()}. */
    public static final class Builder {
        private int width = 1024;
        private int height = 1024;
        private int inputImageWidth;
        private int inputImageHeight;
        private boolean useInputImageSizeAsOutput;
        private int maxInputImageSize = 1024;
        private boolean imageGuidance = true;
        private GenerationRequest.CfgMode cfgMode = GenerationRequest.CfgMode.SEPARATE;
        private boolean kvCache = true;
        private String prompt = DEFAULT_PROMPT;
        private String negativePrompt = PromptTemplate.DEFAULT_NEGATIVE_PROMPT;
        private int steps = 2;
        private int rounds = 2;

        private Builder() {
        }

        /**
         * Output size in pixels, both multiples of 16 (default 1024×1024, as {@link GenerationRequest}).
         *
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
         * Gives the warm-up calls one input image of this size (a synthetic pattern, scaled and cropped like a real
         * one), so the VAE encoder and the image-conditioned guidance branches are planned too. Default: none.
         *
         * @param width the input image's width in pixels, before preprocessing
         * @param height its height in pixels
         * @return this builder
         */
        public Builder inputImage(int width, int height) {
            this.inputImageWidth = width;
            this.inputImageHeight = height;
            return this;
        }

        /**
         * Output at the input image's preprocessed size, as in editing (needs {@link #inputImage}).
         *
         * @param on default false
         * @return this builder
         */
        public Builder useInputImageSizeAsOutput(boolean on) {
            this.useInputImageSizeAsOutput = on;
            return this;
        }

        /**
         * As {@link GenerationRequest.Builder#maxInputImageSize}: decides the preprocessed input size.
         *
         * @param px the longest side in pixels; default 1024
         * @return this builder
         */
        public Builder maxInputImageSize(int px) {
            this.maxInputImageSize = px;
            return this;
        }

        /**
         * As {@link GenerationRequest.Builder#imageGuidance}.
         *
         * @param on default true
         * @return this builder
         */
        public Builder imageGuidance(boolean on) {
            this.imageGuidance = on;
            return this;
        }

        /**
         * As {@link GenerationRequest.Builder#cfgMode}.
         *
         * @param mode default {@link GenerationRequest.CfgMode#SEPARATE}
         * @return this builder
         */
        public Builder cfgMode(GenerationRequest.CfgMode mode) {
            this.cfgMode = Objects.requireNonNull(mode, "cfgMode");
            return this;
        }

        /**
         * As {@link GenerationRequest.Builder#kvCache}.
         *
         * @param on default true
         * @return this builder
         */
        public Builder kvCache(boolean on) {
            this.kvCache = on;
            return this;
        }

        /**
         * The prompt; its token count sets the condition's length. The transformer is planned for each new length
         * anyway, so a typical prompt is enough. Without an {@code <img>} tag: the warm-up adds the input image's.
         *
         * @param text the prompt, not blank
         * @return this builder
         */
        public Builder prompt(String text) {
            this.prompt = Objects.requireNonNull(text, "prompt");
            return this;
        }

        /**
         * The negative prompt the calls to come use (default: the reference pipeline's).
         *
         * @param text the negative prompt
         * @return this builder
         */
        public Builder negativePrompt(String text) {
            this.negativePrompt = Objects.requireNonNull(text, "negativePrompt");
            return this;
        }

        /**
         * Denoising steps per round, 1 to 50 (default 2). With the KV cache a step's shapes do not change from step to
         * step, so more steps only take longer.
         *
         * @param n 1 to 50
         * @return this builder
         */
        public Builder steps(int n) {
            this.steps = n;
            return this;
        }

        /**
         * Generations to run, 1 to 10 (default 2). ONNX Runtime plans a graph's memory for new shapes on the first run
         * and allocates the planned block on the second, so two rounds absorb both slow calls.
         *
         * @param n 1 to 10
         * @return this builder
         */
        public Builder rounds(int n) {
            this.rounds = n;
            return this;
        }

        /**
         * Checks the settings and makes the warm-up.
         *
         * @return the warm-up, to pass to {@code OmniGen.warmUp}
         * @throws InvalidRequestException naming the setting that is wrong
         */
        public WarmUp build() {
            if (steps < 1 || steps > 50) {
                throw new InvalidRequestException("warm-up steps must be between 1 and 50, got " + steps
                        + " (a step's shapes do not change with the step count; 2 is plenty)");
            }
            if (rounds < 1 || rounds > 10) {
                throw new InvalidRequestException("warm-up rounds must be between 1 and 10, got " + rounds
                        + " (2 absorbs both slow calls after a load)");
            }
            if (prompt.contains("<|image_")) {
                throw new InvalidRequestException("the warm-up prompt must not contain image tags; the warm-up adds"
                        + " <img><|image_1|></img> itself when inputImage(width, height) is set");
            }
            boolean image = inputImageWidth != 0 || inputImageHeight != 0;
            if (image && (inputImageWidth < 1 || inputImageHeight < 1 || inputImageWidth > MAX_INPUT_SIDE
                    || inputImageHeight > MAX_INPUT_SIDE)) {
                throw new InvalidRequestException("inputImage sides must be between 1 and " + MAX_INPUT_SIDE
                        + " px, got " + inputImageWidth + "×" + inputImageHeight + " (the warm-up holds the image in"
                        + " memory; only its preprocessed size, at most maxInputImageSize, matters)");
            }
            if (useInputImageSizeAsOutput && !image) {
                throw new InvalidRequestException("useInputImageSizeAsOutput needs an input image: set"
                        + " inputImage(width, height)");
            }
            GenerationRequest.Builder b = GenerationRequest.builder()
                    .steps(steps).seed(0).kvCache(kvCache).cfgMode(cfgMode).imageGuidance(imageGuidance)
                    .maxInputImageSize(maxInputImageSize).negativePrompt(negativePrompt)
                    .useInputImageSizeAsOutput(useInputImageSizeAsOutput).size(width, height);
            if (image) {
                b.prompt("<img><|image_1|></img> " + prompt, List.of(pattern(inputImageWidth, inputImageHeight)));
            } else {
                b.prompt(prompt);
            }
            return new WarmUp(this, b.build());
        }

        /** A smooth colour gradient: any content gives the same shapes, and a smooth one is a plausible image. */
        private static RgbImage pattern(int w, int h) {
            byte[] rgb = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 3;
                    rgb[i] = (byte) (255L * x / Math.max(1, w - 1));
                    rgb[i + 1] = (byte) (255L * y / Math.max(1, h - 1));
                    rgb[i + 2] = (byte) 128;
                }
            }
            return RgbImage.of(w, h, rgb);
        }
    }
}
