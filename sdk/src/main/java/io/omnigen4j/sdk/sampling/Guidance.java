package io.omnigen4j.sdk.sampling;

import java.util.Objects;

/**
 * Classifier-free guidance of OmniGen (spec §7), combining the raw branch predictions into one velocity with the
 * exact float32 operation order of the reference so results match it bit for bit:
 * <ul>
 *   <li>2 branches: {@code v = u + g·(c − u)}</li>
 *   <li>3 branches: {@code v = [u + g_img·(i − u)] + g·(c − i)}</li>
 * </ul>
 * (c = cond, u = uncond, i = img_cond). Every operation rounds to float32 once; nothing is fused. The guidance scales
 * are float32 because PyTorch casts the Python scalars to the tensor dtype. The methods work on flat arrays with
 * offsets (so a batched {@code [G·B,4,h,w]} output can be used directly), do not allocate, and allow {@code out} to
 * alias any input element-for-element (same array and offset).
 */
public final class Guidance {
    private Guidance() {
    }

    /** Two-branch guidance over whole arrays of equal length: {@code out = u + g·(c − u)}. */
    public static void twoBranch(float[] cond, float[] uncond, float scale, float[] out) {
        int n = sameLength(cond, uncond, out);
        twoBranch(cond, 0, uncond, 0, scale, out, 0, n);
    }

    /** Two-branch guidance over {@code length} elements starting at the given offsets. */
    public static void twoBranch(float[] cond, int condOff, float[] uncond, int uncondOff, float scale,
                                 float[] out, int outOff, int length) {
        Objects.checkFromIndexSize(condOff, length, cond.length);
        Objects.checkFromIndexSize(uncondOff, length, uncond.length);
        Objects.checkFromIndexSize(outOff, length, out.length);
        for (int k = 0; k < length; k++) {
            float u = uncond[uncondOff + k];
            float d = cond[condOff + k] - u;
            float gd = scale * d;
            out[outOff + k] = u + gd;
        }
    }

    /** Three-branch guidance over whole arrays of equal length: {@code out = [u + g_img·(i − u)] + g·(c − i)}. */
    public static void threeBranch(float[] cond, float[] uncond, float[] imgCond, float scale, float imgScale,
                                   float[] out) {
        int n = sameLength(cond, uncond, out);
        if (imgCond.length != n) {
            throw new IllegalArgumentException("img_cond length " + imgCond.length + " != " + n);
        }
        threeBranch(cond, 0, uncond, 0, imgCond, 0, scale, imgScale, out, 0, n);
    }

    /** Three-branch guidance over {@code length} elements starting at the given offsets. */
    public static void threeBranch(float[] cond, int condOff, float[] uncond, int uncondOff, float[] imgCond,
                                   int imgOff, float scale, float imgScale, float[] out, int outOff, int length) {
        Objects.checkFromIndexSize(condOff, length, cond.length);
        Objects.checkFromIndexSize(uncondOff, length, uncond.length);
        Objects.checkFromIndexSize(imgOff, length, imgCond.length);
        Objects.checkFromIndexSize(outOff, length, out.length);
        for (int k = 0; k < length; k++) {
            float u = uncond[uncondOff + k];
            float i = imgCond[imgOff + k];
            float c = cond[condOff + k];
            float left = u + imgScale * (i - u);
            float right = scale * (c - i);
            out[outOff + k] = left + right;
        }
    }

    private static int sameLength(float[] a, float[] b, float[] out) {
        if (a.length != b.length || out.length != a.length) {
            throw new IllegalArgumentException("branch lengths differ: " + a.length + ", " + b.length
                    + ", out " + out.length);
        }
        return a.length;
    }
}
