package io.omnigen4j.sdk.batch;

/**
 * Rotary cos/sin tables for one model call, [B, T, headDim/2] row-major, already multiplied by the LongRoPE
 * attention factor. With the non-interleaved (rotate-half) layout the second half of each head repeats the first,
 * so only the first half is stored; {@link #cosFull()} / {@link #sinFull()} give the [B, T, headDim] form.
 */
public record CosSin(int batch, int tokens, int halfDim, float[] cos, float[] sin, boolean longFactors) {

    public CosSin {
        int n = Math.multiplyExact(Math.multiplyExact(batch, tokens), halfDim);
        if (cos.length != n || sin.length != n) {
            throw new IllegalArgumentException("tables must have " + n + " values");
        }
    }

    /** cos as [B, T, headDim]: each row's half repeated. */
    public float[] cosFull() {
        return duplicateHalves(cos);
    }

    /** sin as [B, T, headDim]: each row's half repeated. */
    public float[] sinFull() {
        return duplicateHalves(sin);
    }

    private float[] duplicateHalves(float[] half) {
        int rows = batch * tokens;
        float[] out = new float[rows * halfDim * 2];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(half, r * halfDim, out, 2 * r * halfDim, halfDim);
            System.arraycopy(half, r * halfDim, out, (2 * r + 1) * halfDim, halfDim);
        }
        return out;
    }
}
