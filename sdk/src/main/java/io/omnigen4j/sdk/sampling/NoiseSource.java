package io.omnigen4j.sdk.sampling;

/**
 * Supplies the two random inputs of an OmniGen run (conformance README, "Where the randomness enters"): the initial
 * latents {@code z0} and the posterior noise ε of each VAE encode call. Injecting them through this interface lets a
 * run use PyTorch's CPU generator ({@link TorchCpuNoiseSource}, bit for bit), a model of its CUDA generator
 * ({@link TorchCudaNoiseSource}, approximate), this project's own generator ({@link SeededNoiseSource}), or replay
 * tensors recorded from the PyTorch reference ({@link RecordedNoiseSource}); {@link NoiseKind} names the seeded ones.
 *
 * <p>Thread-safety: a noise source belongs to one generation request. Implementations in this package are
 * thread-safe and give the same values for the same request; the PyTorch ones remember the shapes of the posterior
 * calls made so far (each ε continues the stream of the earlier ones). Callers should not rely on that for custom
 * implementations.
 *
 * <p>Every method returns a new array owned by the caller (the sampler updates latents in place).
 */
public interface NoiseSource {

    /**
     * Initial latents, one noise tensor per prompt, float32 in row-major order of {@code shape}, normally
     * {@code [P, 4, H/8, W/8]}. The pipeline replicates them to every guidance branch.
     * @param shape the latent shape
     * @return standard-normal values, a new array of the shape's element count
     */
    float[] initialLatents(int[] shape);

    /**
     * The posterior noise ε of the {@code encodeIndex}-th VAE encode call of the request (0-based, in the call order
     * of the reference: with separate CFG branch 0's images in order, then branch 2's; batched, pixel_values order),
     * with the posterior's shape, normally {@code [1, 4, h/8, w/8]}.
     * @param encodeIndex the 0-based encode call
     * @param shape the posterior's shape
     * @return standard-normal values, a new array of the shape's element count
     */
    float[] posteriorNoise(int encodeIndex, int[] shape);

    /**
     * Element count of a shape; rejects negative dimensions and overflow.
     * @param shape the dimensions
     * @return their product
     * @throws IllegalArgumentException if the shape is empty, has a negative dimension or more than
     * {@code Integer.MAX_VALUE} elements
     */
    static int elementCount(int[] shape) {
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("shape must have at least one dimension");
        }
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("shape dimensions must be > 0: " + java.util.Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape too large: " + java.util.Arrays.toString(shape));
            }
        }
        return (int) n;
    }
}
