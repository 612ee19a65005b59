package io.omnigen4j.sdk.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one prompt and the token counts of its input images into a branch row (spec §2.3–2.5): template, split
 * at the tags, tokenize every chunk as its own string, drop the leading BOS of chunks 1..k, and insert
 * n<sub>i</sub> placeholder zeros per tag occurrence, where n<sub>i</sub> = H·W/256 of preprocessed image i.
 * Images are given as counts only, so this package does not depend on image code.
 *
 * <p>Stateless apart from the tokenizer, so as thread-safe as the tokenizer ({@link PromptTokenizer} is).
 */
public final class PromptEncoder {

    /** Placeholder id for input-image rows (overwritten by image tokens before the model, spec §5.4). */
    public static final long PLACEHOLDER_ID = 0;
    /** The BOS id dropped from chunks after the first. */
    public static final long BOS_ID = 1;

    private final TextTokenizer tokenizer;
    private final int maxConditionTokens;

    /**
     * @param tokenizer          text → ids with BOS
     * @param maxConditionTokens budget for the unpadded row length (text + image placeholders); the caller derives
     *                           it from the model, e.g. {@code max_position_embeddings − 1 − N}
     */
    public PromptEncoder(TextTokenizer tokenizer, int maxConditionTokens) {
        if (tokenizer == null) {
            throw new NullPointerException("tokenizer");
        }
        if (maxConditionTokens < 1) {
            throw new IllegalArgumentException("maxConditionTokens < 1: " + maxConditionTokens);
        }
        this.tokenizer = tokenizer;
        this.maxConditionTokens = maxConditionTokens;
    }

    /**
     * The condition budget for a model: the whole sequence C + 1 + N must fit {@code max_position_embeddings}
     * positions, so a row may hold at most {@code maxPositionEmbeddings − 1 − N} tokens.
     */
    public static int conditionBudget(int maxPositionEmbeddings, int outputTokens) {
        int budget = maxPositionEmbeddings - 1 - outputTokens;
        if (budget < 1) {
            throw new PromptException(PromptException.Kind.TOO_LONG, "an output of " + outputTokens
                    + " tokens leaves no room for a prompt within " + maxPositionEmbeddings + " positions");
        }
        return budget;
    }

    public int maxConditionTokens() {
        return maxConditionTokens;
    }

    /**
     * Encodes a raw (untemplated) prompt.
     *
     * @param prompt            the user's instruction, tags {@code <img><|image_N|></img>} refer to images
     * @param imageTokenCounts  n<sub>i</sub> of image i (index 0 = {@code <|image_1|>}); empty for text only
     * @throws PromptException  on tag/image mismatches, malformed Unicode, or when the row exceeds the budget
     */
    public BranchInput encode(String prompt, int[] imageTokenCounts) {
        WellFormedText.require(prompt, "the prompt");
        for (int n : imageTokenCounts) {
            if (n < 1) {
                throw new IllegalArgumentException("image token count must be ≥ 1: " + n);
            }
        }
        TaggedText tagged = ImageTagParser.parse(PromptTemplate.wrap(prompt), imageTokenCounts.length);
        return assemble(tagged, imageTokenCounts);
    }

    /** The {@code uncond} row: the negative prompt, templated, no images. */
    public BranchInput encodeNegative(String negativePrompt) {
        return encode(negativePrompt, new int[0]);
    }

    /**
     * The {@code img_cond} row: {@link PromptTemplate#imageGuidancePrompt} over the same images; for a prompt
     * without images the reference reuses the negative-prompt row, and so does this method.
     */
    public BranchInput encodeImageGuidance(int[] imageTokenCounts, String negativePrompt) {
        if (imageTokenCounts.length == 0) {
            return encodeNegative(negativePrompt);
        }
        return encode(PromptTemplate.imageGuidancePrompt(imageTokenCounts.length), imageTokenCounts);
    }

    private BranchInput assemble(TaggedText tagged, int[] imageTokenCounts) {
        List<long[]> pieces = new ArrayList<>();
        long total = 0;
        for (int c = 0; c < tagged.chunks().size(); c++) {
            long[] ids = tokenizer.encode(tagged.chunks().get(c));
            int from = c > 0 && ids.length > 0 && ids[0] == BOS_ID ? 1 : 0;
            pieces.add(Arrays.copyOfRange(ids, from, ids.length));
            total += ids.length - from;
            if (c < tagged.tagCount()) {
                total += imageTokenCounts[tagged.tagNumber(c) - 1];
            }
        }
        if (total > maxConditionTokens) {
            throw new PromptException(PromptException.Kind.TOO_LONG, "the prompt needs " + total
                    + " condition tokens (text + input-image tokens) but the model allows " + maxConditionTokens
                    + " at this output size; shorten the prompt or use smaller input images");
        }
        long[] out = new long[(int) total];
        List<ImageSpan> spans = new ArrayList<>();
        int pos = 0;
        for (int c = 0; c < pieces.size(); c++) {
            long[] p = pieces.get(c);
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
            if (c < tagged.tagCount()) {
                int image = tagged.tagNumber(c) - 1;
                int n = imageTokenCounts[image];
                // out is zero-initialised: the placeholders are already PLACEHOLDER_ID.
                spans.add(new ImageSpan(pos, pos + n, image));
                pos += n;
            }
        }
        return new BranchInput(out, spans);
    }
}
