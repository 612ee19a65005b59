package io.omnigen4j.export.quant;

/**
 * The arithmetic of {@link QuantScheme}: block parameters, codes and bit packing for one row at a time. Stateless
 * apart from the scheme; callers own the buffers so a streaming export allocates them once.
 */
public final class BlockQuantizer {

    private final QuantScheme scheme;

    public BlockQuantizer(QuantScheme scheme) {
        this.scheme = java.util.Objects.requireNonNull(scheme, "scheme");
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /**
     * Scale and zero point of every block of the row {@code values[off, off + k)}, written to
     * {@code scales[p …]} and {@code zeroPoints[p …]} ({@link QuantScheme#blocksPerRow} entries each).
     *
     * @throws IllegalArgumentException on a NaN or infinite value (naming its column)
     */
    public void blockParams(float[] values, int off, int k, float[] scales, int[] zeroPoints, int p) {
        int bs = scheme.blockSize();
        int blocks = scheme.blocksPerRow(k);
        for (int b = 0; b < blocks; b++) {
            int start = b * bs;
            int end = Math.min(k, start + bs);
            float lo = 0f;
            float hi = 0f;
            for (int c = start; c < end; c++) {
                float v = values[off + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("value " + v + " at column " + c + " cannot be quantized");
                }
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (scheme.symmetric()) {
                double absMax = Math.max(-(double) lo, hi);
                scales[p + b] = (float) (absMax / (scheme.defaultZeroPoint() - 0.5));
                zeroPoints[p + b] = scheme.defaultZeroPoint();
            } else {
                float s = (float) (((double) hi - lo) / scheme.maxCode());
                scales[p + b] = s;
                zeroPoints[p + b] = s == 0f ? 0 : clamp((int) Math.rint(-lo / (double) s), scheme.maxCode());
            }
        }
    }

    /** The code of {@code v} in a block with {@code scale} and {@code zeroPoint}: clamp(rint(v / scale) + zp). */
    public int code(float v, float scale, int zeroPoint) {
        if (scale == 0f) {
            return zeroPoint;
        }
        double q = Math.rint(v / (double) scale) + zeroPoint;
        return q <= 0 ? 0 : q >= scheme.maxCode() ? scheme.maxCode() : (int) q;
    }

    /** {@code (code − zeroPoint) · scale} in float32, as ONNX Runtime computes it. */
    public static float value(int code, int zeroPoint, float scale) {
        return (code - zeroPoint) * scale;
    }

    /**
     * Packs the codes of the row {@code values[off, off + k)} into {@code out[o …]}: 8 bits one byte each, 4 bits
     * two per byte, the even column in the low nibble. With {@code padBlocks} the row is padded to whole blocks
     * ({@code blocks · blobBytes} bytes, MatMulNBits' layout) with each padded slot holding its block's zero point
     * (so it reads back as 0); without, exactly {@code k · bits / 8} bytes are written. Returns the bytes written.
     */
    public int packRow(float[] values, int off, int k, float[] scales, int[] zeroPoints, int p, boolean padBlocks,
                       byte[] out, int o) {
        int bs = scheme.blockSize();
        int slots = padBlocks ? scheme.blocksPerRow(k) * bs : k;
        if (scheme.bits() == 8) {
            for (int c = 0; c < slots; c++) {
                int b = c / bs;
                int q = c < k ? code(values[off + c], scales[p + b], zeroPoints[p + b]) : zeroPoints[p + b];
                out[o + c] = (byte) q;
            }
            return slots;
        }
        if ((slots & 1) != 0) {
            throw new IllegalArgumentException("4-bit rows need an even number of values, got " + k);
        }
        for (int c = 0; c < slots; c += 2) {
            int b = c / bs; // blocks hold an even count, so c and c + 1 share a block
            int lo = c < k ? code(values[off + c], scales[p + b], zeroPoints[p + b]) : zeroPoints[p + b];
            int hi = c + 1 < k ? code(values[off + c + 1], scales[p + b], zeroPoints[p + b]) : zeroPoints[p + b];
            out[o + c / 2] = (byte) (lo | (hi << 4));
        }
        return slots / 2;
    }

    /**
     * Packs one row's zero points ({@code blocks} of them from {@code zeroPoints[p …]}) into
     * {@link QuantScheme#zeroPointBytesPerRow} bytes at {@code out[o …]}: 4-bit ones two per byte, the even block in
     * the low nibble, an unused high nibble 0. Returns the bytes written.
     */
    public int packZeroPoints(int[] zeroPoints, int p, int blocks, byte[] out, int o) {
        if (scheme.bits() == 8) {
            for (int b = 0; b < blocks; b++) {
                out[o + b] = (byte) zeroPoints[p + b];
            }
            return blocks;
        }
        int n = (blocks + 1) / 2;
        for (int i = 0; i < n; i++) {
            int lo = zeroPoints[p + 2 * i];
            int hi = 2 * i + 1 < blocks ? zeroPoints[p + 2 * i + 1] : 0;
            out[o + i] = (byte) (lo | (hi << 4));
        }
        return n;
    }

    private static int clamp(int q, int max) {
        return q < 0 ? 0 : Math.min(q, max);
    }
}
