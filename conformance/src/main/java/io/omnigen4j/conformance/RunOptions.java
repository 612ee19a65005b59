package io.omnigen4j.conformance;

import io.omnigen4j.export.ExportOptions.Precision;
import io.omnigen4j.sdk.runtime.ExecutionProvider;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What {@link ConformanceRunner#run} judges.
 *
 * @param fixtures  folder holding {@code models/} and {@code cases/}
 * @param cases     case folder names to run; empty = every folder under {@code cases/}
 * @param stages    stage-name prefixes to compare and show; empty = every stage
 * @param threads   ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose
 * @param progress  receives one line per export / case (for stderr); never null
 * @param precision the transformer weight precision the models are exported with (fp32, int8, int4 or fp16); the
 *                  transformer-dependent stages are judged with {@link PrecisionTolerances#of} that precision
 * @param provider  where the graphs run (CPU by default; CUDA needs the onnxruntime_gpu build on the classpath)
 */
public record RunOptions(Path fixtures, List<String> cases, List<String> stages, int threads,
                         Consumer<String> progress, Precision precision, ExecutionProvider provider) {

    public RunOptions {
        Objects.requireNonNull(fixtures, "fixtures");
        cases = cases == null ? List.of() : List.copyOf(cases);
        stages = stages == null ? List.of() : List.copyOf(stages);
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be ≥ 0 (0 = ONNX Runtime's default), got " + threads);
        }
        progress = progress == null ? s -> { } : progress;
        precision = precision == null ? Precision.FP32 : precision;
        PrecisionTolerances.of(precision); // rejects precisions the runner has no bounds for
        provider = provider == null ? ExecutionProvider.CPU : provider;
    }

    /** On the CPU, as before the provider option existed. */
    public RunOptions(Path fixtures, List<String> cases, List<String> stages, int threads,
                      Consumer<String> progress, Precision precision) {
        this(fixtures, cases, stages, threads, progress, precision, ExecutionProvider.CPU);
    }

    /** fp32, as before the precision option existed. */
    public RunOptions(Path fixtures, List<String> cases, List<String> stages, int threads,
                      Consumer<String> progress) {
        this(fixtures, cases, stages, threads, progress, Precision.FP32);
    }

    public static RunOptions of(Path fixtures) {
        return new RunOptions(fixtures, List.of(), List.of(), 0, null, Precision.FP32);
    }

    public RunOptions withCases(List<String> names) {
        return new RunOptions(fixtures, names, stages, threads, progress, precision, provider);
    }

    public RunOptions withStages(List<String> prefixes) {
        return new RunOptions(fixtures, cases, prefixes, threads, progress, precision, provider);
    }

    public RunOptions withThreads(int n) {
        return new RunOptions(fixtures, cases, stages, n, progress, precision, provider);
    }

    public RunOptions withProgress(Consumer<String> listener) {
        return new RunOptions(fixtures, cases, stages, threads, listener, precision, provider);
    }

    public RunOptions withPrecision(Precision p) {
        return new RunOptions(fixtures, cases, stages, threads, progress, p, provider);
    }

    /** The same options on another execution provider. */
    public RunOptions withProvider(ExecutionProvider p) {
        return new RunOptions(fixtures, cases, stages, threads, progress, precision, p);
    }

    /** The bounds of the transformer-dependent stages for {@link #precision()}. */
    public PrecisionTolerances tolerances() {
        return PrecisionTolerances.of(precision);
    }

    /** Whether the stage filter selects {@code stage} (prefix match). */
    public boolean selects(String stage) {
        return stages.isEmpty() || stages.stream().anyMatch(stage::startsWith);
    }
}
