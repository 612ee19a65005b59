package io.omnigen4j.sdk.batch;

import io.omnigen4j.sdk.prompt.BranchInput;
import io.omnigen4j.sdk.prompt.ImageSpan;

import java.util.ArrayList;
import java.util.List;

/**
 * Pads branch rows into one batch and builds position ids and the 0/1 attention mask exactly as the reference
 * processor (spec §4). Which rows form a batch is the caller's choice: separate CFG (reference default) collates
 * each branch on its own (rows = prompts); batched CFG passes all branches at once, branch-major
 * ([cond p<sub>0</sub>…, uncond p<sub>0</sub>…, img_cond p<sub>0</sub>…]). The two modes pad differently, so
 * their sequence lengths — and hence the LongRoPE factor choice — can differ.
 */
public final class Collator {

    /** Left-padding id ({@code </s>}). */
    public static final long PAD_ID = 2;

    private Collator() {
    }

    /**
     * @param rows         unpadded rows, in batch order
     * @param outputTokens N = H·W/256 output-image tokens (the same for every row)
     */
    public static Collation collate(List<BranchInput> rows, int outputTokens) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows to collate");
        }
        if (outputTokens < 1) {
            throw new IllegalArgumentException("outputTokens must be ≥ 1: " + outputTokens);
        }
        int batch = rows.size();
        int[] lengths = new int[batch];
        int l = 0;
        for (int b = 0; b < batch; b++) {
            lengths[b] = rows.get(b).length();
            if (lengths[b] < 1) {
                throw new IllegalArgumentException("row " + b + " is empty");
            }
            l = Math.max(l, lengths[b]);
        }
        int s = Math.addExact(Math.addExact(l, 1), outputTokens);
        long maskSize = (long) batch * s * s;
        if (maskSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("attention mask of " + batch + "×" + s + "×" + s + " does not fit an array");
        }
        long[] ids = new long[batch * l];
        long[] positions = new long[batch * s];
        float[] mask = new float[(int) maskSize];
        List<List<ImageSpan>> spans = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            BranchInput row = rows.get(b);
            int pad = l - lengths[b];
            for (int i = 0; i < pad; i++) {
                ids[b * l + i] = PAD_ID;
            }
            for (int i = 0; i < lengths[b]; i++) {
                ids[b * l + pad + i] = row.id(i);
            }
            List<ImageSpan> shifted = new ArrayList<>(row.spans().size());
            for (ImageSpan sp : row.spans()) {
                shifted.add(sp.shifted(pad));
            }
            spans.add(shifted);
            fillPositions(positions, b * s, pad, s);
            fillMask(mask, (long) b * s * s, s, l, pad, shifted);
        }
        return new Collation(batch, l, outputTokens, lengths, ids, spans, positions, mask);
    }

    /** [0]×pad ++ [0, 1, …, ℓ+N]. */
    private static void fillPositions(long[] positions, int offset, int pad, int s) {
        for (int j = pad; j < s; j++) {
            positions[offset + j] = j - pad;
        }
    }

    /**
     * Row b of the mask (spec §4.4): pad rows all 1; real text/time rows causal from the first real column up to
     * the diagonal (never an output-image column, as those lie after the time token); output-image rows see every
     * non-pad column; then each input-image span is a fully visible block.
     */
    private static void fillMask(float[] mask, long offset, int s, int l, int pad, List<ImageSpan> spans) {
        int base = (int) offset;
        for (int i = 0; i < s; i++) {
            int row = base + i * s;
            if (i < pad) {
                java.util.Arrays.fill(mask, row, row + s, 1f);
            } else if (i <= l) {
                java.util.Arrays.fill(mask, row + pad, row + i + 1, 1f);
            } else {
                java.util.Arrays.fill(mask, row + pad, row + s, 1f);
            }
        }
        for (ImageSpan sp : spans) {
            for (int i = sp.start(); i < sp.end(); i++) {
                java.util.Arrays.fill(mask, base + i * s + sp.start(), base + i * s + sp.end(), 1f);
            }
        }
    }
}
