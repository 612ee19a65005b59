package io.omnigen4j.sdk.sampling;

import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FlowScheduleTest {

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    @Test
    void matchesRecordedSigmaOfEveryPublicCaseBitForBit() {
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                FlowSchedule s = FlowSchedule.of(c.steps());
                assertArrayEquals(bits(c.f("scheduler.sigma")), bits(s.sigmas()), name + ": scheduler.sigma");
                for (int i = 0; i < c.steps(); i++) {
                    assertEquals(Float.floatToRawIntBits(c.f("step." + i + ".timestep")[0]),
                            Float.floatToRawIntBits(s.sigma(i)), name + ": step." + i + ".timestep");
                }
            }
        }
    }

    @Test
    void fiftyStepGridHasTheMeasuredUlpOffsets() {
        float[] s = FlowSchedule.of(50).sigmas();
        assertEquals(51, s.length);
        assertEquals(0x3dcccccc, Float.floatToRawIntBits(s[5]));
        assertEquals(0x3f47ae16, Float.floatToRawIntBits(s[39]));
        assertEquals(0f, s[0]);
        assertEquals(1f, s[50]);
        Map<Integer, Integer> offsets = Map.ofEntries(Map.entry(2, 1), Map.entry(3, 1), Map.entry(5, -1),
                Map.entry(10, -1), Map.entry(15, -1), Map.entry(16, 1), Map.entry(18, -1), Map.entry(20, -1),
                Map.entry(23, -1), Map.entry(27, 1), Map.entry(28, 1), Map.entry(29, 1), Map.entry(39, 2),
                Map.entry(40, 1), Map.entry(41, 1), Map.entry(42, 1));
        for (int i = 0; i <= 50; i++) {
            int exact = Float.floatToRawIntBits((float) (i / 50.0));
            int expected = exact + offsets.getOrDefault(i, 0);
            assertEquals(expected, Float.floatToRawIntBits(s[i]), "sigma_" + i);
        }
    }

    @Test
    void linspaceUsesTwoHalves() {
        float[] t = FlowSchedule.linspace01(1);
        assertArrayEquals(new float[] {0f, 1f}, t);
        float[] t3 = FlowSchedule.linspace01(3);
        float step = 1f / 3;
        assertEquals(0f, t3[0]);
        assertEquals(step, t3[1]);
        assertEquals(Math.fma(-step, 1f, 1f), t3[2]);
        assertEquals(1f, t3[3]);
    }

    @Test
    void deltaIsFloat32Difference() {
        FlowSchedule s = FlowSchedule.of(50);
        for (int i = 0; i < 50; i++) {
            assertEquals(s.sigma(i + 1) - s.sigma(i), s.delta(i));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> s.delta(50));
        assertEquals(50, s.steps());
    }

    @Test
    void overrideIsCopiedAndValidated() {
        float[] custom = {0f, 0.5f, 1f};
        FlowSchedule s = FlowSchedule.ofSigmas(custom);
        custom[1] = 9f;
        assertEquals(0.5f, s.sigma(1));
        assertEquals(2, s.steps());
        assertThrows(IllegalArgumentException.class, () -> FlowSchedule.ofSigmas(new float[] {0f}));
        assertThrows(IllegalArgumentException.class, () -> FlowSchedule.ofSigmas(new float[] {0f, Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> FlowSchedule.of(0));
        assertThrows(IllegalArgumentException.class, () -> FlowSchedule.of(4, 0f));
    }
}
