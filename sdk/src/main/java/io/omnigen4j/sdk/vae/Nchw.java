package io.omnigen4j.sdk.vae;

import java.util.Objects;

/**
 * A float32 tensor [batch, channels, height, width], row-major (the layout of the VAE graphs' inputs and outputs).
 * The array is shared, not copied: whoever builds one hands the data over.
 */
public record Nchw(float[] data, int batch, int channels, int height, int width) {

    public Nchw {
        Objects.requireNonNull(data, "data");
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("tensor dims must be positive, got [" + batch + ", " + channels + ", "
                    + height + ", " + width + "]");
        }
        long n = (long) batch * channels * height * width;
        if (n != data.length) {
            throw new IllegalArgumentException("tensor [" + batch + ", " + channels + ", " + height + ", " + width
                    + "] needs " + n + " values, got " + data.length);
        }
    }

    /** Wraps {@code data} with a 4-D shape as ONNX Runtime reports it. */
    public static Nchw of(float[] data, long[] shape) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("expected a 4-D shape [N, C, H, W], got " + java.util.Arrays.toString(
                    shape));
        }
        for (long d : shape) {
            if (d <= 0 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad dimension in shape " + java.util.Arrays.toString(shape));
            }
        }
        return new Nchw(data, (int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3]);
    }

    /** The shape as ONNX Runtime takes it. */
    public long[] shape() {
        return new long[] {batch, channels, height, width};
    }

    /** Values per sample (C·H·W). */
    int sampleSize() {
        return channels * height * width;
    }

    /**
     * A copy of the window [y, y+h) × [x, x+w) of sample {@code b}, all channels, as a batch-1 tensor.
     */
    Nchw crop(int b, int y, int x, int h, int w) {
        Objects.checkIndex(b, batch);
        Objects.checkFromIndexSize(y, h, height);
        Objects.checkFromIndexSize(x, w, width);
        float[] out = new float[channels * h * w];
        int base = b * sampleSize();
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(data, base + (c * height + y + r) * width + x, out, (c * h + r) * w, w);
            }
        }
        return new Nchw(out, 1, channels, h, w);
    }
}
