package io.omnigen4j.export;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code export --checkpoint DIR --out DIR [--precision fp32] [--vae-convolution winograd|direct] [--force]}: the exporter's command line. Also a
 * subcommand of the {@code omnigen} CLI. Errors print one line; {@code --verbose} adds the stack trace.
 */
@Command(name = "export", mixinStandardHelpOptions = true, version = "omnigen4j-export " + OmniGenExporter.VERSION,
        description = "Export an OmniGen checkpoint folder to the ONNX model folder the SDK loads.")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "OmniGen checkpoint folder (config.json, model.safetensors, tokenizer.json, vae/).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model folder to create.")
    Path out;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
            description = "Graph precision: fp32 (fp16/bf16 later). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--vae-convolution", defaultValue = "winograd", paramLabel = "ALG",
            description = "How the VAE graphs compute their 3x3 convolutions: winograd (VAE about 1.6x faster on the CPU,"
                    + " vae.weights about 3.8x larger for the SDXL VAE) or direct (one Conv each). Default: ${DEFAULT-VALUE}.")
    String vaeConvolution;

    @Option(names = "--force", description = "Replace the output folder if it exists.")
    boolean force;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        java.io.PrintWriter stdout = spec.commandLine().getOut();
        java.io.PrintWriter err = spec.commandLine().getErr();
        try {
            ExportOptions options = ExportOptions.builder(checkpoint, out)
                    .precision(ExportOptions.Precision.parse(precision))
                    .vaeConvolution(io.omnigen4j.export.graphs.VaeGraphs.Convolution.parse(vaeConvolution))
                    .force(force)
                    .progress(line -> {
                        stdout.printf("[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, line);
                        stdout.flush();
                    })
                    .build();
            OmniGenExporter.export(options);
            return 0;
        } catch (ExportException | IllegalArgumentException e) {
            // The input is wrong (missing files, bad config, existing output): exit 2, like other usage errors.
            return fail(err, e, 2);
        } catch (Exception e) {
            return fail(err, e, 1);
        }
    }

    private int fail(java.io.PrintWriter err, Exception e, int code) {
        err.println("export failed: " + e.getMessage());
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ExportCommand()).execute(args));
    }
}
