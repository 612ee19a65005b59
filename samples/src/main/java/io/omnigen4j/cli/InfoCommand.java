package io.omnigen4j.cli;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelFolderException;
import io.omnigen4j.sdk.model.ModelLimits;
import io.omnigen4j.sdk.model.ModelManifest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code omnigen info}: what a model folder holds, and which execution providers this runtime offers. */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = OmniGenCli.Version.class,
        description = "Show a model folder's manifest summary and the execution providers available.")
final class InfoCommand implements Callable<Integer>, OmniGenCli.Verbose {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "DIR",
            description = "Exported model folder. Default: the demo model, if it has been created.")
    Path model;

    @Option(names = "--verify", description = "Also re-hash every file and compare with the manifest (reads the"
            + " whole folder, about 16 GB for the real model). Like every load, refuses a file that a symbolic link"
            + " or a path in the manifest puts outside the folder.")
    boolean verify;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = model;
        boolean demo = false;
        if (dir == null) {
            if (DemoModel.exists()) {
                dir = DemoModel.location();
                demo = true;
            } else {
                out.println("No --model given, and the demo model has not been created yet (the first"
                        + " 'omnigen generate' without --model creates it in " + DemoModel.location() + ").");
            }
        }
        if (dir != null) {
            describe(out, ModelFolder.open(dir), demo);
        }
        providers(out);
        out.flush();
        return 0;
    }

    private void describe(PrintWriter out, ModelFolder folder, boolean demo) throws ModelFolderException,
            CliException {
        ModelManifest m = folder.manifest();
        JsonNode raw;
        try {
            raw = new ObjectMapper().readTree(folder.path().resolve(ModelManifest.FILE_NAME).toFile());
        } catch (IOException e) {
            throw CliException.runtime("cannot read the manifest of " + folder.path() + ": " + e.getMessage(), e);
        }
        ModelManifest.TransformerConfig t = m.transformer();
        ModelManifest.Constants c = m.omnigen();
        row(out, "Model folder", folder.path() + (demo ? "  (demo model: random weights)" : ""));
        row(out, "Format", m.format() + " v" + m.formatVersion() + ", precision " + m.precision()
                + ", VAE convolutions " + (m.vaeConvolution() == null ? "direct" : m.vaeConvolution())
                + ", written by " + m.producer());
        row(out, "Manifest SHA-256", folder.manifestChecksum());
        row(out, "Transformer", String.format(Locale.ROOT, "Phi-3, %d layers, hidden %d, %d heads (%d KV),"
                        + " head dim %d, FFN %d, vocab %d%s", t.layers(), t.hiddenSize(), t.heads(), t.kvHeads(),
                t.headDim(), t.intermediateSize(), t.vocabSize(), m.attentionHeadsPerNode() == null ? ""
                        : ", attention in nodes of " + m.attentionHeadsPerNode() + " heads"));
        ModelManifest.RopeScaling rs = t.ropeScaling();
        row(out, "RoPE", (rs == null ? "plain" : rs.type() + " (LongRoPE)") + ", theta " + t.ropeTheta()
                + ", positions " + t.originalMaxPositionEmbeddings() + " -> " + t.maxPositionEmbeddings());
        JsonNode vae = raw.path("vae");
        row(out, "VAE", "latent channels " + m.vae().latentChannels() + ", block widths "
                + vae.path("block_out_channels") + ", " + vae.path("layers_per_block").asInt() + " layer(s) per"
                + " block, scaling " + m.vae().scalingFactor()
                + (m.vae().shiftFactor() == null ? "" : ", shift " + m.vae().shiftFactor())
                + ", downscale " + c.vaeDownscale() + "x");
        // The same computation generate checks requests with (before loading), so both state the same limits.
        ModelLimits limits = ModelLimits.of(m);
        int square = limits.largestSquare();
        int unit = limits.patchPixels();
        row(out, "Largest output", square + "x" + square + " px; a side at most " + limits.maxSidePixels()
                + " px (position table " + c.posEmbedMaxSize() + "x" + c.posEmbedMaxSize() + " patches of " + unit
                + " px)");
        row(out, "Sequence", limits.sequencePositions() + " positions for the prompt (text and input-image tokens),"
                + " the time step and the output (W*H/" + unit * unit + " tokens); at " + square + "x" + square
                + " the prompt gets " + limits.promptBudget(square, square) + " tokens");
        row(out, "Input images", "a side at most " + limits.maxSidePixels() + " px after scaling to"
                + " --max-input-size; each takes W*H/" + unit * unit + " prompt tokens");
        Map<String, Long> sizes = m.files() == null ? Map.of() : m.files().stream()
                .collect(Collectors.toMap(ModelManifest.FileEntry::path, ModelManifest.FileEntry::bytes, (a, b) -> a));
        boolean first = true;
        for (String g : ModelManifest.GRAPHS) {
            ModelManifest.Graph graph = m.graphs().get(g);
            String data = graph.dataFiles() == null || graph.dataFiles().isEmpty() ? ""
                    : ", weights in " + String.join(", ", graph.dataFiles());
            row(out, first ? "Graphs" : "", String.format(Locale.ROOT, "%-20s %-24s %9s%s", g, graph.file(),
                    bytes(sizes.get(graph.file())), data));
            first = false;
        }
        if (m.files() != null) {
            long total = m.files().stream().mapToLong(ModelManifest.FileEntry::bytes).sum();
            row(out, "Files", m.files().size() + " files, " + bytes(total) + " in total");
            for (ModelManifest.FileEntry f : m.files()) {
                row(out, "", String.format(Locale.ROOT, "%-24s %9s", f.path(), bytes(f.bytes())));
            }
        }
        if (verify) {
            folder.verifyChecksums();
            row(out, "Checksums", "all " + (m.files() == null ? 0 : m.files().size()) + " files match the manifest");
        }
    }

    private static void providers(PrintWriter out) {
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        String version = OrtEnvironment.getEnvironment().getVersion();
        row(out, "ONNX Runtime", version + ", providers in this build: " + available.stream().map(Enum::name)
                .collect(Collectors.joining(", ")));
        row(out, "--provider cpu", "available");
        row(out, "--provider cuda", available.contains(OrtProvider.CUDA)
                ? "in this build; needs CUDA 12 and cuDNN 9 installed (checked when a session starts)"
                : "not in this build (CPU-only ONNX Runtime); rebuild the CLI with -Pgpu, or depend on"
                        + " io.omnigen4j:omnigen4j-sdk-gpu in your own application");
    }

    private static void row(PrintWriter out, String label, String value) {
        out.printf(Locale.ROOT, "%-18s %s%n", label, value);
    }

    /** 1234 → "1.2 kB", decimal units as file managers show them. */
    static String bytes(Long n) {
        if (n == null) {
            return "?";
        }
        List<String> units = List.of("B", "kB", "MB", "GB", "TB");
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.size() - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units.get(u));
    }
}
