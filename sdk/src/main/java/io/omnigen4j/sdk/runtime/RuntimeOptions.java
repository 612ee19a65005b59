package io.omnigen4j.sdk.runtime;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a model's ONNX Runtime sessions are created and what the loaded model keeps between calls. Immutable;
 * {@link Builder#build()} validates.
 *
 * @param provider          CPU (default) or CUDA
 * @param fallbackToCpu     when CUDA cannot start, log a warning and use the CPU instead of failing
 * @param intraOpThreads    threads per graph run; 0 lets ONNX Runtime choose (all cores)
 * @param optimization      graph optimisation level
 * @param optimizedModelDir if set, a cache of ONNX Runtime's optimised graphs: loaded when present (keyed by manifest,
 *                          ORT version, optimisation level, provider and CPU), otherwise written after optimising.
 *                          Saves the optimisation time at each load (seconds for a direct-convolution VAE); costs
 *                          disk — each graph gets its own copy of its weights, so roughly twice the transformer
 *                          weights for the real model (≈ 30 GB). Winograd VAE graphs are never cached: they
 *                          optimise in a fraction of a second and run faster freshly optimised
 * @param conditionCacheEntries condition K/V kept between {@code generate} calls (default
 *                          {@value Builder#DEFAULT_CONDITION_CACHE_ENTRIES}; 0 turns it off): with the KV cache on,
 *                          a forward group without input images whose prompt tokens, positions, mask and RoPE
 *                          factors equal an earlier call's (the negative prompt of every call; one prompt with
 *                          several seeds) reuses that call's prefill. Bit-identical results; each entry holds
 *                          about 0.8 MB of native memory per condition token for the real model
 * @param cpuArena          whether sessions keep ONNX Runtime's CPU memory arena ({@link CpuArena}; default
 *                          {@link CpuArena#AUTO}: off for models whose transformer weights exceed
 *                          {@value Builder#LARGE_MODEL_BYTES} bytes, on otherwise)
 */
public record RuntimeOptions(ExecutionProvider provider, boolean fallbackToCpu, int intraOpThreads,
                             Optimization optimization, Path optimizedModelDir, int conditionCacheEntries,
                             CpuArena cpuArena) {

    public enum Optimization { NONE, BASIC, EXTENDED, ALL }

    /**
     * ONNX Runtime's CPU memory arena keeps every block a session ever allocated for reuse: fast repeated runs, but
     * the process holds the peak of every graph (transformer and VAE) at once. Without it, activations go back to
     * the system after each run. Measured on OmniGen-v1's real shapes (fp32, 256², two text-to-image calls): peak
     * RSS 15.9 instead of 17.2 GB; for the small benchmark model the arena is kept for speed.
     */
    public enum CpuArena {
        /** Off when the model's transformer weights exceed {@value Builder#LARGE_MODEL_BYTES} bytes, else on. */
        AUTO,
        ON,
        OFF;

        /** Whether sessions of a model with {@code transformerWeightBytes} of transformer weights use the arena. */
        public boolean enabledFor(long transformerWeightBytes) {
            return switch (this) {
                case ON -> true;
                case OFF -> false;
                case AUTO -> transformerWeightBytes <= Builder.LARGE_MODEL_BYTES;
            };
        }
    }

    public static RuntimeOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private ExecutionProvider provider = ExecutionProvider.CPU;
        private boolean fallbackToCpu;
        private int intraOpThreads;
        private Optimization optimization = Optimization.ALL;
        private Path optimizedModelDir;
        private int conditionCacheEntries = DEFAULT_CONDITION_CACHE_ENTRIES;
        private CpuArena cpuArena = CpuArena.AUTO;

        public static final int DEFAULT_CONDITION_CACHE_ENTRIES = 4;
        /** 2 GiB: above this much transformer weight, {@link CpuArena#AUTO} turns the arena off. */
        public static final long LARGE_MODEL_BYTES = 2L << 30;
        public static final int MAX_CONDITION_CACHE_ENTRIES = 1024;

        public Builder provider(ExecutionProvider p) {
            this.provider = Objects.requireNonNull(p, "provider");
            return this;
        }

        public Builder fallbackToCpu(boolean f) {
            this.fallbackToCpu = f;
            return this;
        }

        public Builder intraOpThreads(int n) {
            this.intraOpThreads = n;
            return this;
        }

        public Builder optimization(Optimization o) {
            this.optimization = Objects.requireNonNull(o, "optimization");
            return this;
        }

        public Builder optimizedModelDir(Path dir) {
            this.optimizedModelDir = dir;
            return this;
        }

        public Builder conditionCacheEntries(int n) {
            this.conditionCacheEntries = n;
            return this;
        }

        public Builder cpuArena(CpuArena a) {
            this.cpuArena = Objects.requireNonNull(a, "cpuArena");
            return this;
        }

        public RuntimeOptions build() {
            if (conditionCacheEntries < 0 || conditionCacheEntries > MAX_CONDITION_CACHE_ENTRIES) {
                throw new IllegalArgumentException("conditionCacheEntries must be between 0 (off) and "
                        + MAX_CONDITION_CACHE_ENTRIES + ", got " + conditionCacheEntries);
            }
            if (intraOpThreads < 0) {
                throw new IllegalArgumentException("intraOpThreads must be ≥ 0 (0 = all cores), got " + intraOpThreads);
            }
            return new RuntimeOptions(provider, fallbackToCpu, intraOpThreads, optimization, optimizedModelDir,
                    conditionCacheEntries, cpuArena);
        }
    }
}
