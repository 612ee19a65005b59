package io.omnigen4j.sdk.sampling;

import java.math.BigInteger;

/**
 * A Java model of PyTorch's CPU generator ({@code torch.Generator('cpu')}, C++ {@code CPUGeneratorImpl}) for
 * {@code torch.randn} in float32: the mt19937 engine seeded as {@code manual_seed} seeds it, the cached second value
 * of the double-precision Box–Muller pair, and {@link #randn(int, TorchCpuKernel)} with PyTorch's two paths:
 * <ul>
 *   <li>16 or more elements (contiguous float32): first one 24-bit uniform per element, then Box–Muller on blocks of
 *       16 (8 pairs: element j and j+8 of a block share the uniforms u = data[j], data[j+8]; cosine first, sine
 *       second); when the count is not a multiple of 16, 16 new uniforms replace the last 16 values and that last
 *       block is recomputed. The maths of a block depends on the {@link TorchCpuKernel}.</li>
 *   <li>fewer than 16 elements: per element a double-precision Box–Muller value from two 53-bit uniforms, the sine
 *       half kept in the generator for the next element (also across calls), rounded to float.</li>
 * </ul>
 * Facts from PyTorch's {@code aten/src/ATen/native/cpu/DistributionTemplates.h}, {@code core/MT19937RNGEngine.h},
 * {@code core/DistributionsHelper.h}, {@code core/TransformationHelper.h} and {@code CPUGeneratorImpl.cpp}
 * (1.13.1; unchanged in 2.x up to the versions read). Checked bit for bit against values recorded from PyTorch
 * 1.13.1 (see {@code scripts/record_torch_noise.py}).
 *
 * <p>Not thread-safe: a generator is a mutable stream, like PyTorch's.
 */
public final class TorchCpuGenerator {
    private static final int N = 624;
    private static final int M = 397;
    private static final float TWO_PI_F = (float) (2.0 * Math.PI);
    private static final BigInteger MIN_SEED = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX_SEED = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final int[] state = new int[N];
    private final long seed;
    private int left;
    private int next;
    private boolean hasCachedNormal;
    private double cachedNormal;

