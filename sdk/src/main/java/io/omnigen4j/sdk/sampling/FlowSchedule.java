package io.omnigen4j.sdk.sampling;

import java.util.Arrays;

/**
 * The rectified-flow time grid of OmniGen (spec §7): {@code t = torch.linspace(0, 1, steps + 1)} in float32 followed by
 * the shift map {@code σ = t / (t + s − s·t)}. With the default shift {@code s = 1} the map is <em>not</em> an identity
 * in float32, so both stages reproduce PyTorch's rounding exactly; the grid is the time-step input of every step and the
 * source of the Euler step sizes. Instances are immutable and thread-safe.
 */
public final class FlowSchedule {
    /** The shift OmniGen uses ({@code time_shifting_factor = 1}). */
    public static final float DEFAULT_SHIFT = 1f;

    private final float[] sigmas;

    private FlowSchedule(float[] sigmas) {
        this.sigmas = sigmas;
    }

    /** The OmniGen schedule for {@code steps} steps (shift 1). */
    public static FlowSchedule of(int steps) {
        return of(steps, DEFAULT_SHIFT);
    }

    /** The schedule for {@code steps} steps with time shift {@code shift} (float32 ops: s·t, t + s, − , ÷). */
    public static FlowSchedule of(int steps, float shift) {
        if (!(shift > 0f) || !Float.isFinite(shift)) {
            throw new IllegalArgumentException("shift must be finite and > 0, got " + shift);
        }
        float[] t = linspace01(steps);
        for (int i = 0; i < t.length; i++) {
            float ti = t[i];
            float st = shift * ti;
            float den = (ti + shift) - st;
            t[i] = ti / den;
        }
        return new FlowSchedule(t);
    }

    /**
     * A caller-supplied grid (the "σ override" of the SDK). It must have at least two finite values; the loop runs
     * {@code sigmas.length − 1} steps. The array is copied.
     */
    public static FlowSchedule ofSigmas(float[] sigmas) {
        if (sigmas == null || sigmas.length < 2) {
            throw new IllegalArgumentException("a sigma override needs at least 2 values (steps + 1)");
        }
        for (int i = 0; i < sigmas.length; i++) {
            if (!Float.isFinite(sigmas[i])) {
                throw new IllegalArgumentException("sigma[" + i + "] is not finite: " + sigmas[i]);
            }
        }
        return new FlowSchedule(sigmas.clone());
    }

    /**
     * {@code torch.linspace(0, 1, steps + 1)} in float32 as the x86-64 CPU kernel computes it: {@code step = f32(1/steps)};
     * the first half is {@code f32(i·step)}, the second half {@code 1 − step·(steps − i)} with one rounding (FMA).
     */
    public static float[] linspace01(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        int points = steps + 1;
        float step = 1f / steps;
        int halfway = points / 2;
        float[] t = new float[points];
        for (int i = 0; i < points; i++) {
            t[i] = i < halfway ? i * step : Math.fma(-step, (float) (steps - i), 1f);
        }
        return t;
    }

    /** Number of denoising steps ({@code sigmas().length − 1}). */
    public int steps() {
        return sigmas.length - 1;
    }

    /** σ_i, the time-step value fed to the model at step {@code i} (0 ≤ i ≤ steps). */
    public float sigma(int i) {
        return sigmas[i];
    }

    /** The Euler step size of step {@code i}: {@code f32(σ_{i+1} − σ_i)} (a float32 scalar in PyTorch). */
    public float delta(int i) {
        if (i < 0 || i >= sigmas.length - 1) {
            throw new IndexOutOfBoundsException("step " + i + " outside [0, " + (sigmas.length - 1) + ")");
        }
        return sigmas[i + 1] - sigmas[i];
    }

    /** A copy of the whole grid (length steps + 1). */
    public float[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public String toString() {
        return "FlowSchedule" + Arrays.toString(sigmas);
    }
}
