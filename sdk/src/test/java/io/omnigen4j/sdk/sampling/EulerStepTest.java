package io.omnigen4j.sdk.sampling;

import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EulerStepTest {

    @Test
    void matchesRecordedZOutOfEveryStep() {
        double worst = 0;
        int totalMismatch = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                FlowSchedule s = FlowSchedule.of(c.steps());
                for (int i = 0; i < c.steps(); i++) {
                    float[] z = c.f("step." + i + ".z_in");
                    EulerStep.apply(s, i, z, c.f("step." + i + ".velocity"));
                    float[] expected = c.f("step." + i + ".z_out");
                    double err = SamplingCase.maxAbsDiff(z, expected);
                    int mism = SamplingCase.mismatches(z, expected);
                    System.out.printf("euler    %-16s step %d: max abs err %.3e, %d/%d not bit-equal%n",
                            name, i, err, mism, z.length);
                    worst = Math.max(worst, err);
                    totalMismatch += mism;
                }
            }
        }
        System.out.printf("euler: worst max abs err %.3e, %d elements not bit-equal%n", worst, totalMismatch);
        assertTrue(worst <= 1e-6, "z_out max abs err " + worst);
    }

    @Test
    void chainedGuidanceAndStepsReproduceFinalLatents() {
        double worst = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                FlowSchedule s = FlowSchedule.of(c.steps());
                float[] z = c.f("latents.z0");
                assertArrayEquals(c.f("step.0.z_in"), z, name + ": z0 is the first z_in");
                float[] v = new float[z.length];
                for (int i = 0; i < c.steps(); i++) {
                    float[] cond = c.f("step." + i + ".raw.0");
                    float[] uncond = c.f("step." + i + ".raw.1");
                    if (c.branches() == 3) {
                        Guidance.threeBranch(cond, uncond, c.f("step." + i + ".raw.2"), c.guidanceScale(),
                                c.imgGuidanceScale(), v);
                    } else {
                        Guidance.twoBranch(cond, uncond, c.guidanceScale(), v);
                    }
                    EulerStep.apply(s, i, z, v);
                }
                double err = SamplingCase.maxAbsDiff(z, c.f("latents.final"));
                System.out.printf("chain    %-16s: latents.final max abs err %.3e%n", name, err);
                worst = Math.max(worst, err);
            }
        }
        assertTrue(worst <= 1e-6, "latents.final max abs err " + worst);
    }

    @Test
    void offsetsAndLengthsAreChecked() {
        float[] z = {1f, 2f, 3f, 4f};
        EulerStep.apply(z, 2, new float[] {1f, 1f}, 0, 2, 0.5f);
        assertArrayEquals(new float[] {1f, 2f, 3.5f, 4.5f}, z);
        assertThrows(IllegalArgumentException.class, () -> EulerStep.apply(new float[2], new float[3], 1f));
        assertThrows(IndexOutOfBoundsException.class,
                () -> EulerStep.apply(new float[2], 1, new float[2], 0, 2, 1f));
    }
}
