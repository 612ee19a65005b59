package io.omnigen4j.sdk.runtime;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a model's ONNX Runtime sessions are created. Immutable; {@link Builder#build()} validates.
 *
 * @param provider          CPU (default) or CUDA
 * @param fallbackToCpu     when CUDA cannot start, log a warning and use the CPU instead of failing
 * @param intraOpThreads    threads per graph run; 0 lets ONNX Runtime choose (all cores)
 * @param optimization      graph optimisation level
 * @param optimizedModelDir if set, a cache of ONNX Runtime's optimised graphs: loaded when present (keyed by manifest,
 *                          ORT version, optimisation level, provider and CPU), otherwise written after optimising.
 *                          Halves load time; costs disk — each graph gets its own copy of its weights, so roughly
 *                          twice the transformer weights for the real model (≈ 30 GB)
 */
public record RuntimeOptions(ExecutionProvider provider, boolean fallbackToCpu, int intraOpThreads,
                             Optimization optimization, Path optimizedModelDir) {

    public enum Optimization { NONE, BASIC, EXTENDED, ALL }

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

        public RuntimeOptions build() {
            if (intraOpThreads < 0) {
                throw new IllegalArgumentException("intraOpThreads must be ≥ 0 (0 = all cores), got " + intraOpThreads);
            }
            return new RuntimeOptions(provider, fallbackToCpu, intraOpThreads, optimization, optimizedModelDir);
        }
    }
}
