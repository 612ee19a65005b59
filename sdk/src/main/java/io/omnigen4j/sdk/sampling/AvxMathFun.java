package io.omnigen4j.sdk.sampling;

/**
 * Lane-wise float model of the {@code log256_ps} and {@code sincos256_ps} polynomials (Cephes, as ported to AVX in
 * the zlib-licensed {@code avx_mathfun.h} that PyTorch's AVX2 normal kernel uses), evaluated in the operation order of
 * the compiled kernel. The compiler (GCC, {@code -mfma}, default {@code -ffp-contract=fast}) fuses a multiply into the
 * following add; where an add has two products as operands, the first-computed product is the fused one. Those fusions
 * are written out as {@link Math#fma}; they were found by comparing 300,000 values with PyTorch 1.13.1 (all equal).
 */
final class AvxMathFun {
    private static final float SQRTHF = (float) 0.707106781186547524;
    private static final float[] LOG_P = {
        (float) 7.0376836292E-2, (float) -1.1514610310E-1, (float) 1.1676998740E-1, (float) -1.2420140846E-1,
        (float) 1.4249322787E-1, (float) -1.6668057665E-1, (float) 2.0000714765E-1, (float) -2.4999993993E-1,
        (float) 3.3333331174E-1};
    private static final float LOG_Q1 = (float) -2.12194440e-4;
    private static final float LOG_Q2 = (float) 0.693359375;

    private static final float MINUS_DP1 = -0.78515625f;
    private static final float MINUS_DP2 = (float) -2.4187564849853515625e-4;
    private static final float MINUS_DP3 = (float) -3.77489497744594108e-8;
    private static final float SINCOF_P0 = (float) -1.9515295891E-4;
    private static final float SINCOF_P1 = (float) 8.3321608736E-3;
    private static final float SINCOF_P2 = (float) -1.6666654611E-1;
    private static final float COSCOF_P0 = (float) 2.443315711809948E-005;
    private static final float COSCOF_P1 = (float) -1.388731625493765E-003;
    private static final float COSCOF_P2 = (float) 4.166664568298827E-002;
    private static final float FOPI = (float) 1.27323954473516; // 4 / pi

    private AvxMathFun() {
    }

    /** {@code log256_ps} for one lane; {@code x} must be positive (the kernel only passes values in (0, 1]). */
    static float log(float x) {
        x = Math.max(x, Float.MIN_NORMAL); // the kernel flushes subnormals the same way
        int bits = Float.floatToRawIntBits(x);
        int exponent = bits >>> 23;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f)); // mantissa in [0.5, 1)
        float e = (float) (exponent - 0x7f);
        e = e + 1f;
        boolean small = x < SQRTHF;
        float tmp = small ? x : 0f;
        x = x - 1f;
        e = e - (small ? 1f : 0f);
        x = x + tmp;
        float z = x * x;
        float y = LOG_P[0];
        for (int i = 1; i < LOG_P.length; i++) {
            y = Math.fma(y, x, LOG_P[i]);
        }
        y = y * x;
        y = Math.fma(y, z, e * LOG_Q1);
        y = y - z * 0.5f;                  // z * 0.5 is exact, so fused or not is the same
        x = x + y;
        return Math.fma(e, LOG_Q2, x);     // e * Q2 is exact as well
    }

    /** {@code sincos256_ps} for one lane: {@code out[0]} = sin(x), {@code out[1]} = cos(x). */
    static void sincos(float x, float[] out) {
        int signSin = Float.floatToRawIntBits(x) & 0x80000000;
        x = Math.abs(x);
        float y = x * FOPI;
        int j = (int) y;                   // truncation, like cvttps
        j = (j + 1) & ~1;
        y = (float) j;
        int swapSignSin = (j & 4) << 29;
        boolean firstPoly = (j & 2) == 0;
        x = Math.fma(y, MINUS_DP1, x);     // extended-precision range reduction
        x = Math.fma(y, MINUS_DP2, x);
        x = Math.fma(y, MINUS_DP3, x);
        int signCos = (~(j - 2) & 4) << 29;
        signSin ^= swapSignSin;

        float z = x * x;
        float c = Math.fma(COSCOF_P0, z, COSCOF_P1);
        c = Math.fma(c, z, COSCOF_P2);
        c = c * z;
        c = Math.fma(c, z, -(z * 0.5f));
        c = c + 1f;

        float s = Math.fma(SINCOF_P0, z, SINCOF_P1);
        s = Math.fma(s, z, SINCOF_P2);
        s = s * z;
        s = Math.fma(s, x, x);

        // Branch-free selection as in the kernel (masked lanes are +0, which the adds below keep).
        float sinFromS = firstPoly ? s : 0f;
        float sinFromC = firstPoly ? 0f : c;
        s = s - sinFromS;
        c = c - sinFromC;
        float sin = sinFromC + sinFromS;
        float cos = c + s;
        out[0] = Float.intBitsToFloat(Float.floatToRawIntBits(sin) ^ signSin);
        out[1] = Float.intBitsToFloat(Float.floatToRawIntBits(cos) ^ signCos);
    }
}
