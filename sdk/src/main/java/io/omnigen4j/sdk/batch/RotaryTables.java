package io.omnigen4j.sdk.batch;

/**
 * Phi-3 rotary embedding tables with optional LongRoPE scaling (spec §5.6), computed in Java because only Java
 * sees the whole call and must apply the same factor set to the prefill and to every step (spec §10).
 *
 * <p>Factor choice: the long factors are used iff the call's key length S (the padded S = C + 1 + N of the
 * batch, also at cached steps) is greater than {@code original_max_position_embeddings}. This equals the
 * reference's max(position_ids) + 1 rule, since the largest position of a batch is S − 1. Without
 * {@code rope_scaling} every factor is 1 and the attention factor is 1.
 *
 * <p>Arithmetic follows the float32 PyTorch ops of the reference: e<sub>j</sub> = f32(f32(2j) / headDim);
 * inv<sub>j</sub> = f32(1 / f32(ext<sub>j</sub> · f32(θ<sup>e<sub>j</sub></sup>))) with θ as float32;
 * angle = f32(inv<sub>j</sub> · pos); cos = f32(f32(cos angle) · f32(a)) — PyTorch casts the Python scalar a to
 * float32 before the multiply. The attention factor a = sqrt(1 + ln(max/orig) / ln(orig)) when max > orig, else 1
 * (double, as in Python). Results are float32; a bf16 mode rounds them afterwards.
 */
public final class RotaryTables {

    private final int headDim;
    private final float theta;
    private final float[] shortFactor;
    private final float[] longFactor;
    private final int originalMaxPositions;
    private final double attentionScale;

    /**
     * @param headDim              per-head dimension (even)
     * @param ropeTheta            {@code rope_theta}
     * @param shortFactor          LongRoPE {@code short_factor} (headDim/2 values), or null for plain RoPE
     * @param longFactor           LongRoPE {@code long_factor}, null iff {@code shortFactor} is null
     * @param originalMaxPositions {@code original_max_position_embeddings} (ignored without scaling)
     * @param maxPositions         {@code max_position_embeddings} (ignored without scaling)
     */
    public RotaryTables(int headDim, double ropeTheta, float[] shortFactor, float[] longFactor,
                        int originalMaxPositions, int maxPositions) {
        if (headDim < 2 || headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be even and ≥ 2: " + headDim);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("ropeTheta must be > 0: " + ropeTheta);
        }
        if ((shortFactor == null) != (longFactor == null)) {
            throw new IllegalArgumentException("give both LongRoPE factor lists or neither");
        }
        this.headDim = headDim;
        this.theta = (float) ropeTheta;
        if (shortFactor != null) {
            checkFactors("short_factor", shortFactor, headDim);
            checkFactors("long_factor", longFactor, headDim);
            if (originalMaxPositions < 2 || maxPositions < 1) {
                throw new IllegalArgumentException("bad max positions " + originalMaxPositions + "/" + maxPositions);
            }
            this.shortFactor = shortFactor.clone();
            this.longFactor = longFactor.clone();
            this.originalMaxPositions = originalMaxPositions;
            double scale = (double) maxPositions / originalMaxPositions;
            this.attentionScale = scale <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(scale) / Math.log(originalMaxPositions));
        } else {
            this.shortFactor = null;
            this.longFactor = null;
            this.originalMaxPositions = 0;
            this.attentionScale = 1.0;
        }
    }

    /** Plain RoPE ({@code rope_scaling} null). */
    public static RotaryTables plain(int headDim, double ropeTheta) {
        return new RotaryTables(headDim, ropeTheta, null, null, 0, 0);
    }

    private static void checkFactors(String name, float[] f, int headDim) {
        if (f.length != headDim / 2) {
            throw new IllegalArgumentException(name + " needs " + headDim / 2 + " values, got " + f.length);
        }
        for (float v : f) {
            if (!(v > 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException(name + " values must be finite and > 0: " + v);
            }
        }
    }

    public int headDim() {
        return headDim;
    }

    public boolean hasScaling() {
        return shortFactor != null;
    }

    /** The attention factor a that scales cos and sin (1 without scaling). */
    public double attentionScale() {
        return attentionScale;
    }

    /**
     * The factor choice for a call whose key length is {@code keyLength} (= S of the collated batch). Use the
     * same S for the prefill and all steps of that batch.
     */
    public boolean useLongFactors(int keyLength) {
        return hasScaling() && keyLength > originalMaxPositions;
    }

    /** The ext factors for the given choice (all ones without scaling). */
    public float[] factors(boolean longFactors) {
        if (!hasScaling()) {
            float[] ones = new float[headDim / 2];
            java.util.Arrays.fill(ones, 1f);
            return ones;
        }
        return (longFactors ? longFactor : shortFactor).clone();
    }

    /** inv_freq for the given factor choice, float32 as in the reference. */
    public float[] inverseFrequencies(boolean longFactors) {
        float[] ext = factors(longFactors);
        float[] inv = new float[headDim / 2];
        for (int j = 0; j < inv.length; j++) {
            float exponent = (float) (2 * j) / (float) headDim;
            float pow = (float) Math.pow(theta, exponent);
            inv[j] = 1f / (ext[j] * pow);
        }
        return inv;
    }

    /**
     * Tables for a call, choosing the factors from its key length.
     *
     * @param positionIds [B, T] positions of the call's query tokens
     * @param keyLength   S of the collated batch (see {@link #useLongFactors})
     */
    public CosSin compute(long[] positionIds, int batch, int tokens, int keyLength) {
        return compute(positionIds, batch, tokens, useLongFactors(keyLength));
    }

    /** Tables for a call with an explicit factor choice. */
    public CosSin compute(long[] positionIds, int batch, int tokens, boolean longFactors) {
        if (positionIds.length != (long) batch * tokens) {
            throw new IllegalArgumentException("positionIds has " + positionIds.length + " values, expected "
                    + batch + "×" + tokens);
        }
        float[] inv = inverseFrequencies(longFactors);
        float a = (float) attentionScale;
        int half = inv.length;
        float[] cos = new float[positionIds.length * half];
        float[] sin = new float[cos.length];
        for (int r = 0; r < positionIds.length; r++) {
            float pos = (float) positionIds[r];
            int o = r * half;
            for (int j = 0; j < half; j++) {
                float angle = inv[j] * pos;
                cos[o + j] = (float) Math.cos(angle) * a;
                sin[o + j] = (float) Math.sin(angle) * a;
            }
        }
        return new CosSin(batch, tokens, half, cos, sin, longFactors);
    }
}
