package io.omnigen4j.sdk.image;

import java.util.Random;

/** Synthetic test images: smooth gradients plus noise and hard 0/255 edges (to exercise bicubic overshoot/clamping). */
final class TestImages {
    private TestImages() {
    }

    static RgbImage synthetic(int w, int h, long seed) {
        Random rnd = new Random(seed);
        byte[] b = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                boolean edge = ((x / 5) + (y / 7)) % 3 == 0;
                b[i] = (byte) (edge ? 255 : (x * 255) / Math.max(1, w - 1));
                b[i + 1] = (byte) (edge ? 0 : (y * 255) / Math.max(1, h - 1));
                b[i + 2] = (byte) rnd.nextInt(256);
            }
        }
        return RgbImage.of(w, h, b);
    }
}
