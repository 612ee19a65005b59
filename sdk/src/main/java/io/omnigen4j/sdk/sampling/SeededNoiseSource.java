package io.omnigen4j.sdk.sampling;

/**
 * Deterministic standard-normal noise from a 64-bit seed, defined entirely in this class so that it gives the same
 * values on every JVM and platform: the SplitMix64 sequence supplies 53-bit uniforms, and the Box–Muller transform
 * (evaluated with {@link StrictMath}) turns each pair into two normals, the cosine one first; the double result is
 * rounded to float32.
 *
 * <p>It does <b>not</b> reproduce PyTorch's generators, so a run seeded this way differs from a seeded Python run;
 * {@link TorchCpuNoiseSource} (the SDK's default, {@link NoiseKind#TORCH_CPU}) does, and {@link RecordedNoiseSource}
 * replays the reference's tensors. This was the SDK's default before ({@link NoiseKind#JAVA}).
 *
 * <p>Streams: the initial latents come from the stream of {@code latentSeed}; the ε of the n-th VAE encode call comes
 * from its own stream derived from {@code vaeSeed} and n, so it does not depend on the order in which calls are made.
 * Immutable and thread-safe (every call starts a fresh stream).
 */
public final class SeededNoiseSource implements NoiseSource {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final long latentSeed;
    private final long vaeSeed;

    /**
     * Uses {@code seed} for the initial latents and a derived seed for the VAE posterior noise.
     * @param seed any value
     */
    public SeededNoiseSource(long seed) {
        this(seed, mix64(seed ^ 0x5641455F4E4F4953L));
    }

    /**
     * Separate seeds for the initial latents and for the VAE posterior noise.
     * @param latentSeed seed of the initial latents' stream
     * @param vaeSeed seed from which each encode call's stream is derived
     */
    public SeededNoiseSource(long latentSeed, long vaeSeed) {
        this.latentSeed = latentSeed;
        this.vaeSeed = vaeSeed;
    }

    /** {@return the seed of the initial latents' stream} */
    public long latentSeed() {
        return latentSeed;
    }

    /** {@return the seed the VAE posterior noise streams are derived from} */
    public long vaeSeed() {
        return vaeSeed;
    }

    @Override
    public float[] initialLatents(int[] shape) {
        float[] out = new float[NoiseSource.elementCount(shape)];
        fillStandardNormal(latentSeed, out);
        return out;
    }

    @Override
    public float[] posteriorNoise(int encodeIndex, int[] shape) {
        if (encodeIndex < 0) {
            throw new IllegalArgumentException("encodeIndex must be >= 0, got " + encodeIndex);
        }
        float[] out = new float[NoiseSource.elementCount(shape)];
        fillStandardNormal(mix64(vaeSeed + GOLDEN_GAMMA * (encodeIndex + 1L)), out);
        return out;
    }

    /**
     * Fills {@code out} with standard normals from the stream of {@code seed} (SplitMix64 + Box–Muller, see class
     * comment). Exposed so tests and tools can reproduce the values.
     * @param seed the stream's seed
     * @param out filled from index 0 to the end
     */
    public static void fillStandardNormal(long seed, float[] out) {
        long state = seed;
        int k = 0;
        while (k < out.length) {
            state += GOLDEN_GAMMA;
            double u1 = 1.0 - (mix64(state) >>> 11) * 0x1.0p-53; // (0, 1]: log is finite
            state += GOLDEN_GAMMA;
            double u2 = (mix64(state) >>> 11) * 0x1.0p-53;      // [0, 1)
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double theta = 2.0 * StrictMath.PI * u2;
            out[k++] = (float) (r * StrictMath.cos(theta));
            if (k < out.length) {
                out[k++] = (float) (r * StrictMath.sin(theta));
            }
        }
    }

    /** The SplitMix64 output function (Steele, Lea, Flood 2014). */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "SeededNoiseSource[latentSeed=" + latentSeed + ", vaeSeed=" + vaeSeed + "]";
    }
}
