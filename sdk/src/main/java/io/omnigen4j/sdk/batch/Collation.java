package io.omnigen4j.sdk.batch;

import io.omnigen4j.sdk.prompt.ImageSpan;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * One collated batch (spec §4): rows left-padded to a common condition length C = L, sequence S = L + 1 + N
 * ([condition L | time token | N output-image tokens]). All tensors are flat row-major arrays ready for ONNX
 * Runtime. Besides the processor's own tensors it derives what the split prefill/step graphs need (spec §6, §10).
 *
 * <p>Arrays are shared, not copied: treat them as read-only.
 *
 * @param batch          B
 * @param conditionLength C = L, the padded condition length
 * @param outputTokens   N = H·W/256
 * @param lengths        unpadded length ℓ<sub>b</sub> of each row
 * @param inputIds       [B, L] int64, left-padded with {@link Collator#PAD_ID}
 * @param spans          per row, its input-image spans shifted by the row's padding (indices into {@code inputIds})
 * @param positionIds    [B, S] int64
 * @param attentionMask  [B, S, S] float 0/1 (1 = may attend)
 */
public record Collation(int batch, int conditionLength, int outputTokens, int[] lengths, long[] inputIds,
                        List<List<ImageSpan>> spans, long[] positionIds, float[] attentionMask) {

    /** Additive value of a masked entry: finfo(float32).min, as the reference with float32 weights. */
    public static final float MASKED = -Float.MAX_VALUE;

    public Collation {
        spans = spans.stream().map(List::copyOf).toList();
    }

    /** S = C + 1 + N. */
    public int sequenceLength() {
        return conditionLength + 1 + outputTokens;
    }

    /** N + 1: tokens fed per cached step (time token + output image). */
    public int stepTokens() {
        return outputTokens + 1;
    }

    /** Left padding of row b. */
    public int padding(int b) {
        return conditionLength - lengths[b];
    }

    /** The full mask made additive, [B, 1, S, S] (no-KV-cache path: every step runs the whole sequence). */
    public float[] fullAdditiveMask() {
        float[] out = new float[batch * sequenceLength() * sequenceLength()];
        fullAdditiveMask(FloatBuffer.wrap(out));
        return out;
    }

    /** As {@link #fullAdditiveMask()}, written into {@code out} from its index 0 (e.g. a direct buffer). */
    public void fullAdditiveMask(FloatBuffer out) {
        for (int i = 0; i < attentionMask.length; i++) {
            out.put(i, additive(attentionMask[i]));
        }
    }

    /** Prefill mask [B, 1, C, C]: the top-left C×C block of the mask, additive. */
    public float[] prefillAdditiveMask() {
        float[] out = new float[batch * conditionLength * conditionLength];
        prefillAdditiveMask(FloatBuffer.wrap(out));
        return out;
    }

    /** As {@link #prefillAdditiveMask()}, written into {@code out} from its index 0. */
    public void prefillAdditiveMask(FloatBuffer out) {
        int s = sequenceLength();
        int c = conditionLength;
        int o = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < c; i++) {
                int base = (b * s + i) * s;
                for (int j = 0; j < c; j++) {
                    out.put(o++, additive(attentionMask[base + j]));
                }
            }
        }
    }

    /**
     * Rows of the time token and output image, [B, N+1, S] 0/1: the mask the reference uses at cached steps ≥ 1
     * ({@code attention_mask[:, -(N+1):, :]}).
     */
    public float[] stepMaskRows() {
        int s = sequenceLength();
        int rows = stepTokens();
        float[] out = new float[batch * rows * s];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(attentionMask, (b * s + conditionLength) * s, out, b * rows * s, rows * s);
        }
        return out;
    }

    /**
     * Step mask [B, 1, N+1, C+N+1] additive, keys = [cached condition C | new N+1].
     *
     * @param step0Compat true for step 0 of the reference KV cache: the N+1 new key columns are masked, so the time
     *                    and image tokens see only condition keys (spec §6, OmniGen issue 196); false for steps ≥ 1
     *                    and for the no-cache semantics
     */
    public float[] stepAdditiveMask(boolean step0Compat) {
        float[] out = new float[batch * stepTokens() * sequenceLength()];
        stepAdditiveMask(step0Compat, FloatBuffer.wrap(out));
        return out;
    }

    /** As {@link #stepAdditiveMask(boolean)}, written into {@code out} from its index 0. */
    public void stepAdditiveMask(boolean step0Compat, FloatBuffer out) {
        int s = sequenceLength();
        int rows = stepTokens();
        for (int b = 0; b < batch; b++) {
            int from = (b * s + conditionLength) * s;
            int to = b * rows * s;
            for (int i = 0; i < rows * s; i++) {
                boolean newKey = i % s >= conditionLength;
                out.put(to + i, step0Compat && newKey ? MASKED : additive(attentionMask[from + i]));
            }
        }
    }

    /** Positions of the condition tokens, [B, C] (prefill). */
    public long[] conditionPositionIds() {
        return columns(0, conditionLength);
    }

    /** Positions of the time token and output image, [B, N+1] (every cached step). */
    public long[] stepPositionIds() {
        return columns(conditionLength, stepTokens());
    }

    private long[] columns(int from, int count) {
        int s = sequenceLength();
        long[] out = new long[batch * count];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(positionIds, b * s + from, out, b * count, count);
        }
        return out;
    }

    /** Masks hold only 0 and 1: visible → +0, hidden → {@link #MASKED} (the reference's (1 − m)·min, without its −0). */
    private static float additive(float m) {
        return m != 0f ? 0f : MASKED;
    }
}
