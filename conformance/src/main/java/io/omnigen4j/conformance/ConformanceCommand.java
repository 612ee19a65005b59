package io.omnigen4j.conformance;

import io.omnigen4j.sdk.runtime.ExecutionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code omnigen4j-conformance --fixtures DIR [--precision fp32|int8|int4|fp16] [--report FILE.json] [--case NAME…]
 * [--stage NAME] [--threads N]}. Prints the table (case, stage, max abs error, tolerance, result), the worst error per
 * stage over all cases and the closing line {@code N passed, M failed};
 * exit code 0 only when every case passes, 1 when a case fails, 2 for a usage or fixture-folder error.
 */
@Command(name = "omnigen4j-conformance", mixinStandardHelpOptions = true, version = "omnigen4j-conformance 0.1.0",
        sortOptions = false,
        description = {"Judge the OmniGen4J SDK against a folder of reference fixtures, stage by stage.",
                "Every model under DIR/models is exported with the project's exporter; every case under DIR/cases is"
                        + " run through the public SDK API with its case.json arguments and recorded noise."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every case passed", "1:at least one case failed", "2:usage or fixture folder error"})
public final class ConformanceCommand implements Callable<Integer> {

    @Option(names = "--fixtures", required = true, paramLabel = "DIR",
            description = "Fixture folder holding models/<model>/ and cases/<case>/ (e.g. ../shared/conformance).")
    Path fixtures;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "Transformer weight precision of the export: fp32, int8 or int4 (weight-only quantization,"
                    + " as the exporter's --precision) or fp16 (half-precision weights and compute; bf16 has no"
                    + " bounds, the CPU cannot run it). Stages that depend on the transformer's weights are judged"
                    + " with that precision's bounds; the others keep the float32 bounds. Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--report", paramLabel = "FILE.json", description = "Also write the results as JSON.")
    Path report;

    @Option(names = "--case", arity = "1..*", paramLabel = "NAME",
            description = "Run only these cases (folder names under DIR/cases). Default: all.")
    List<String> cases = new ArrayList<>();

    @Option(names = "--stage", paramLabel = "NAME",
            description = "Compare and show only stages whose name starts with NAME (e.g. step.1, vae_encode,"
                    + " image). Repeatable. Default: all.")
    List<String> stages = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--provider", paramLabel = "P", defaultValue = "cpu",
            description = "Execution provider: cpu, cuda or cuda:N (CUDA needs the runner built with -Pgpu)."
                    + " Default: ${DEFAULT-VALUE}.")
    String provider;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Override
    public Integer call() {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        Report r;
        try {
            RunOptions o = RunOptions.of(fixtures).withPrecision(PrecisionTolerances.parse(precision)).withCases(cases).withStages(stages).withThreads(threads)
                    .withProvider(ExecutionProvider.parse(provider))
                    .withProgress(quiet ? null : line -> System.err.printf(Locale.ROOT, "[%6.1fs] %s%n",
                            (System.nanoTime() - t0) / 1e9, line));
            r = ConformanceRunner.run(o);
        } catch (IllegalArgumentException e) {
            System.err.println("conformance: " + e.getMessage());
            return 2;
        }
        out.print(r.toTable());
        if (report != null) {
            try {
                r.writeJson(report);
            } catch (Exception e) {
                System.err.println("conformance: cannot write the report " + report + ": " + e.getMessage());
                return 2;
            }
        }
        return r.allPassed() ? 0 : 1;
    }

    /** Runs the command and returns its exit code (for tests and embedding). */
    public static int execute(String... args) {
        return new CommandLine(new ConformanceCommand()).execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
