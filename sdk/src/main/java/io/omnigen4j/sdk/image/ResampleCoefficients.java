package io.omnigen4j.sdk.image;

/**
 * Pillow-exact fixed-point weights for resampling one dimension {@code inSize → outSize} (spec §3), precomputed once
 * per pass so the pixel loops are pure int arithmetic. Output index {@code i} reads source indices
 * {@code [start(i), start(i) + count(i))} with weights {@code weight(i, j)} scaled by 2^22.
 */
final class ResampleCoefficients {
    static final int PRECISION_BITS = 22;
    static final int HALF = 1 << (PRECISION_BITS - 1);

    private final int outSize;
    private final int stride;
    private final int[] start;
    private final int[] count;
    private final int[] weights;

    private ResampleCoefficients(int outSize, int stride, int[] start, int[] count, int[] weights) {
        this.outSize = outSize;
        this.stride = stride;
        this.start = start;
        this.count = count;
        this.weights = weights;
    }

    static ResampleCoefficients compute(int inSize, int outSize, ResampleFilter filter) {
        if (inSize <= 0 || outSize <= 0) {
            throw new IllegalArgumentException("resample sizes must be positive: " + inSize + " -> " + outSize);
        }
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        double ss = 1.0 / filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * stride];
        double[] w = new double[stride];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int xmin = Math.max(0, (int) (center - support + 0.5));
            int xmax = Math.min(inSize, (int) (center + support + 0.5));
            int n = xmax - xmin;
            double sum = 0.0;
            for (int j = 0; j < n; j++) {
                w[j] = filter.weight((j + xmin - center + 0.5) * ss);
                sum += w[j];
            }
            for (int j = 0; j < n; j++) {
                double v = sum != 0.0 ? w[j] / sum : w[j];
                weights[i * stride + j] = toFixed(v);
            }
            start[i] = xmin;
            count[i] = n;
        }
        return new ResampleCoefficients(outSize, stride, start, count, weights);
    }

    /** Rounds a normalised weight to 2^22 fixed point, halves away from zero (Pillow's rule). */
    static int toFixed(double w) {
        double scaled = w * (1 << PRECISION_BITS);
        return (int) (w < 0 ? scaled - 0.5 : scaled + 0.5);
    }

    /** {@code acc >> 22} clamped to 0..255. */
    static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    int outSize() {
        return outSize;
    }

    int start(int i) {
        return start[i];
    }

    int count(int i) {
        return count[i];
    }

    int weight(int i, int j) {
        return weights[i * stride + j];
    }

    /** Offset of output {@code i}'s first weight in {@link #weights()}. */
    int offset(int i) {
        return i * stride;
    }

    /** The flat weight table (read only; for the pixel loops). */
    int[] weights() {
        return weights;
    }
}
