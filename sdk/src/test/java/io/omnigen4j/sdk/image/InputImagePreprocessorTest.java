package io.omnigen4j.sdk.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class InputImagePreprocessorTest {

    /** Public cases with input images; in both, branch 0 holds the prompt's images in order (image n = pixel_values n). */
    @Test
    void conformanceCasesMatchExactly() throws Exception {
        int checked = 0;
        for (String name : Fixtures.PUBLIC_CASES) {
            Path dir = Fixtures.caseDir(name);
            JsonNode json = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
            int m = json.path("pipeline_args").path("max_input_image_size").asInt();
            try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("tensors.safetensors"))) {
                for (int n = 0; st.contains("preprocess." + n + ".decoded_rgb"); n++) {
                    int[] s0 = st.info("preprocess." + n + ".decoded_rgb").intShape();
                    RgbImage decoded = RgbImage.of(s0[1], s0[0], st.bytes("preprocess." + n + ".decoded_rgb"));
                    int[] s1 = st.info("preprocess." + n + ".cropped_rgb").intShape();
                    byte[] wantRgb = st.bytes("preprocess." + n + ".cropped_rgb");
                    float[] wantPx = st.floats("processor.branch.0.pixel_values." + n);

                    PreprocessedImage p = new InputImagePreprocessor(m).preprocess(decoded, "input image " + (n + 1));
                    String what = name + " image " + n + " (" + decoded.size() + ", M=" + m + ")";
                    assertEquals(s1[1], p.width(), what);
                    assertEquals(s1[0], p.height(), what);
                    assertArrayEquals(wantRgb, p.image().toByteArray(), what + " cropped_rgb");
                    float[] got = p.pixels();
                    float maxDiff = 0;
                    for (int i = 0; i < got.length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(got[i] - wantPx[i]));
                    }
                    System.out.println(what + " -> " + p.width() + "x" + p.height() + ": cropped_rgb exact, pixel_values"
                            + " max |diff| = " + maxDiff);
                    assertArrayEquals(wantPx, got, 0f, what + " pixel_values");
                    assertArrayEquals(new long[] {1, 3, s1[0], s1[1]}, p.shape());
                    assertEquals(new InputImagePreprocessor(m).preprocessedSize(decoded.size(), "x"), p.image().size());
                    checked++;
                }
            }
        }
        assertEquals(3, checked, "edit has 1 input image, subject_multi 2");
    }

    /** Reference crop_arr built on the oracle resampler, written straight from spec §3. */
    private static RgbImage referenceCropArr(RgbImage img, int m) {
        int[][][] a = ReferenceResampler.toArray(img);
        int w = img.width();
        int h = img.height();
        while (Math.min(w, h) >= 2 * m) {
            a = ReferenceResampler.resize(a, w / 2, h / 2, false);
            w /= 2;
            h /= 2;
        }
        if (Math.max(w, h) > m) {
            double s = (double) m / Math.max(w, h);
            int nw = (int) Math.rint(w * s);
            int nh = (int) Math.rint(h * s);
            a = ReferenceResampler.resize(a, nw, nh, true);
            w = nw;
            h = nh;
        }
        if (Math.min(w, h) < 16) {
            double s = 16.0 / Math.min(w, h);
            int nw = (int) Math.rint(w * s);
            int nh = (int) Math.rint(h * s);
            a = ReferenceResampler.resize(a, nw, nh, true);
            w = nw;
            h = nh;
        }
        int y1 = (h % 16) / 2;
        int x1 = (w % 16) / 2;
        return ReferenceResampler.toImage(a).crop(x1, y1, w - w % 16, h - h % 16);
    }

    @Test
    void boxHalvingThenBicubicMatchesReference() {
        // 300x200, M=64: halve while min >= 128 -> 150x100 -> stop (100 < 128); 150 > 64 -> s = 64/150 -> 64x43
        // (42.67 rounds to 43); crop 43 -> 32 rows starting at (43 % 16) / 2 = 5.
        RgbImage src = TestImages.synthetic(300, 200, 11);
        RgbImage got = new InputImagePreprocessor(64).cropArr(src, "t");
        assertEquals(new ImageSize(64, 32), got.size());
        assertArrayEquals(referenceCropArr(src, 64).toByteArray(), got.toByteArray());
        // Two halvings: 600x520, M=100 -> 300x260 -> 150x130 (min 130 < 200) -> s=100/150 -> 100x87 -> 96x80.
        RgbImage src2 = TestImages.synthetic(600, 520, 12);
        RgbImage got2 = new InputImagePreprocessor(100).cropArr(src2, "t");
        assertEquals(new ImageSize(96, 80), got2.size());
        assertArrayEquals(referenceCropArr(src2, 100).toByteArray(), got2.toByteArray());
    }

    @Test
    void upscaleSmallSideMatchesReference() {
        // 10x40: max 40 <= M; min 10 < 16 -> s = 1.6 -> 16x64.
        RgbImage src = TestImages.synthetic(10, 40, 13);
        RgbImage got = new InputImagePreprocessor(1024).cropArr(src, "t");
        assertEquals(new ImageSize(16, 64), got.size());
        assertArrayEquals(referenceCropArr(src, 1024).toByteArray(), got.toByteArray());
        // Fit then upscale: 200x9, M=64 -> 64x3 (2.88 -> 3) -> s=16/3 -> 341x16 -> crop to 336x16 (may exceed M).
        RgbImage src2 = TestImages.synthetic(200, 9, 14);
        RgbImage got2 = new InputImagePreprocessor(64).cropArr(src2, "t");
        assertEquals(new ImageSize(336, 16), got2.size());
        assertArrayEquals(referenceCropArr(src2, 64).toByteArray(), got2.toByteArray());
    }

    @Test
    void roundingIsHalfToEven() {
        // 18x5, M=9: s = 0.5 -> 9 x 2.5 -> 2.5 rounds to 2 (even) -> upscale s=8 -> 72x16 -> crop 64x16.
        // (Rounding half up would give 9x3 -> 48x16.)
        InputImagePreprocessor p9 = new InputImagePreprocessor(9);
        assertEquals(new ImageSize(64, 16), p9.preprocessedSize(new ImageSize(18, 5), "t"));
        // 14x7, M=7: s = 0.5 -> 7 x 3.5 -> 4 (even) -> upscale s=4 -> 28x16 -> crop 16x16.
        assertEquals(new ImageSize(16, 16), new InputImagePreprocessor(7).preprocessedSize(new ImageSize(14, 7), "t"));
        // And the pixels follow the same plan as the reference.
        RgbImage src = TestImages.synthetic(18, 5, 17);
        assertArrayEquals(referenceCropArr(src, 9).toByteArray(), p9.cropArr(src, "t").toByteArray());
    }

    @Test
    void cropArithmetic() {
        // (n % 16) / 2 from the top/left, the rest from the bottom/right.
        byte[] px = new byte[35 * 21 * 3];
        for (int y = 0; y < 21; y++) {
            for (int x = 0; x < 35; x++) {
                px[(y * 35 + x) * 3] = (byte) x;
                px[(y * 35 + x) * 3 + 1] = (byte) y;
            }
        }
        RgbImage got = new InputImagePreprocessor(1024).cropArr(RgbImage.of(35, 21, px), "t");
        assertEquals(new ImageSize(32, 16), got.size());
        assertEquals(1, got.get(0, 0, 0));    // 35 % 16 = 3 -> drop 1 left, 2 right
        assertEquals(32, got.get(31, 0, 0));
        assertEquals(2, got.get(0, 0, 1));    // 21 % 16 = 5 -> drop 2 top, 3 bottom
        assertEquals(17, got.get(0, 15, 1));
        // Already multiples of 16: untouched.
        RgbImage exact = TestImages.synthetic(48, 32, 15);
        assertEquals(exact, new InputImagePreprocessor(1024).cropArr(exact, "t"));
    }

    @Test
    void normalisationIsFloat32Exact() {
        byte[] px = {0, (byte) 128, (byte) 255};
        float[] v = InputImagePreprocessor.normalize(RgbImage.of(1, 1, px));
        assertEquals(-1f, v[0]);
        assertEquals(((128 / 255f) - 0.5f) / 0.5f, v[1]);
        assertEquals(1f, v[2]);
        assertEquals(Float.floatToIntBits((float) ((float) (128 / 255.0) - 0.5) * 2f), Float.floatToIntBits(v[1]));
    }

    @Test
    void tooLargeAfterResizeIsRejectedBeforePixelWork() {
        // M above the model limit: 4000x3300 with M=4096 stays 4000x3300 -> 4000x3296 > 3072.
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class,
                () -> new InputImagePreprocessor(4096).preprocessedSize(new ImageSize(4000, 3300), "input image 2"));
        assertEquals(new ImageSize(4000, 3296), e.preprocessed());
        assertEquals(new ImageSize(4000, 3300), e.original());
        assertEquals("input image 2", e.imageLabel());
        assertTrue(e.getMessage().contains("input image 2"), e.getMessage());
        assertTrue(e.getMessage().contains("4000x3296"), e.getMessage());
        assertTrue(e.getMessage().contains("Lower the max input image size"), e.getMessage());
        System.out.println("size-limit message: " + e.getMessage());
        // Exactly at the limit is fine.
        assertEquals(new ImageSize(3072, 3072),
                new InputImagePreprocessor(3072).preprocessedSize(new ImageSize(3072, 3072), "x"));
        // Extreme aspect ratio: 10x4000, M=1024 -> 3x1024 -> upscale to 16x5461 -> too tall; fix is cropping.
        ImageTooLargeException e2 = assertThrows(ImageTooLargeException.class,
                () -> new InputImagePreprocessor(1024).preprocess(TestImages.synthetic(10, 4000, 16), "input image 1"));
        assertEquals(new ImageSize(16, 5456), e2.preprocessed());
        assertTrue(e2.getMessage().contains("aspect ratio"), e2.getMessage());
        System.out.println("aspect message: " + e2.getMessage());
    }

    @Test
    void degenerateAspectRatioIsAClearError() {
        InputImageException e = assertThrows(InputImageException.class,
                () -> new InputImagePreprocessor(64).preprocessedSize(new ImageSize(1, 1000), "input image 3"));
        assertTrue(e.getMessage().contains("input image 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new InputImagePreprocessor(0));
    }
}
