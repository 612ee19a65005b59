package io.omnigen4j.export.quant;

/**
 * Block-wise integer quantization of the rows of a [N, K] weight: each row is cut into blocks of {@code blockSize}
 * consecutive values along K (the last block padded when K is not a multiple), and each block gets its own float32
 * scale and, when asymmetric, its own zero point. A value is stored as an unsigned code {@code q} in
 * [0, 2^bits − 1] and read back as {@code (q − zeroPoint) · scale}.
 *
 * <ul>
 *   <li>Symmetric: zero point fixed at 2^(bits−1) (ONNX Runtime's default when no zero points are given), scale =
 *       absmax / (2^(bits−1) − ½), so the codes −2^(bits−1) … 2^(bits−1) − 1 cover [−absmax, absmax] with every
 *       value at most half a step from its code (the last half step is clamped onto the top code).</li>
 *   <li>Asymmetric: the range [min(0, lo), max(0, hi)] is split into 2^bits − 1 steps; zero point =
 *       round(−min / scale), an integer code, so 0 is exact and again every value is within half a step.</li>
 * </ul>
 * Rounding is half to even ({@link Math#rint}), computed in double from the float32 value and float32 scale: the
 * same checkpoint always gives the same bytes.
 *
 * @param bits      8 or 4
 * @param blockSize values per block along K: a power of two ≥ 16 (ONNX Runtime's rule for MatMulNBits)
 * @param symmetric true: no zero points; false: one per block
 */
public record QuantScheme(int bits, int blockSize, boolean symmetric) {

    public QuantScheme {
        if (bits != 4 && bits != 8) {
            throw new IllegalArgumentException("quantization bits must be 4 or 8, got " + bits);
        }
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("quantization block size must be a power of two ≥ 16, got "
                    + blockSize);
        }
    }

    /** The largest code: 255 or 15. */
    public int maxCode() {
        return (1 << bits) - 1;
    }

    /** The zero point of symmetric blocks (and ONNX Runtime's default): 128 or 8. */
    public int defaultZeroPoint() {
        return 1 << (bits - 1);
    }

    /** Blocks per row of {@code k} values: ⌈k / blockSize⌉. */
    public int blocksPerRow(int k) {
        return (k + blockSize - 1) / blockSize;
    }

    /** Bytes of one block's packed codes: blockSize · bits / 8. */
    public int blobBytes() {
        return blockSize * bits / 8;
    }

    /** Bytes of one row's packed zero points: ⌈blocks · bits / 8⌉ (a row's last byte may hold one unused nibble). */
    public int zeroPointBytesPerRow(int k) {
        return (blocksPerRow(k) * bits + 7) / 8;
    }

    /** Short tag for content keys and names: "q8b128s" / "q4b32a". */
    public String tag() {
        return "q" + bits + "b" + blockSize + (symmetric ? "s" : "a");
    }
}
