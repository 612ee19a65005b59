package io.omnigen4j.export.safetensors;

/**
 * float32 → binary16 / bfloat16 with round-to-nearest-even, the rounding PyTorch's {@code .half()} and
 * {@code .bfloat16()} use, so a checkpoint written here holds the same bits a PyTorch export would.
 * (Java 17 has no {@code Float.floatToFloat16}.) Also used by the exporter's fp16/bf16 graphs.
 */
public final class FloatEncoding {
    private FloatEncoding() {
    }

    /**
     * IEEE binary16 bits of {@code f}, round-to-nearest-even; overflow gives ±inf, NaN stays NaN (quiet).
     *
     * @param f a float32 value
     * @return its binary16 bits
     */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: rounds to zero
            }
            int m = mant | 0x800000;
            int shift = 14 - e;
            int h = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (h & 1) != 0)) {
                h++;
            }
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // a carry into the exponent is the correct result, up to and including inf
        }
        return (short) (sign | h);
    }

    /**
     * bfloat16 bits of {@code f}: the top 16 bits after round-to-nearest-even; NaN stays NaN.
     *
     * @param f a float32 value
     * @return its bfloat16 bits
     */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }
}