    /**
     * A generator in the state of {@code torch.Generator('cpu').manual_seed(seed)}. PyTorch takes the seed as a
     * 64-bit unsigned integer (negative Python ints are reinterpreted in two's complement), so a Java {@code long}
     * holds every seed PyTorch accepts: {@code -1} here is PyTorch's {@code -1} and {@code 2**64 - 1}. mt19937 only
     * uses the low 32 bits, so seeds that agree there give the same stream (as in PyTorch).
     *
     * @param seed the seed's 64 bits
     */
    public TorchCpuGenerator(long seed) {
        this.seed = seed;
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            state[j] = 1812433253 * (state[j - 1] ^ (state[j - 1] >>> 30)) + j;
        }
        left = 1;
        next = 0;
    }

    /**
     * Converts a seed written as a decimal integer the way {@code Generator.manual_seed} converts a Python int:
     * values in [0, 2<sup>64</sup>) as unsigned 64-bit integers, negative values down to -2<sup>63</sup> in two's
     * complement; anything else is rejected (PyTorch raises a {@code RuntimeError} there).
     *
     * @param text the seed, e.g. {@code "42"}, {@code "-1"} or {@code "18446744073709551615"}
     * @return the seed's 64 bits
     * @throws IllegalArgumentException when the text is not an integer in [-2<sup>63</sup>, 2<sup>64</sup> - 1]
     */
    public static long parseSeed(String text) {
        BigInteger v;
        try {
            v = new BigInteger(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed must be an integer, got '" + text + "'");
        }
        if (v.compareTo(MIN_SEED) < 0 || v.compareTo(MAX_SEED) > 0) {
            throw new IllegalArgumentException("seed " + v + " is out of range: PyTorch's manual_seed accepts"
                    + " -9223372036854775808 to 18446744073709551615");
        }
        return v.longValue();
    }

    /** @return the seed this generator was made with (its 64 bits; only the low 32 seed the engine) */
    public long seed() {
        return seed;
    }

    /** @return the next 32-bit mt19937 output ({@code CPUGeneratorImpl::random()}), as the bits of an int */
    public int nextInt() {
        if (--left == 0) {
            twist();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** @return {@code random64()}: two outputs, the first one in the high half */
    public long nextLong() {
        long hi = nextInt() & 0xFFFFFFFFL;
        long lo = nextInt() & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    /** @return a float uniform in [0, 1) from the low 24 bits of one output ({@code uniform_real_distribution<float>}) */
    public float nextFloat() {
        return (nextInt() & 0xFFFFFF) * 0x1.0p-24f;
    }

    /** @return a double uniform in [0, 1) from the low 53 bits of {@link #nextLong()} */
    public double nextDouble() {
        return (nextLong() & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    /**
     * One standard normal of {@code normal_distribution<double>}: the cached sine half when there is one, otherwise
     * u1, u2 = two doubles, r = sqrt(-2 log(1 - u2)), theta = 2 pi u1, caching r sin(theta), returning r cos(theta).
     *
     * @return the next double normal of the scalar path
     */
    public double nextNormalDouble() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDouble();
        double u2 = nextDouble();
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * StrictMath.sin(theta);
        hasCachedNormal = true;
        return r * StrictMath.cos(theta);
    }

    /**
     * {@code torch.randn(count, generator=this)} in float32, advancing this generator as PyTorch does.
     *
     * @param count  the element count (for a shape, its product: the result is in row-major order)
     * @param kernel the CPU kernel to reproduce for 16 or more elements
     * @return a new array of standard normals
     */
    public float[] randn(int count, TorchCpuKernel kernel) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        if (kernel == null) {
            throw new IllegalArgumentException("kernel must not be null");
        }
        float[] out = new float[count];
        if (count < 16) {
            for (int i = 0; i < count; i++) {
                out[i] = (float) nextNormalDouble();
            }
            return out;
        }
        for (int i = 0; i < count; i++) {
            out[i] = nextFloat();
        }
        for (int i = 0; i + 16 <= count; i += 16) {
            fill16(out, i, kernel);
        }
        if (count % 16 != 0) {
            // PyTorch redraws the uniforms of the last 16 elements and recomputes them.
            int start = count - 16;
            for (int i = 0; i < 16; i++) {
                out[start + i] = nextFloat();
            }
            fill16(out, start, kernel);
        }
        return out;
    }

    private static void fill16(float[] data, int offset, TorchCpuKernel kernel) {
        float[] sc = new float[2];
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - data[offset + j]; // [0, 1) -> (0, 1] for the log
            float u2 = data[offset + j + 8];
            if (kernel == TorchCpuKernel.AVX2) {
                float radius = (float) Math.sqrt(-2f * AvxMathFun.log(u1)); // float sqrt is correctly rounded
                AvxMathFun.sincos(TWO_PI_F * u2, sc);
                // The kernel ends with fma(n, std, mean) = n * 1 + 0, which turns -0 into +0.
                data[offset + j] = radius * sc[1] + 0f;
                data[offset + j + 8] = radius * sc[0] + 0f;
            } else {
                float radius = (float) Math.sqrt(-2f * (float) StrictMath.log(u1));
                float theta = (float) (2.0 * Math.PI * u2); // computed in double, stored as float
                data[offset + j] = radius * (float) StrictMath.cos(theta) + 0f;
                data[offset + j + 8] = radius * (float) StrictMath.sin(theta) + 0f;
            }
        }
    }

    private void twist() {
        left = N;
        next = 0;
        for (int k = 0; k < N; k++) {
            int y = (state[k] & 0x80000000) | (state[(k + 1) % N] & 0x7fffffff);
            state[k] = state[(k + M) % N] ^ (y >>> 1) ^ ((state[(k + 1) % N] & 1) != 0 ? 0x9908b0df : 0);
        }
    }
}
