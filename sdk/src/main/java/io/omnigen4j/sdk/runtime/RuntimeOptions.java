package io.omnigen4j.sdk.runtime;

import io.omnigen4j.sdk.model.IntegrityCheck;
import io.omnigen4j.sdk.vae.TiledVae;
import io.omnigen4j.sdk.vae.VaeTiling;

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
 *                          disk — each graph gets its own copy of its weights, so the transformer weights once
 *                          more for the real model (≈ 16 GB in fp32). Winograd VAE graphs are never cached: they
 *                          optimise in a fraction of a second and run faster freshly optimised
 * @param conditionCacheEntries condition K/V kept between {@code generate} calls (default
 *                          {@value Builder#DEFAULT_CONDITION_CACHE_ENTRIES}; 0 turns it off): with the KV cache on,
 *                          a forward group without input images whose prompt tokens, positions, mask and RoPE
 *                          factors equal an earlier call's (the negative prompt of every call; one prompt with
 *                          several seeds) reuses that call's prefill. Bit-identical results; each entry holds
 *                          about 0.8 MB of native memory per condition token for the real model
 * @param vaeTiling         when the VAE decodes the output and encodes input images in overlapping tiles instead of
 *                          in one graph run ({@link TiledVae}, with diffusers' {@code enable_tiling()} arithmetic),
 *                          which bounds the VAE's working memory by the tile instead of the image.
 *                          {@link VaeTiling#AUTO} (default) tiles only images of more than
 *                          {@value TiledVae#AUTO_MAX_UNTILED_PIXELS} pixels (512 × 512) that exceed one tile, so
 *                          every size up to 512 × 512 runs untiled, bit-identical to {@link VaeTiling#NEVER};
 *                          {@link VaeTiling#ALWAYS} tiles every image larger than one tile. Tiled results are close
 *                          to the untiled ones but not bit-identical: each tile's GroupNorms and mid-block attention
 *                          see only that tile
 * @param vaeTileSize       VAE tile side in pixels: 0 (default) chooses by the model's VAE convolution form,
 *                          {@value Builder#WINOGRAD_VAE_TILE_SIZE} for Winograd graphs and
 *                          {@value Builder#DIRECT_VAE_TILE_SIZE} for direct ones (see {@link #vaeTileSize(String)});
 *                          otherwise a multiple of {@value Builder#VAE_TILE_SIZE_MULTIPLE} from
 *                          {@value Builder#MIN_VAE_TILE_SIZE} to {@value Builder#MAX_VAE_TILE_SIZE}. Neighbouring
 *                          tiles overlap by a quarter. The VAE's peak memory follows the tile, not the image
 *                          (measured on the SDXL-width VAE, 1024 × 1024 decode: 1.7 GiB peak RSS with 256-px
 *                          Winograd tiles and 2.3 GiB with 512-px direct tiles, against 11.7 and 7.3 GiB untiled;
 *                          README, "VAE tiling"); smaller tiles need more graph runs and see less of the image
 * @param cpuArena          whether sessions keep ONNX Runtime's CPU memory arena ({@link CpuArena}; default
 *                          {@link CpuArena#AUTO}: off for models whose transformer weights exceed
 *                          {@value Builder#LARGE_MODEL_BYTES} bytes, on otherwise)
 * @param integrityCheck    how much of the model folder's content is hashed at load against the manifest's
 *                          checksums ({@link IntegrityCheck}; default {@link IntegrityCheck#SAMPLED}: small files
 *                          whole, 1 MiB of each weight file; {@link IntegrityCheck#FULL} reads the whole folder)
 * @param tensorPlacement   where each generation keeps its condition K/V, latents and step outputs ({@link
 *                          TensorPlacement}; default {@link TensorPlacement#AUTO}: in the provider's memory when a
 *                          device allocator is available for it, otherwise host memory copied at each run, with one
 *                          log line at load saying why)
 */
public record RuntimeOptions(ExecutionProvider provider, boolean fallbackToCpu, int intraOpThreads,
                             Optimization optimization, Path optimizedModelDir, int conditionCacheEntries,
                             VaeTiling vaeTiling, int vaeTileSize, CpuArena cpuArena,
                             IntegrityCheck integrityCheck, TensorPlacement tensorPlacement) {

    /** ONNX Runtime's graph optimisation level for the sessions. */
    public enum Optimization {
        /** No graph optimisations. */
        NONE,
        /** Semantics-preserving node eliminations and constant folding. */
        BASIC,
        /** Basic plus node fusions for the provider. */
        EXTENDED,
        /** Everything, including layout optimisations (default). */
        ALL
    }

    /**
     * ONNX Runtime's CPU memory arena keeps every block a session ever allocated for reuse: fast repeated runs, but
     * the process holds the peak of every graph (transformer and VAE) at once. Without it, activations go back to
     * the system after each run. Measured on OmniGen-v1's real shapes (fp32, 256², two text-to-image calls): peak
     * RSS 15.17 instead of 16.37 GiB; for the small benchmark model the arena is kept for speed.
     */
    public enum CpuArena {
        /** Off when the model's transformer weights exceed {@value Builder#LARGE_MODEL_BYTES} bytes, else on. */
        AUTO,
        /** Always keep the arena: fastest repeated runs. */
        ON,
        /** Never keep it: memory goes back after each run. */
        OFF;

        /**
         * Whether sessions of a model with {@code transformerWeightBytes} of transformer weights use the arena.
         *
         * @param transformerWeightBytes bytes of the model's transformer weights
         * @return whether the arena is kept
         */
        public boolean enabledFor(long transformerWeightBytes) {
            return switch (this) {
                case ON -> true;
                case OFF -> false;
                case AUTO -> transformerWeightBytes <= Builder.LARGE_MODEL_BYTES;
            };
        }
    }

    /**
     * These options with {@code arena} instead of {@link #cpuArena()}.
     *
     * @param arena the arena setting, not null
     * @return a copy with that setting
     */
    public RuntimeOptions withCpuArena(CpuArena arena) {
        return new RuntimeOptions(provider, fallbackToCpu, intraOpThreads, optimization, optimizedModelDir,
                conditionCacheEntries, vaeTiling, vaeTileSize, Objects.requireNonNull(arena, "arena"), integrityCheck,
                tensorPlacement);
    }

    /**
     * {@return the default options: CPU, all cores, full optimisation, no optimised-model cache, automatic tiling and
     * arena}
     */
    public static RuntimeOptions defaults() {
        return builder().build();
    }

    /**
     * The VAE tile side in pixels for a model whose manifest names this VAE convolution form ({@code "winograd"} or
     * {@code "direct"}; older exports name none and are direct): {@link #vaeTileSize()} when set, otherwise {@value
     * Builder#WINOGRAD_VAE_TILE_SIZE} for Winograd graphs (about twice the working memory per pixel) and {@value
     * Builder#DIRECT_VAE_TILE_SIZE} for direct ones.
     *
     * @param vaeConvolution the manifest's {@code vae_convolution}, or null
     * @return the tile side in pixels
     */
    public int vaeTileSize(String vaeConvolution) {
        if (vaeTileSize != Builder.AUTO_VAE_TILE_SIZE) {
            return vaeTileSize;
        }
        return "winograd".equals(vaeConvolution) ? Builder.WINOGRAD_VAE_TILE_SIZE : Builder.DIRECT_VAE_TILE_SIZE;
    }

    /** {@return a builder with the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects {@link RuntimeOptions}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private ExecutionProvider provider = ExecutionProvider.CPU;
        private boolean fallbackToCpu;
        private int intraOpThreads;
        private Optimization optimization = Optimization.ALL;
        private Path optimizedModelDir;
        private int conditionCacheEntries = DEFAULT_CONDITION_CACHE_ENTRIES;
        private CpuArena cpuArena = CpuArena.AUTO;
        private VaeTiling vaeTiling = VaeTiling.AUTO;
        private int vaeTileSize = AUTO_VAE_TILE_SIZE;
        private IntegrityCheck integrityCheck = IntegrityCheck.SAMPLED;
        private TensorPlacement tensorPlacement = TensorPlacement.AUTO;

        /** Default number of condition K/V entries kept between calls. */
        public static final int DEFAULT_CONDITION_CACHE_ENTRIES = 4;
        /** 2 GiB: above this much transformer weight, {@link CpuArena#AUTO} turns the arena off. */
        public static final long LARGE_MODEL_BYTES = 2L << 30;
        /** Largest accepted {@link #conditionCacheEntries(int)}. */
        public static final int MAX_CONDITION_CACHE_ENTRIES = 1024;
        /** {@link #vaeTileSize(int)} 0: the tile side follows the model's VAE convolution form. */
        public static final int AUTO_VAE_TILE_SIZE = 0;
        /**
         * Automatic tile side for Winograd VAE graphs: the largest measured size that keeps a 1024 × 1024 decode of
         * the SDXL-width VAE under 2.5 GiB peak RSS (320-px tiles took 2.6 GiB, 512-px ones 5.3 GiB).
         */
        public static final int WINOGRAD_VAE_TILE_SIZE = 256;
        /** Automatic tile side for direct-convolution VAE graphs (1024 × 1024 decode: 2.3 GiB peak RSS). */
        public static final int DIRECT_VAE_TILE_SIZE = 512;
        /** VAE tile sides are multiples of this: a quarter tile (the overlap) must be whole 8-pixel latent cells. */
        public static final int VAE_TILE_SIZE_MULTIPLE = 32;
        /** Smallest accepted VAE tile side in pixels. */
        public static final int MIN_VAE_TILE_SIZE = 128;
        /** Largest accepted VAE tile side in pixels. */
        public static final int MAX_VAE_TILE_SIZE = 4096;

        /**
         * Chooses where the graphs run.
         * @param p not null; default {@link ExecutionProvider#CPU}
         * @return this builder
         */
        public Builder provider(ExecutionProvider p) {
            this.provider = Objects.requireNonNull(p, "provider");
            return this;
        }

        /**
         * Falls back to the CPU, with a logged warning, when the requested provider cannot start.
         * @param f default false (fail with {@link ProviderUnavailableException})
         * @return this builder
         */
        public Builder fallbackToCpu(boolean f) {
            this.fallbackToCpu = f;
            return this;
        }

        /**
         * Sets the threads per graph run.
         * @param n ≥ 0; 0 (default) lets ONNX Runtime use all cores
         * @return this builder
         */
        public Builder intraOpThreads(int n) {
            this.intraOpThreads = n;
            return this;
        }

        /**
         * Sets the graph optimisation level.
         * @param o not null; default {@link Optimization#ALL}
         * @return this builder
         */
        public Builder optimization(Optimization o) {
            this.optimization = Objects.requireNonNull(o, "optimization");
            return this;
        }

        /**
         * Keeps ONNX Runtime's optimised graphs in {@code dir} between loads (see {@link
         * RuntimeOptions#optimizedModelDir()}).
         * @param dir the cache folder, or null (default) for none
         * @return this builder
         */
        public Builder optimizedModelDir(Path dir) {
            this.optimizedModelDir = dir;
            return this;
        }

        /**
         * Sets how many condition K/V entries are kept between calls.
         * @param n 0 (off) to {@value #MAX_CONDITION_CACHE_ENTRIES}; default {@value #DEFAULT_CONDITION_CACHE_ENTRIES}
         * @return this builder
         */
        public Builder conditionCacheEntries(int n) {
            this.conditionCacheEntries = n;
            return this;
        }

        /**
         * Chooses whether sessions keep ONNX Runtime's CPU memory arena.
         * @param a not null; default {@link CpuArena#AUTO}
         * @return this builder
         */
        public Builder cpuArena(CpuArena a) {
            this.cpuArena = Objects.requireNonNull(a, "cpuArena");
            return this;
        }

        /**
         * When the VAE runs in tiles (default {@link VaeTiling#AUTO}).
         *
         * @param t not null
         * @return this builder
         */
        public Builder vaeTiling(VaeTiling t) {
            this.vaeTiling = Objects.requireNonNull(t, "vaeTiling");
            return this;
        }

        /**
         * VAE tile side in pixels, or {@value #AUTO_VAE_TILE_SIZE} (default) to choose by the model's graphs.
         *
         * @param pixels 0, or a multiple of {@value #VAE_TILE_SIZE_MULTIPLE} from {@value #MIN_VAE_TILE_SIZE} to
         *   {@value #MAX_VAE_TILE_SIZE}
         * @return this builder
         */
        public Builder vaeTileSize(int pixels) {
            this.vaeTileSize = pixels;
            return this;
        }

        /**
         * How much of the folder's content is hashed at load (default {@link IntegrityCheck#SAMPLED}).
         *
         * @param check not null
         * @return this builder
         */
        public Builder integrityCheck(IntegrityCheck check) {
            this.integrityCheck = Objects.requireNonNull(check, "integrityCheck");
            return this;
        }

        /**
         * Where each generation keeps its per-call tensors (default {@link TensorPlacement#AUTO}).
         *
         * @param p not null
         * @return this builder
         */
        public Builder tensorPlacement(TensorPlacement p) {
            this.tensorPlacement = Objects.requireNonNull(p, "tensorPlacement");
            return this;
        }

        /**
         * Validates the settings and builds the options.
         * @return the immutable options
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public RuntimeOptions build() {
            if (conditionCacheEntries < 0 || conditionCacheEntries > MAX_CONDITION_CACHE_ENTRIES) {
                throw new IllegalArgumentException("conditionCacheEntries must be between 0 (off) and "
                        + MAX_CONDITION_CACHE_ENTRIES + ", got " + conditionCacheEntries);
            }
            if (intraOpThreads < 0) {
                throw new IllegalArgumentException("intraOpThreads must be ≥ 0 (0 = all cores), got " + intraOpThreads);
            }
            if (vaeTileSize != AUTO_VAE_TILE_SIZE && (vaeTileSize < MIN_VAE_TILE_SIZE
                    || vaeTileSize > MAX_VAE_TILE_SIZE || vaeTileSize % VAE_TILE_SIZE_MULTIPLE != 0)) {
                throw new IllegalArgumentException("vaeTileSize must be 0 (automatic) or a multiple of "
                        + VAE_TILE_SIZE_MULTIPLE + " pixels between " + MIN_VAE_TILE_SIZE + " and " + MAX_VAE_TILE_SIZE
                        + " (the quarter-tile overlap must be whole 8-pixel latent cells), got " + vaeTileSize);
            }
            return new RuntimeOptions(provider, fallbackToCpu, intraOpThreads, optimization, optimizedModelDir,
                    conditionCacheEntries, vaeTiling, vaeTileSize, cpuArena, integrityCheck, tensorPlacement);
        }
    }
}
