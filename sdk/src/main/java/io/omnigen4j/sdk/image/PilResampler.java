package io.omnigen4j.sdk.image;

/**
 * Bit-exact re-implementation of Pillow's 8-bit {@code Image.resize} for RGB with BOX and BICUBIC (spec §3), so that
 * preprocessed input images match the original Python pipeline pixel for pixel. Separable: a horizontal pass (only
 * when the width changes), then a vertical pass (only when the height changes); each pass rounds to uint8.
 */
public final class PilResampler {
    private PilResampler() {
    }

    /**
     * Resizes {@code src} to {@code width × height}; returns {@code src} itself when the size is unchanged.
     *
     * @throws IllegalArgumentException if a target side is not positive
     */
    public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter) {
        RgbImage.checkSize(width, height);
        RgbImage.checkSize(width, src.height());   // the intermediate image of the horizontal pass
        RgbImage out = src;
        if (width != src.width()) {
            out = horizontal(out, ResampleCoefficients.compute(src.width(), width, filter));
        }
        if (height != src.height()) {
            out = vertical(out, ResampleCoefficients.compute(src.height(), height, filter));
        }
        return out;
    }

    private static RgbImage horizontal(RgbImage in, ResampleCoefficients c) {
        int inW = in.width();
        int h = in.height();
        int outW = c.outSize();
        byte[] src = in.data();
        byte[] dst = new byte[outW * h * 3];
        int[] k = c.weights();
        for (int y = 0; y < h; y++) {
            int rowIn = y * inW * 3;
            int rowOut = y * outW * 3;
            for (int x = 0; x < outW; x++) {
                int r = ResampleCoefficients.HALF;
                int g = r;
                int b = r;
                int p = rowIn + c.start(x) * 3;
                int ko = c.offset(x);
                for (int j = 0, n = c.count(x); j < n; j++, p += 3) {
                    int w = k[ko + j];
                    r += (src[p] & 0xFF) * w;
                    g += (src[p + 1] & 0xFF) * w;
                    b += (src[p + 2] & 0xFF) * w;
                }
                int o = rowOut + x * 3;
                dst[o] = (byte) ResampleCoefficients.clip8(r);
                dst[o + 1] = (byte) ResampleCoefficients.clip8(g);
                dst[o + 2] = (byte) ResampleCoefficients.clip8(b);
            }
        }
        return RgbImage.wrap(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, ResampleCoefficients c) {
        int w = in.width();
        int outH = c.outSize();
        int rowLen = w * 3;
        byte[] src = in.data();
        byte[] dst = new byte[rowLen * outH];
        int[] k = c.weights();
        int[] acc = new int[rowLen];
        for (int y = 0; y < outH; y++) {
            java.util.Arrays.fill(acc, ResampleCoefficients.HALF);
            int ko = c.offset(y);
            for (int j = 0, n = c.count(y); j < n; j++) {
                int wgt = k[ko + j];
                int p = (c.start(y) + j) * rowLen;
                for (int i = 0; i < rowLen; i++) {
                    acc[i] += (src[p + i] & 0xFF) * wgt;
                }
            }
            int o = y * rowLen;
            for (int i = 0; i < rowLen; i++) {
                dst[o + i] = (byte) ResampleCoefficients.clip8(acc[i]);
            }
        }
        return RgbImage.wrap(w, outH, dst);
    }
}
