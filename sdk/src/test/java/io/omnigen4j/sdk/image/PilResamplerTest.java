package io.omnigen4j.sdk.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PilResamplerTest {

    private static void assertMatchesReference(RgbImage src, int w, int h, ResampleFilter f) {
        RgbImage got = PilResampler.resize(src, w, h, f);
        RgbImage want = ReferenceResampler.toImage(
                ReferenceResampler.resize(ReferenceResampler.toArray(src), w, h, f == ResampleFilter.BICUBIC));
        assertEquals(w, got.width());
        assertEquals(h, got.height());
        assertArrayEquals(want.toByteArray(), got.toByteArray(),
                () -> f + " " + src.width() + "x" + src.height() + " -> " + w + "x" + h);
    }

    @Test
    void randomSizesMatchReferenceBitExactly() {
        Random rnd = new Random(20240917);
        for (int t = 0; t < 300; t++) {
            int w = 1 + rnd.nextInt(70);
            int h = 1 + rnd.nextInt(70);
            int ow = 1 + rnd.nextInt(90);
            int oh = 1 + rnd.nextInt(90);
            ResampleFilter f = t % 2 == 0 ? ResampleFilter.BICUBIC : ResampleFilter.BOX;
            assertMatchesReference(TestImages.synthetic(w, h, t), ow, oh, f);
        }
    }

    @Test
    void typicalPipelineResizesMatchReference() {
        assertMatchesReference(TestImages.synthetic(100, 75, 1), 64, 48, ResampleFilter.BICUBIC);
        assertMatchesReference(TestImages.synthetic(90, 60, 2), 64, 43, ResampleFilter.BICUBIC);
        assertMatchesReference(TestImages.synthetic(301, 203, 3), 150, 101, ResampleFilter.BOX);
        assertMatchesReference(TestImages.synthetic(10, 40, 4), 16, 64, ResampleFilter.BICUBIC);
        assertMatchesReference(TestImages.synthetic(333, 7, 5), 1024, 22, ResampleFilter.BICUBIC);
    }

    /** Spec §3: an exact 2× BOX step is ⌊(a+b+1)/2⌋ per pass (horizontal, then vertical on the uint8 result). */
    @Test
    void exactHalvingBoxIsRoundedPairMeanPerPass() {
        RgbImage src = TestImages.synthetic(12, 10, 7);
        RgbImage got = PilResampler.resize(src, 6, 5, ResampleFilter.BOX);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 6; x++) {
                for (int c = 0; c < 3; c++) {
                    int top = (src.get(2 * x, 2 * y, c) + src.get(2 * x + 1, 2 * y, c) + 1) / 2;
                    int bottom = (src.get(2 * x, 2 * y + 1, c) + src.get(2 * x + 1, 2 * y + 1, c) + 1) / 2;
                    assertEquals((top + bottom + 1) / 2, got.get(x, y, c), "pixel " + x + "," + y + "," + c);
                }
            }
        }
        // Rounding happens in each pass, not once: block [0 1 / 0 0] gives rows (1, 0), then 1 - not round(0.25) = 0.
        byte[] px = new byte[12];
        px[3] = 1;   // pixel (1,0) red = 1; others 0
        RgbImage tiny = RgbImage.of(2, 2, px);
        assertEquals(1, PilResampler.resize(tiny, 1, 1, ResampleFilter.BOX).get(0, 0, 0));
    }

    @Test
    void unchangedSizeReturnsSameImageAndSinglePassOnlyTouchesOneAxis() {
        RgbImage src = TestImages.synthetic(9, 9, 8);
        assertSame(src, PilResampler.resize(src, 9, 9, ResampleFilter.BICUBIC));
        // Width-only change: every row is resampled independently, so rows stay distinct as in the source.
        assertMatchesReference(src, 5, 9, ResampleFilter.BICUBIC);
        assertMatchesReference(src, 9, 4, ResampleFilter.BICUBIC);
    }

    @Test
    void fixedPointRoundingIsHalfAwayFromZero() {
        assertEquals(2097152, ResampleCoefficients.toFixed(0.5));
        assertEquals(-2097152, ResampleCoefficients.toFixed(-0.5));
        assertEquals(1, ResampleCoefficients.toFixed(0.5 / 4194304.0));
        assertEquals(-1, ResampleCoefficients.toFixed(-0.5 / 4194304.0));
        assertEquals(0, ResampleCoefficients.toFixed(0.49 / 4194304.0));
        assertEquals(0, ResampleCoefficients.clip8(-5));
        assertEquals(255, ResampleCoefficients.clip8(300 << 22));
    }

    @Test
    void rejectsNonPositiveTarget() {
        RgbImage src = TestImages.synthetic(4, 4, 9);
        assertThrows(IllegalArgumentException.class, () -> PilResampler.resize(src, 0, 4, ResampleFilter.BOX));
    }

    @Test
    void largeResizeIsReasonablyFast() {
        RgbImage src = TestImages.synthetic(2048, 1536, 10);
        PilResampler.resize(src, 1024, 768, ResampleFilter.BICUBIC);   // warm-up
        long t0 = System.nanoTime();
        RgbImage out = PilResampler.resize(src, 1024, 768, ResampleFilter.BICUBIC);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("PilResampler BICUBIC 2048x1536 -> 1024x768: " + ms + " ms");
        assertEquals(1024, out.width());
    }
}
