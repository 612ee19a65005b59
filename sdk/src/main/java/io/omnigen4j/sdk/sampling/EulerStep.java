package io.omnigen4j.sdk.sampling;

import java.util.Objects;

/**
 * The Euler update of OmniGen's flow sampler (spec §7): {@code z ← z + f32(σ_{i+1} − σ_i)·v}, each product and sum
 * rounded to float32 separately (no FMA) as PyTorch does, so a float32 run matches the reference bit for bit.
 * In place, no allocation.
 */
public final class EulerStep {
    private EulerStep() {
    }

    /** Applies step {@code i} of {@code schedule} to the whole of {@code z} (same length as {@code velocity}). */
    public static void apply(FlowSchedule schedule, int i, float[] z, float[] velocity) {
        apply(z, velocity, schedule.delta(i));
    }

    /** {@code z[k] ← z[k] + dt·v[k]} over whole arrays of equal length. */
    public static void apply(float[] z, float[] velocity, float dt) {
        if (z.length != velocity.length) {
            throw new IllegalArgumentException("z length " + z.length + " != velocity length " + velocity.length);
        }
        apply(z, 0, velocity, 0, z.length, dt);
    }

    /** {@code z[zOff+k] ← z[zOff+k] + dt·v[vOff+k]} for {@code k < length}. */
    public static void apply(float[] z, int zOff, float[] velocity, int vOff, int length, float dt) {
        Objects.checkFromIndexSize(zOff, length, z.length);
        Objects.checkFromIndexSize(vOff, length, velocity.length);
        for (int k = 0; k < length; k++) {
            float step = dt * velocity[vOff + k];
            z[zOff + k] = z[zOff + k] + step;
        }
    }
}
