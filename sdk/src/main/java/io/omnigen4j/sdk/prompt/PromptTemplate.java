package io.omnigen4j.sdk.prompt;

/**
 * The fixed texts of OmniGen prompt processing (spec §2.1, §2.6, §2.7). Kept in one place because every
 * character matters: the tokenizer's {@code rstrip} role tokens and SentencePiece's leading-space handling make
 * any deviation change the token ids.
 */
public final class PromptTemplate {

    /** Text before the user's prompt. */
    public static final String PREFIX = "<|user|>\nGenerate an image according to the following instructions\n";

    /** Text after the user's prompt (no newline between the prompt and {@code <|end|>}). */
    public static final String SUFFIX = "<|end|>\n<|assistant|>\n<|diffusion|>";

    /** The reference pipeline's fixed negative prompt (the {@code uncond} branch); not a pipeline argument there. */
    public static final String DEFAULT_NEGATIVE_PROMPT = "low quality, jpeg artifacts, ugly, duplicate, morbid, mutilated,"
            + " extra fingers, mutated hands, poorly drawn hands, poorly drawn face, mutation, deformed, blurry,"
            + " dehydrated, bad anatomy, bad proportions, extra limbs, cloned face, disfigured, gross proportions,"
            + " malformed limbs, missing arms, missing legs, extra arms, extra legs, fused fingers, too many fingers.";

    private PromptTemplate() {
    }

    /**
     * Wraps a raw prompt into the chat template used for every branch.
     * @param prompt the user's prompt, not null
     * @return the templated text the tokenizer sees
     */
    public static String wrap(String prompt) {
        if (prompt == null) {
            throw new NullPointerException("prompt");
        }
        return PREFIX + prompt + SUFFIX;
    }

    /**
     * The documented tag form for image {@code number} (1-based): {@code <img><|image_N|></img>}.
     * @param number the image's number, ≥ 1
     * @return the tag to place in a prompt
     */
    public static String imageTag(int number) {
        if (number < 1) {
            throw new IllegalArgumentException("image numbers start at 1: " + number);
        }
        return "<img><|image_" + number + "|></img>";
    }

    /**
     * The image-guidance ({@code img_cond}) prompt for {@code imageCount ≥ 1} images: one tag per image, joined by
     * single spaces. A prompt without images has no such branch input of its own; the reference then reuses the
     * negative-prompt input.
     * @param imageCount number of input images, ≥ 1
     * @return the prompt of the image-guidance branch
     */
    public static String imageGuidancePrompt(int imageCount) {
        if (imageCount < 1) {
            throw new IllegalArgumentException("image guidance needs at least one image: " + imageCount);
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k <= imageCount; k++) {
            if (k > 1) {
                sb.append(' ');
            }
            sb.append(imageTag(k));
        }
        return sb.toString();
    }
}
