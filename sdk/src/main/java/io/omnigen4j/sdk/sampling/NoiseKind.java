package io.omnigen4j.sdk.sampling;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a seed means: which generator turns a request's seed into its noise. The id ({@link #id()}) is the value of
 * the CLI's {@code --noise} option and of the {@code noise} PNG metadata field.
 */
public enum NoiseKind {
    /**
     * PyTorch's CPU generator ({@link TorchCpuNoiseSource}): bit for bit the initial latents of the reference run on
     * an x86-64 CPU with {@code seed}, and its VAE noise when the run is preceded by {@code torch.manual_seed(seed)}.
     */
    TORCH_CPU("torch-cpu"),
    /**
     * PyTorch's CUDA generator ({@link TorchCudaNoiseSource}): the layout of the reference's initial latents on a GPU,
     * values approximate (about 1e-5), not checked on a GPU.
     */
    TORCH_CUDA("torch-cuda"),
    /** This project's own generator ({@link SeededNoiseSource}, SplitMix64 + Box–Muller); matches no PyTorch run. */
    JAVA("java");

    private final String id;

    NoiseKind(String id) {
        this.id = id;
    }

    /** @return the lower-case id, e.g. {@code torch-cpu} */
    public String id() {
        return id;
    }

    /**
     * A fresh noise source for one request.
     *
     * @param seed the request's seed
     * @return the source that gives this kind's meaning to {@code seed}
     */
    public NoiseSource source(long seed) {
        switch (this) {
            case TORCH_CPU:
                return new TorchCpuNoiseSource(seed);
            case TORCH_CUDA:
                return new TorchCudaNoiseSource(seed);
            default:
                return new SeededNoiseSource(seed);
        }
    }

    /**
     * The kind with the given id (case-insensitive).
     *
     * @param id one of {@code torch-cpu}, {@code torch-cuda}, {@code java}
     * @return the kind
     * @throws IllegalArgumentException naming the valid ids when {@code id} is none of them
     */
    public static NoiseKind fromId(String id) {
        String key = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (NoiseKind k : values()) {
            if (k.id.equals(key)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown noise kind '" + id + "': use one of "
                + Arrays.stream(values()).map(NoiseKind::id).collect(Collectors.joining(", ")));
    }
}
