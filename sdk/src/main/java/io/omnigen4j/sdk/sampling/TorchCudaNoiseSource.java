package io.omnigen4j.sdk.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * Noise laid out like {@code torch.randn(shape, device='cuda', generator=torch.Generator('cuda').manual_seed(seed))}
 * in float32, the initial noise of the OmniGen reference on a GPU. <b>Approximate, and not checked against a GPU
 * here</b>: the Philox stream and its layout are exact models of PyTorch's source, but the Box–Muller step runs on
 * the GPU with {@code logf} and the hardware approximation {@code __sincosf}, whose last bits Java cannot reproduce;
 * this class uses correctly rounded log, sin and cos instead, so values should agree to roughly 1e-5 (not bit for bit).
 *
 * <p>What is modelled (PyTorch {@code aten/src/ATen/native/cuda/DistributionTemplates.h} and
 * {@code CUDAGeneratorImpl.cpp}, cuRAND {@code curand_kernel.h}/{@code curand_normal.h}):
 * <ul>
 *   <li>{@code manual_seed(seed)}: Philox key = the seed's 64 bits, generator offset 0.</li>
 *   <li>A call on n elements launches blocks of 256 threads, grid = min(ceil(n / 256), SMs × floor(max threads per
 *       SM / 256)); T = 256 × grid threads. Thread i runs {@code curand_init(seed, subsequence = i, offset)} and, in a
 *       grid-stride loop unrolled by 4, draws one {@code curand_normal4} per iteration k (Philox counter = offset / 4
 *       + k in the low 64 bits, i in the high 64 bits) and writes its 4 values to elements i + 4Tk + Tj, j = 0..3,
 *       where they exist. So element e takes value j = (e / T) mod 4 of draw k = e / (4T) of thread e mod T.</li>
 *   <li>{@code curand_normal4}: Box–Muller on the word pairs (0, 1) and (2, 3): u = w0·2<sup>-32</sup> +
 *       2<sup>-33</sup>, v = w1·2π·2<sup>-32</sup> + π·2<sup>-32</sup>, r = sqrt(-2 ln u), values r·sin v, r·cos v
 *       (sine first).</li>
 *   <li>The generator's offset then grows by 4 × ceil(n / (4T)) (rounded up to a multiple of 4), which is 4 whenever
 *       the grid is not capped.</li>
 * </ul>
 *
 * <p>The layout depends on the GPU only through the grid cap: the values are the same on every GPU with
 * ceil(n / 256) ≤ SMs × floor(maxThreadsPerSM / 256). For the initial latents of a 1024×1024 image (n = 65,536, 256
 * blocks) that holds from 32 SMs at 2,048 threads per SM (A100, H100) or 43 SMs at 1,536 (RTX 4090), not on an RTX
 * 3060 (28 SMs); for 2048×2048 (1,024 blocks) it needs 128 SMs at 2,048 threads (H100 SXM, not A100). The default
 * constructors assume no cap; {@link #forDevice} models a specific GPU.
 *
 * <p>VAE posterior noise: like {@link TorchCpuNoiseSource}, every ε of the request comes from one generator seeded
 * with {@code vaeSeed}, in call order (the reference's unseeded global CUDA generator after
 * {@code torch.manual_seed(vaeSeed)}); it remembers the shapes asked for so far to compute each call's offset.
 * Thread-safe; meant for one request.
 */
public final class TorchCudaNoiseSource implements NoiseSource {
    private static final int BLOCK = 256;
    private static final int UNROLL = 4;
    private static final float TWO_POW_32_INV = 0x1.0p-32f;
    private static final float TWO_POW_32_INV_2PI = 2.3283064e-10f * 6.2831855f; // cuRAND's constant, as float

    private final long latentSeed;
    private final long vaeSeed;
    private final int maxBlocks;
    private final List<int[]> posteriorShapes = new ArrayList<>(); // guarded by itself

    /**
     * {@code seed} for the initial latents and the posterior noise, on a GPU large enough not to cap the grid.
     *
     * @param seed the seed's 64 bits (PyTorch's CUDA generator uses all of them)
     */
    public TorchCudaNoiseSource(long seed) {
        this(seed, seed);
    }

    /**
     * Separate seeds, on a GPU large enough not to cap the grid.
     *
     * @param latentSeed the seed of the initial latents' generator
     * @param vaeSeed    the seed of the generator all VAE posterior noise is drawn from, in call order
     */
    public TorchCudaNoiseSource(long latentSeed, long vaeSeed) {
        this(latentSeed, vaeSeed, Integer.MAX_VALUE);
    }

    private TorchCudaNoiseSource(long latentSeed, long vaeSeed, int maxBlocks) {
        this.latentSeed = latentSeed;
        this.vaeSeed = vaeSeed;
        this.maxBlocks = maxBlocks;
    }

    /**
     * The layout of a specific GPU ({@code torch.cuda.get_device_properties(0)}: {@code multi_processor_count} and
     * {@code max_threads_per_multi_processor}).
     *
     * @param latentSeed                  the seed of the initial latents' generator
     * @param vaeSeed                     the seed of the posterior-noise generator
     * @param multiProcessorCount         the GPU's SM count, &gt;= 1
     * @param maxThreadsPerMultiProcessor the GPU's maximum resident threads per SM, &gt;= 256
     * @return a source with that GPU's grid cap
     */
    public static TorchCudaNoiseSource forDevice(long latentSeed, long vaeSeed, int multiProcessorCount,
                                                 int maxThreadsPerMultiProcessor) {
        if (multiProcessorCount < 1) {
            throw new IllegalArgumentException("multiProcessorCount must be >= 1, got " + multiProcessorCount);
        }
        if (maxThreadsPerMultiProcessor < BLOCK) {
            throw new IllegalArgumentException("maxThreadsPerMultiProcessor must be >= " + BLOCK + ", got "
                    + maxThreadsPerMultiProcessor);
        }
        long cap = (long) multiProcessorCount * (maxThreadsPerMultiProcessor / BLOCK);
        return new TorchCudaNoiseSource(latentSeed, vaeSeed, (int) Math.min(cap, Integer.MAX_VALUE));
    }

    /** @return the seed of the initial latents */
    public long latentSeed() {
        return latentSeed;
    }

    /** @return the seed of the posterior-noise stream */
    public long vaeSeed() {
        return vaeSeed;
    }

    @Override
    public float[] initialLatents(int[] shape) {
        return randn(latentSeed, 0, NoiseSource.elementCount(shape), maxBlocks);
    }

    @Override
    public float[] posteriorNoise(int encodeIndex, int[] shape) {
        int count = NoiseSource.elementCount(shape);
        long offset = 0;
        for (int[] s : TorchCpuNoiseSource.PosteriorCalls.record(posteriorShapes, encodeIndex, shape)) {
            offset += offsetIncrement(NoiseSource.elementCount(s), maxBlocks);
        }
        return randn(vaeSeed, offset, count, maxBlocks);
    }

    /** Blocks launched for {@code count} elements under a grid cap of {@code maxBlocks}. */
    static int grid(int count, int maxBlocks) {
        return Math.min((count + BLOCK - 1) / BLOCK, maxBlocks);
    }

    /** How far one call on {@code count} elements moves the generator's Philox offset. */
    static long offsetIncrement(int count, int maxBlocks) {
        long threads = (long) BLOCK * grid(count, maxBlocks);
        long perThread = (count - 1) / (threads * UNROLL) + 1;
        return perThread * UNROLL; // 4 offsets per curand_normal4; already the multiple of 4 philox_cuda_state wants
    }

    /** The float32 normals PyTorch's CUDA kernel writes for one call (see the class comment for the layout). */
    static float[] randn(long seed, long offset, int count, int maxBlocks) {
        float[] out = new float[count];
        if (count == 0) {
            return out;
        }
        long threads = (long) BLOCK * grid(count, maxBlocks);
        for (int e = 0; e < count; e++) {
            long thread = e % threads;
            long q = e / threads;
            long draw = q / UNROLL;
            int lane = (int) (q % UNROLL);
            int[] w = Philox4x32.curand4(seed, thread, offset, draw);
            out[e] = lane < 2 ? boxMuller(w[0], w[1], lane) : boxMuller(w[2], w[3], lane - 2);
        }
        return out;
    }

    /** cuRAND's {@code _curand_box_muller}: half 0 is r·sin v, half 1 is r·cos v. */
    static float boxMuller(int x, int y, int half) {
        float u = (float) (x & 0xFFFFFFFFL) * TWO_POW_32_INV + TWO_POW_32_INV / 2;
        float v = Math.fma((float) (y & 0xFFFFFFFFL), TWO_POW_32_INV_2PI, TWO_POW_32_INV_2PI / 2); // nvcc fuses
        float s = (float) Math.sqrt(-2f * (float) StrictMath.log(u));
        return half == 0 ? (float) StrictMath.sin(v) * s : (float) StrictMath.cos(v) * s;
    }

    @Override
    public String toString() {
        return "TorchCudaNoiseSource[latentSeed=" + latentSeed + ", vaeSeed=" + vaeSeed
                + (maxBlocks == Integer.MAX_VALUE ? ", uncapped grid" : ", grid cap " + maxBlocks) + "]";
    }
}
