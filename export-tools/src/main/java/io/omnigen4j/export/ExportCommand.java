package io.omnigen4j.export;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code export --checkpoint DIR --out DIR [--precision fp32|int8|int4|fp16|bf16] [--quant-block-size N] [--quant-symmetric BOOL]
 * [--quant-accuracy-level L] [--quant-embedding true|false] [--vae-convolution winograd|direct] [--force]
 * [--allow-unused-tensors]}: the
 * exporter's command line. Also a
 * subcommand of the {@code omnigen} CLI. Errors print one line; {@code --verbose} adds the stack trace.
 */
@Command(name = "export", mixinStandardHelpOptions = true, version = "omnigen4j-export " + OmniGenExporter.VERSION,
        description = "Export an OmniGen checkpoint folder to the ONNX model folder the SDK loads.")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "OmniGen checkpoint folder, original layout (config.json, model.safetensors, tokenizer.json,"
                    + " vae/) or diffusers layout (model_index.json, transformer/, tokenizer/, vae/).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model folder to create.")
    Path out;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P",
            description = "Transformer weight precision: fp32, int8 or int4 (weight-only block quantization: linear"
                    + " layers become com.microsoft.MatMulNBits, the token embedding GatherBlockQuantized; activations,"
                    + " norms, attention and the VAE stay fp32), or fp16 / bf16 for GPUs (weights and compute in half"
                    + " precision; norms, softmax, residual stream, graph inputs/outputs and the VAE stay fp32; fp16"
                    + " runs slowly on the CPU provider, bf16 not at all). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--quant-block-size", paramLabel = "N",
            description = "int8/int4: weights per quantization block, a power of two >= 16 (default: 128; int4 with 32"
                    + " is more accurate and needs about a third more memory once loaded).")
    Integer quantBlockSize;

    @Option(names = "--quant-symmetric", paramLabel = "BOOL", arity = "1",
            description = "int8/int4: true for symmetric blocks (no zero points), false for a zero point per block"
                    + " (default: true for int8, false for int4).")
    Boolean quantSymmetric;

    @Option(names = "--quant-accuracy-level", paramLabel = "L",
            description = "int8/int4: MatMulNBits accuracy_level, the lowest type ONNX Runtime may compute in: 0 unset,"
                    + " 1 fp32, 2 fp16, 3 bf16, 4 int8 (default: 4, the fastest on CPUs).")
    Integer quantAccuracyLevel;

    @Option(names = "--quant-embedding", paramLabel = "BOOL", arity = "1",
            description = "int8/int4: quantize the token embedding table too (default: true).")
    Boolean quantEmbedding;

    @Option(names = "--vae-convolution", defaultValue = "winograd", paramLabel = "ALG",
            description = "How the VAE graphs compute their 3x3 convolutions: winograd (VAE about 1.6x faster on the CPU,"
                    + " vae.weights about 3.8x larger for the SDXL VAE) or direct (one Conv each). Default: ${DEFAULT-VALUE}.")
    String vaeConvolution;

    @Option(names = "--attention-heads-per-node", paramLabel = "N",
            description = "At most N query heads per Attention node of the decoder (default: 8). ONNX Runtime's CPU"
                    + " kernel holds the attention scores of all a node's heads at once and gives each head one thread:"
                    + " fewer heads per node need less memory for large images and use fewer cores for attention.")
    Integer attentionHeadsPerNode;

    @Option(names = "--force", description = "Replace the output folder if it exists.")
    boolean force;

    @Option(names = "--allow-unused-tensors",
            description = "Export even when the checkpoint holds tensors the graphs do not read (for example a"
                    + " config with fewer layers than the weights); they are listed and left out. Default: such a"
                    + " checkpoint is an error naming them.")
    boolean allowUnusedTensors;

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
            ExportOptions.Builder builder = ExportOptions.builder(checkpoint, out)
                    .precision(ExportOptions.Precision.parse(precision));
            if (quantBlockSize != null) {
                builder.quantBlockSize(quantBlockSize);
            }
            if (quantSymmetric != null) {
                builder.quantSymmetric(quantSymmetric);
            }
            if (quantAccuracyLevel != null) {
                builder.quantAccuracyLevel(quantAccuracyLevel);
            }
            if (quantEmbedding != null) {
                builder.quantizeEmbedding(quantEmbedding);
            }
            if (attentionHeadsPerNode != null) {
                builder.attentionHeadsPerNode(attentionHeadsPerNode);
            }
            ExportOptions options = builder
                    .vaeConvolution(io.omnigen4j.export.graphs.VaeGraphs.Convolution.parse(vaeConvolution))
                    .force(force)
                    .allowUnusedTensors(allowUnusedTensors)
                    .progress(line -> {
                        stdout.printf("[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, line);
                        stdout.flush();
                    })
                    .build();
            OmniGenExporter.export(options);
            return 0;
        } catch (IllegalArgumentException e) {
            // An option's value is wrong: name the option, as the other commands do.
            return fail(err, new IllegalArgumentException(optionNamed(e.getMessage()), e), 2);
        } catch (ExportException e) {
            // The input is wrong (missing files, bad config, existing output): exit 2, like other usage errors.
            return fail(err, e, 2);
        } catch (Exception e) {
            return fail(err, e, 1);
        }
    }

    /** Opening words of the option checks' messages, and the option each is about. */
    private static final String[][] OPTION_MESSAGES = {
            {"unknown precision", "--precision"}, {"quantization settings", "--precision"},
            {"block size", "--quant-block-size"}, {"quantization block size", "--quant-block-size"},
            {"accuracy level", "--quant-accuracy-level"}, {"unknown VAE convolution", "--vae-convolution"},
            {"attention heads per node", "--attention-heads-per-node"}};

    /** "block size must be …" → "--quant-block-size: block size must be …"; other messages unchanged. */
    static String optionNamed(String message) {
        String m = message == null ? "" : message;
        for (String[] o : OPTION_MESSAGES) {
            if (m.startsWith(o[0])) {
                return o[1] + ": " + m;
            }
        }
        return m;
    }

    private int fail(java.io.PrintWriter err, Exception e, int code) {
        err.println("export failed: " + e.getMessage());
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /**
     * Runs the export command on its own ({@code java -cp … io.omnigen4j.export.ExportCommand --help}) and exits with
     * its code.
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ExportCommand()).execute(args));
    }
}
