package io.omnigen4j.sdk.model;

import io.omnigen4j.sdk.InvalidRequestException;

/**
 * The size limits a model imposes on a request, computed from its manifest alone (no graph is loaded), so that a
 * caller can check a request, or show the limits, before loading the model. Generation checks requests with these
 * same methods, so what they accept is what the model accepts.
 *
 * <ul>
 *   <li>Each side of the output and of every preprocessed input image is at most the position table's side
 *       ({@code pos_embed_max_size} patches of {@link #patchPixels()} px).</li>
 *   <li>The prompt row (text and input-image tokens), one time-step token and the output's image tokens
 *       ({@code W·H / patchPixels²}) share {@code max_position_embeddings} positions; an output that leaves no
 *       position for the prompt is refused, and the prompt must fit in {@link #promptBudget(int, int)}.</li>
 * </ul>
 * Instances are immutable.
 */
public final class ModelLimits {
    /** Output sides must be multiples of this many pixels (the request builder's rule). */
    private static final int SIZE_STEP = 16;

    private final int patchPixels;
    private final int tableSide;
    private final int positions;

    private ModelLimits(int patchPixels, int tableSide, int positions) {
        this.patchPixels = patchPixels;
        this.tableSide = tableSide;
        this.positions = positions;
    }

    /**
     * The limits of a model.
     * @param manifest the model's manifest
     * @return its limits
     */
    public static ModelLimits of(ModelManifest manifest) {
        return new ModelLimits(manifest.omnigen().vaeDownscale() * manifest.omnigen().patchSize(),
                manifest.omnigen().posEmbedMaxSize(), manifest.transformer().maxPositionEmbeddings());
    }

    /**
     * Pixels per patch side (VAE downscale × patch size; 16 for OmniGen).
     * @return the pixels per image token side
     */
    public int patchPixels() {
        return patchPixels;
    }

    /**
     * Side of the position table in patches ({@code pos_embed_max_size}).
     * @return the table's side in patches
     */
    public int positionTableSide() {
        return tableSide;
    }

    /**
     * Largest side in pixels of the output and of a preprocessed input image, from the position table.
     * @return the largest side in pixels
     */
    public int maxSidePixels() {
        return tableSide * patchPixels;
    }

    /**
     * Positions in the transformer's sequence ({@code max_position_embeddings}), shared by the prompt row, the time
     * step and the output.
     * @return the sequence length
     */
    public int sequencePositions() {
        return positions;
    }

    /**
     * Image tokens of an output of this size.
     * @param width output width in pixels
     * @param height output height in pixels
     * @return {@code (width / patchPixels) · (height / patchPixels)}
     */
    public long outputTokens(int width, int height) {
        return (long) (width / patchPixels) * (height / patchPixels);
    }

    /**
     * Tokens left for the longest prompt row (template, text and input-image tokens) at this output size.
     * @param width output width in pixels
     * @param height output height in pixels
     * @return {@code max_position_embeddings − 1 − outputTokens}; less than 1 when the output leaves no room
     */
    public long promptBudget(int width, int height) {
        return positions - 1L - outputTokens(width, height);
    }

    /**
     * The largest square output accepted: the largest multiple of 16 for which {@link #outputSizeProblem} finds
     * nothing wrong.
     * @return the side in pixels, or 0 when no square output fits
     */
    public int largestSquare() {
        // Start at the bound (the table side or the square root of the sequence, whichever is smaller) and settle.
        long fromSequence = (long) Math.floor(Math.sqrt(Math.max(0, positions - 2.0)));
        int side = (int) Math.min(tableSide, fromSequence) * patchPixels / SIZE_STEP * SIZE_STEP;
        while (side > 0 && !fits(side, side)) {
            side -= SIZE_STEP;
        }
        while (fits(side + SIZE_STEP, side + SIZE_STEP)) {
            side += SIZE_STEP;
        }
        return side;
    }

    private boolean fits(int width, int height) {
        return width / patchPixels <= tableSide && height / patchPixels <= tableSide
                && promptBudget(width, height) >= 1;
    }

    /**
     * What is wrong with an output size for this model, without a fix hint.
     * @param width output width in pixels (a multiple of 16, as the request builder checks)
     * @param height output height in pixels
     * @return null when the model accepts the size; otherwise the problem, e.g. "output 3088×3088 exceeds the
     *         model's position table (3072 px per side)"
     */
    public String outputSizeProblem(int width, int height) {
        if (width / patchPixels > tableSide || height / patchPixels > tableSide) {
            return "output " + width + "×" + height + " exceeds the model's position table (" + maxSidePixels()
                    + " px per side)";
        }
        long tokens = outputTokens(width, height);
        if (promptBudget(width, height) < 1) {
            int square = largestSquare();
            return "output " + width + "×" + height + " needs " + tokens + " image tokens but the model's sequence"
                    + " holds " + positions + " positions for prompt, time step and output together (the largest"
                    + " square output is " + square + "×" + square + ")";
        }
        return null;
    }

    /**
     * Checks an output size.
     * @param width output width in pixels
     * @param height output height in pixels
     * @param hint appended to the message, e.g. how the size came about; may be empty
     * @throws InvalidRequestException naming the limit the size exceeds and saying to choose a smaller size
     */
    public void checkOutputSize(int width, int height, String hint) {
        String problem = outputSizeProblem(width, height);
        if (problem != null) {
            throw new InvalidRequestException(problem + "; choose a smaller size" + hint);
        }
    }
}
