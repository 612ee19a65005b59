package io.omnigen4j.sdk.sampling;

import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatentCodecTest {

    @Test
    void posteriorSampleMatchesRecordedLatents() {
        LatentCodec codec = LatentCodec.sdxl();
        double worst = 0;
        int calls = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                for (int n = 0; n < c.encodeCalls(); n++) {
                    String p = "vae_encode." + n + ".";
                    float[] mean = c.f(p + "posterior_mean");
                    float[] logvar = c.f(p + "posterior_logvar");
                    float[] eps = c.f(p + "eps");
                    float[] expected = c.f(p + "latent");
                    float[] out = new float[mean.length];
                    codec.sampleLatent(mean, logvar, eps, out);
                    double err = SamplingCase.maxAbsDiff(out, expected);
                    // the [1, 8, h, w] moments form gives the same values
                    float[] moments = new float[2 * mean.length];
                    System.arraycopy(mean, 0, moments, 0, mean.length);
                    System.arraycopy(logvar, 0, moments, mean.length, mean.length);
                    float[] out2 = new float[mean.length];
                    codec.sampleLatent(moments, eps, out2);
                    assertArrayEquals(out, out2);
                    System.out.printf("vae enc  %-16s call %d: latent max abs err %.3e, %d/%d not bit-equal%n",
                            name, n, err, SamplingCase.mismatches(out, expected), out.length);
                    worst = Math.max(worst, err);
                    calls++;
                }
            }
        }
        System.out.printf("vae encode latent: %d calls, worst max abs err %.3e%n", calls, worst);
        assertTrue(calls >= 4, "expected encode calls in the public cases, found " + calls);
        assertTrue(worst <= 1e-6, "latent max abs err " + worst);
    }

    @Test
    void decoderInputMatchesRecorded() {
        double worst = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                float[] z = c.f("latents.final");
                float[] out = new float[z.length];
                LatentCodec.sdxl().toDecoderInput(z, out);
                float[] expected = c.f("vae_decode.input");
                double err = SamplingCase.maxAbsDiff(out, expected);
                System.out.printf("vae dec  %-16s: decode input max abs err %.3e, %d/%d not bit-equal%n",
                        name, err, SamplingCase.mismatches(out, expected), out.length);
                worst = Math.max(worst, err);
            }
        }
        assertTrue(worst <= 1e-5, "vae_decode.input max abs err " + worst);
    }

    @Test
    void outputImagesMatchRecorded() {
        double worst = 0;
        int worstLevels = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            try (SamplingCase c = SamplingCase.open(name)) {
                float[] x = c.f("vae_decode.output");
                int[] shape = c.shape("vae_decode.output");
                float[] y = new float[x.length];
                LatentCodec.toUnitRange(x, y);
                double err = SamplingCase.maxAbsDiff(y, c.f("image.float01"));
                byte[] rgb = LatentCodec.toRgbBytes(y, shape[0], shape[2], shape[3]);
                byte[] expected = c.u8("image.uint8");
                assertEquals(expected.length, rgb.length);
                int levels = 0;
                int off = 0;
                for (int k = 0; k < rgb.length; k++) {
                    int d = Math.abs((rgb[k] & 0xFF) - (expected[k] & 0xFF));
                    levels = Math.max(levels, d);
                    off += d != 0 ? 1 : 0;
                }
                // uint8 from the recorded float01 as well (isolates truncation from the affine map)
                byte[] rgbFromRecorded = LatentCodec.toRgbBytes(c.f("image.float01"), shape[0], shape[2], shape[3]);
                assertArrayEquals(expected, rgbFromRecorded, name + ": uint8 from recorded float01");
                System.out.printf("image    %-16s: float01 max abs err %.3e, uint8 max diff %d (%d/%d differ)%n",
                        name, err, levels, off, rgb.length);
                worst = Math.max(worst, err);
                worstLevels = Math.max(worstLevels, levels);
            }
        }
        assertEquals(0.0, worst, "image.float01 max abs err");
        assertEquals(0, worstLevels, "image.uint8 max level difference");
    }

    @Test
    void shiftFactorAndEdgeCases() {
        LatentCodec shifted = new LatentCodec(0.5f, 0.25f);
        float[] out = new float[1];
        shifted.sampleLatent(new float[] {1f}, new float[] {0f}, new float[] {1f}, out);
        assertEquals((2f - 0.25f) * 0.5f, out[0]);
        shifted.toDecoderInput(new float[] {0.875f}, out);
        assertEquals(0.875f / 0.5f + 0.25f, out[0]);
        // logvar is clamped to [-30, 20]
        LatentCodec plain = new LatentCodec(1f, null);
        plain.sampleLatent(new float[] {0f}, new float[] {100f}, new float[] {1f}, out);
        assertEquals((float) Math.exp(10.0), out[0]);
        assertEquals(254, LatentCodec.toByte(254.9f / 255f));
        assertEquals(255, LatentCodec.toByte(1f));
        assertEquals(0, LatentCodec.toByte(Float.NaN));
        assertEquals(0, LatentCodec.toByte(-0.5f));
        assertThrows(IllegalArgumentException.class, () -> new LatentCodec(0f, null));
        assertThrows(IllegalArgumentException.class, () -> LatentCodec.toRgbBytes(new float[5], 1, 1, 2));
        assertThrows(IllegalArgumentException.class,
                () -> plain.sampleLatent(new float[3], new float[1], new float[1]));
        byte[] rgb = LatentCodec.toRgbBytes(new float[] {0f, 1f, 0.5f, 0.25f, 1f, 0f}, 1, 1, 2);
        assertArrayEquals(new byte[] {0, (byte) 127, (byte) 255, (byte) 255, 63, 0}, rgb);
    }
}
