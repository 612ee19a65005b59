package io.omnigen4j.sdk.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Noise with PyTorch's CPU seed semantics, bit for bit (for the {@link TorchCpuKernel#AVX2} kernel, which PyTorch uses
 * on every x86-64 CPU with AVX2; see {@link TorchCpuKernel} for the other one).
 *
 * <ul>
 *   <li>Initial latents: {@code torch.randn(shape, generator=torch.Generator('cpu').manual_seed(latentSeed))}, which
 *       is what the OmniGen reference pipeline draws when it runs on the CPU ({@code pipeline.py}: a generator on
 *       the pipeline's device, seeded with {@code seed}).</li>
 *   <li>VAE posterior noise: the reference draws ε in {@code latent_dist.sample()} from PyTorch's <em>global</em>
 *       generator, which the pipeline never seeds, so no implementation can reproduce a plain reference run. This
 *       class draws every ε in call order from one generator seeded with {@code vaeSeed}, which reproduces a
 *       reference CPU run preceded by {@code torch.manual_seed(vaeSeed)} (nothing else in the pipeline draws from the
 *       global generator), and also the conformance fixtures' recipe ({@code torch.Generator().manual_seed(s)} used
 *       for all encode calls in order).</li>
 * </ul>
 *
 * <p>Because each ε continues the stream of the ones before, {@link #posteriorNoise} needs the calls' shapes in order:
 * the source remembers the shapes asked for so far, replays the stream up to the requested call (so asking again for
 * an earlier call returns the same values), and rejects a call that skips an index or changes an earlier call's shape.
 * Thread-safe; meant for one request (the SDK makes a fresh one per generation).
 */
public final class TorchCpuNoiseSource implements NoiseSource {
    private final long latentSeed;
    private final long vaeSeed;
    private final TorchCpuKernel kernel;
    private final List<int[]> posteriorShapes = new ArrayList<>(); // guarded by itself

    /**
     * The reference's seed semantics for a CPU run preceded by {@code torch.manual_seed(seed)}: {@code seed} for the
     * initial latents and for the posterior noise, AVX2 kernel.
     *
     * @param seed the seed (its 64 bits, see {@link TorchCpuGenerator#TorchCpuGenerator(long)})
     */
    public TorchCpuNoiseSource(long seed) {
        this(seed, seed, TorchCpuKernel.AVX2);
    }

    /**
     * Separate seeds and an explicit kernel.
     *
     * @param latentSeed the seed of the initial latents' generator
     * @param vaeSeed    the seed of the generator all VAE posterior noise is drawn from, in call order
     * @param kernel     the PyTorch CPU kernel to reproduce
     */
    public TorchCpuNoiseSource(long latentSeed, long vaeSeed, TorchCpuKernel kernel) {
        if (kernel == null) {
            throw new IllegalArgumentException("kernel must not be null (TorchCpuKernel.AVX2 on x86-64)");
        }
        this.latentSeed = latentSeed;
        this.vaeSeed = vaeSeed;
        this.kernel = kernel;
    }

    /** @return the seed of the initial latents */
    public long latentSeed() {
        return latentSeed;
    }

    /** @return the seed of the posterior-noise stream */
    public long vaeSeed() {
        return vaeSeed;
    }

    /** @return the reproduced CPU kernel */
    public TorchCpuKernel kernel() {
        return kernel;
    }

    @Override
    public float[] initialLatents(int[] shape) {
        return new TorchCpuGenerator(latentSeed).randn(NoiseSource.elementCount(shape), kernel);
    }

    @Override
    public float[] posteriorNoise(int encodeIndex, int[] shape) {
        int count = NoiseSource.elementCount(shape);
        List<int[]> before = PosteriorCalls.record(posteriorShapes, encodeIndex, shape);
        TorchCpuGenerator g = new TorchCpuGenerator(vaeSeed);
        for (int[] s : before) {
            g.randn(NoiseSource.elementCount(s), kernel); // replay: the earlier calls advance the stream
        }
        return g.randn(count, kernel);
    }

    @Override
    public String toString() {
        return "TorchCpuNoiseSource[latentSeed=" + latentSeed + ", vaeSeed=" + vaeSeed + ", kernel=" + kernel + "]";
    }

    /** Bookkeeping shared by the stream-based sources: the shapes of the posterior calls seen so far. */
    static final class PosteriorCalls {
        private PosteriorCalls() {
        }

        /**
         * Records call {@code index} with {@code shape} and returns the shapes of the calls before it; rejects
         * skipped indices and changed shapes.
         */
        static List<int[]> record(List<int[]> shapes, int index, int[] shape) {
            if (index < 0) {
                throw new IllegalArgumentException("encodeIndex must be >= 0, got " + index);
            }
            synchronized (shapes) {
                if (index > shapes.size()) {
                    throw new IllegalStateException("posterior noise #" + index + " requested before #" + shapes.size()
                            + ": each ε continues the stream of the earlier encode calls, so ask in call order");
                }
                if (index < shapes.size()) {
                    if (!Arrays.equals(shapes.get(index), shape)) {
                        throw new IllegalStateException("posterior noise #" + index + " was drawn for shape "
                                + Arrays.toString(shapes.get(index)) + ", now requested for " + Arrays.toString(shape)
                                + ": use a new noise source for a different request");
                    }
                } else {
                    shapes.add(shape.clone());
                }
                return List.copyOf(shapes.subList(0, index));
            }
        }
    }
}
