package io.omnigen4j.sdk.sampling;

import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuidanceTest {

    private static float[] guide(SamplingCase c, int step) {
        float[] cond = c.f("step." + step + ".raw.0");
        float[] uncond = c.f("step." + step + ".raw.1");
        float[] out = new float[cond.length];
        if (c.branches() == 3) {
            Guidance.threeBranch(cond, uncond, c.f("step." + step + ".raw.2"), c.guidanceScale(),
                    c.imgGuidanceScale(), out);
        } else {
            assertEquals(2, c.branches(), c.name);
            Guidance.twoBranch(cond, uncond, c.guidanceScale(), out);
        }
        return out;
    }

    @Test
    void matchesRecordedVelocityOfEveryStep() {
        double worst = 0;
        int totalMismatch = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                for (int i = 0; i < c.steps(); i++) {
                    float[] v = guide(c, i);
                    float[] expected = c.f("step." + i + ".velocity");
                    double err = SamplingCase.maxAbsDiff(v, expected);
                    int mism = SamplingCase.mismatches(v, expected);
                    System.out.printf("guidance %-16s step %d branches %d: max abs err %.3e, %d/%d not bit-equal%n",
                            name, i, c.branches(), err, mism, v.length);
                    worst = Math.max(worst, err);
                    totalMismatch += mism;
                }
            }
        }
        System.out.printf("guidance: worst max abs err %.3e, %d elements not bit-equal%n", worst, totalMismatch);
        assertTrue(worst <= 1e-6, "velocity max abs err " + worst);
    }

    @Test
    void offsetFormOnBatchedLayoutAndInPlaceAliasing() {
        try (SamplingCase c = SamplingCase.open("subject_multi")) {
            float[] cond = c.f("step.1.raw.0");
            float[] uncond = c.f("step.1.raw.1");
            float[] img = c.f("step.1.raw.2");
            int n = cond.length;
            float[] batched = new float[3 * n]; // branch-major [G·B, 4, h, w]
            System.arraycopy(cond, 0, batched, 0, n);
            System.arraycopy(uncond, 0, batched, n, n);
            System.arraycopy(img, 0, batched, 2 * n, n);
            // result written in place over the cond block
            Guidance.threeBranch(batched, 0, batched, n, batched, 2 * n, c.guidanceScale(), c.imgGuidanceScale(),
                    batched, 0, n);
            float[] expected = guide(c, 1);
            float[] got = java.util.Arrays.copyOf(batched, n);
            assertArrayEquals(expected, got);
        }
        try (SamplingCase c = SamplingCase.open("batch_left_pad")) {
            float[] cond = c.f("step.2.raw.0");
            float[] uncond = c.f("step.2.raw.1");
            float[] expected = guide(c, 2);
            Guidance.twoBranch(cond, uncond, c.guidanceScale(), uncond); // out aliases uncond
            assertArrayEquals(expected, uncond);
        }
    }

    @Test
    void exactOperationOrder() {
        // 2 branches: u + g*(c-u) with float32 rounding of every op
        float c = 0.1f, u = 0.7f, g = 2.5f;
        float[] out = new float[1];
        Guidance.twoBranch(new float[] {c}, new float[] {u}, g, out);
        float d = c - u;
        float gd = g * d;
        assertEquals(u + gd, out[0]);
        assertThrows(IllegalArgumentException.class,
                () -> Guidance.twoBranch(new float[2], new float[3], 1f, new float[2]));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Guidance.twoBranch(new float[2], 1, new float[2], 0, 1f, new float[2], 0, 2));
    }
}
