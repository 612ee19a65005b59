package io.omnigen4j.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.omnigen4j.export.checkpoint.CheckpointException;
import io.omnigen4j.export.checkpoint.CheckpointFolder;
import io.omnigen4j.export.checkpoint.TensorUsage;
import io.omnigen4j.export.config.ConfigException;
import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.VaeConfig;
import io.omnigen4j.export.graphs.CheckpointWeights;
import io.omnigen4j.export.graphs.TransformerDims;
import io.omnigen4j.export.graphs.TransformerGraphs;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.graphs.WeightFormat;
import io.omnigen4j.export.manifest.ManifestModel;
import io.omnigen4j.export.onnx.Dim;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.TensorSignature;
import io.omnigen4j.export.safetensors.NonFiniteValueException;
import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.TensorStore;
import io.omnigen4j.export.staging.StagingFolder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns an OmniGen checkpoint folder, in the original or the diffusers layout ({@link CheckpointFolder}), into the
 * model folder the SDK loads: seven ONNX graphs, two weight files, the tokenizer files and {@code manifest.json}
 * (the same bytes from either layout holding the same weights). Everything is written into a hidden staging
 * folder beside the target ({@link StagingFolder}: normal permissions, locked by its owner) that is renamed into
 * place at the end, so a failed or interrupted export never leaves a half-written model, and the next export into
 * the same parent folder removes what a killed one left.
 * Weights stream from the memory-mapped checkpoint to the weight files: heap use does not grow with model size.
 */
public final class OmniGenExporter {

    /** The exporter's version, recorded as the producer version of the graphs it writes. */
    public static final String VERSION = "0.1.0";
    /** File name of the transformer graphs' shared external weights. */
    public static final String TRANSFORMER_WEIGHTS = "transformer.weights";
    /** File name of the VAE graphs' shared external weights. */
    public static final String VAE_WEIGHTS = "vae.weights";
    /** Initializers below this size stay inside the .onnx file. */
    static final long EXTERNAL_THRESHOLD = 1024;

    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json");

    private OmniGenExporter() {
    }

    /**
     * Exports and returns the manifest written.
     *
     * <p>The checkpoint is checked in both directions before and while it is exported: the tokenizer (parses, has
     * OmniGen's special tokens, no id beyond the embedding), the weight files (header, byte ranges tiling the data
     * exactly), every tensor the graphs need present with its config shape, every tensor of the checkpoint read
     * or explicitly ignored ({@link ExportOptions#allowUnusedTensors()}), and every weight value finite (checked in
     * the pass that writes it). Stale staging folders of killed exports beside the output are removed first.
     *
     * @param options the checkpoint, output folder and export settings
     * @return the manifest written into the output folder
     * @throws CheckpointValidationException when the checkpoint is inconsistent (its {@code problem()} says how)
     * @throws IOException if the checkpoint cannot be read or the folder written ({@link ExportException} names the
     *   problem)
     */
    public static ManifestModel export(ExportOptions options) throws IOException {
        Path ckpt = options.checkpoint();
        Path out = options.output().toAbsolutePath().normalize();
        CheckpointFolder folder;
        try {
            folder = CheckpointFolder.open(ckpt);
        } catch (CheckpointException | ConfigException e) {
            throw new ExportException(e.getMessage(), e);
        }
        if (Files.exists(out) && !options.force()) {
            throw new ExportException("output folder " + out + " already exists; choose another folder or pass --force"
                    + " to replace it");
        }
        Phi3Config phi = folder.transformerConfig();
        VaeConfig vae = folder.vaeConfig();
        options.progress().accept("reading " + ckpt + " (" + folder.layout().name().toLowerCase() + " layout)");
        // Everything that can be checked in the input is checked before the output is touched.
        TokenizerCheck.Summary tokenizer = TokenizerCheck.check(folder.tokenizerDir(), phi.vocabSize());
        try (TensorUsage model = TensorUsage.track(openWeights(folder, true));
             TensorUsage vaeFile = TensorUsage.track(openWeights(folder, false))) {
            if (model.contains(EMBEDDING) && model.info(EMBEDDING).rank() >= 1) {
                TokenizerCheck.checkEmbedding(tokenizer, model.info(EMBEDDING).dim(0), model.describe(EMBEDDING));
            }
            TransformerDims dims = new TransformerDims(phi.hiddenSize(), phi.numHiddenLayers(),
                    phi.numAttentionHeads(), phi.numKeyValueHeads(), phi.intermediateSize(), phi.vocabSize(),
                    (float) phi.rmsNormEps(), 192, 2, vae.latentChannels());
            VaeGraphs.Dims vd = new VaeGraphs.Dims(vae.inChannels(), vae.outChannels(), vae.latentChannels(),
                    vae.blockOutChannels().stream().mapToInt(Integer::intValue).toArray(), vae.layersPerBlock(),
                    vae.normNumGroups(), vae.midBlockAddAttention(), vae.useQuantConv(), vae.usePostQuantConv());
            // Graphs are built (tensor shapes checked, nothing read yet) before anything is written, so the
            // coverage check below fails in seconds, not after 15 GB.
            List<GraphBuilder> transformerGraphs;
            List<GraphBuilder> vaeGraphs;
            try {
                transformerGraphs = new TransformerGraphs(dims, new CheckpointWeights(model,
                        options.transformerWeights()), options.attentionHeadsPerNode()).all();
                vaeGraphs = List.of(VaeGraphs.encoder(vaeFile, vd, options.vaeConvolution()),
                        VaeGraphs.decoder(vaeFile, vd, options.vaeConvolution()));
            } catch (UncheckedIOException e) {
                throw weightProblem(ckpt, e.getCause());
            } catch (SafetensorsException e) {
                throw weightProblem(ckpt, e);
            }
            checkCoverage(model, "transformer", phi.numHiddenLayers(), options);
            checkCoverage(vaeFile, "VAE", -1, options);
            return write(options, folder, out, model, vaeFile, transformerGraphs, vaeGraphs);
        }
    }

    /** Tokenizer ids are checked against this tensor's rows. */
    private static final String EMBEDDING = "llm.embed_tokens.weight";

    private static TensorStore openWeights(CheckpointFolder folder, boolean transformer) throws IOException {
        try {
            return transformer ? folder.openTransformerWeights() : folder.openVaeWeights();
        } catch (SafetensorsException e) {
            throw weightProblem(folder.dir(), e);
        }
    }

    /** A problem found while reading the weights, as the typed export error. */
    private static CheckpointValidationException weightProblem(Path checkpoint, IOException e) throws IOException {
        if (e instanceof CheckpointValidationException c) {
            return c;
        }
        if (e instanceof NonFiniteValueException n) {
            return new CheckpointValidationException(CheckpointValidationException.Problem.NON_FINITE_WEIGHT,
                    n.file(), n.getMessage(), n);
        }
        if (e instanceof SafetensorsException || e instanceof CheckpointException) {
            return new CheckpointValidationException(CheckpointValidationException.Problem.WEIGHT_FILE, checkpoint,
                    e.getMessage(), e);
        }
        throw e; // not a problem of the input (say the disk): stays as it is
    }

    /** Every tensor of {@code store} was read by the graphs or is explicitly ignored; else an error (or a log line). */
    private static void checkCoverage(TensorUsage store, String part, int configLayers, ExportOptions options)
            throws CheckpointValidationException {
        List<String> ignored = store.ignoredUnread();
        if (!ignored.isEmpty()) {
            options.progress().accept("not exported (not needed): " + ignored.size() + " " + part + " tensor(s) "
                    + store.list(ignored, 3));
        }
        List<String> unread = store.unread();
        if (unread.isEmpty()) {
            return;
        }
        int maxLayer = TensorUsage.maxLayerIndex(unread);
        String hint = configLayers >= 0 && maxLayer >= configLayers
                ? " The weights have layers up to " + maxLayer + " but the config says " + configLayers
                + " (num_hidden_layers / num_layers): config and weights do not belong together."
                : " The weights hold modules this exporter does not know, or do not belong to this config.";
        if (options.allowUnusedTensors()) {
            options.progress().accept("warning: not exported (--allow-unused-tensors): " + unread.size() + " " + part
                    + " tensor(s) the graphs do not read: " + store.list(unread, 5));
            return;
        }
        throw new CheckpointValidationException(CheckpointValidationException.Problem.UNUSED_TENSORS, store.path(),
                store.path() + ": " + unread.size() + " " + part + " tensor(s) would not be exported: "
                        + store.list(unread, 5) + "." + hint + " Use a matching config, or pass"
                        + " --allow-unused-tensors (ExportOptions.Builder.allowUnusedTensors) to export without"
                        + " them.", null);
    }

    private static ManifestModel write(ExportOptions options, CheckpointFolder folder, Path out, TensorStore model,
                                       TensorStore vaeFile, List<GraphBuilder> transformerGraphs,
                                       List<GraphBuilder> vaeGraphs) throws IOException {
        Phi3Config phi = folder.transformerConfig();
        VaeConfig vae = folder.vaeConfig();
        Path parent = out.getParent();
        Files.createDirectories(parent);
        StagingFolder.removeStale(parent, STAGING_PURPOSE, options.progress());
        StagingFolder staging = StagingFolder.create(out, STAGING_PURPOSE);
        Path tmp = staging.path();
        boolean done = false;
        try {
            Map<String, ManifestModel.GraphEntry> graphs = new LinkedHashMap<>();
            // Weight files are hashed while written: re-reading 15 GB for the manifest would double the I/O.
            Map<String, String> knownSha = new LinkedHashMap<>();
            TransformerDims dims = new TransformerDims(phi.hiddenSize(), phi.numHiddenLayers(),
                    phi.numAttentionHeads(), phi.numKeyValueHeads(), phi.intermediateSize(), phi.vocabSize(),
                    (float) phi.rmsNormEps(), 192, 2, vae.latentChannels());
            int headsPerNode = TransformerGraphs.headsPerNode(dims.heads(), dims.kvHeads(),
                    options.attentionHeadsPerNode());
            OnnxModelWriter writer = new OnnxModelWriter(VERSION, EXTERNAL_THRESHOLD);
            Map<String, String> meta = Map.of("omnigen4j.format_version", Integer.toString(ManifestModel.FORMAT_VERSION));
            try (ExternalDataFile data = new ExternalDataFile(tmp.resolve(TRANSFORMER_WEIGHTS))) {
                for (GraphBuilder g : transformerGraphs) {
                    options.progress().accept("writing " + g.name() + ".onnx" + quantizedNodes(g));
                    writer.write(g, tmp.resolve(g.name() + ".onnx"), data, meta);
                    graphs.put(g.name(), entry(g, TRANSFORMER_WEIGHTS));
                }
                knownSha.put(TRANSFORMER_WEIGHTS, data.sha256());
            } catch (UncheckedIOException e) {
                throw weightProblem(folder.dir(), e.getCause());
            } catch (SafetensorsException e) {
                throw weightProblem(folder.dir(), e);
            }
            try (ExternalDataFile data = new ExternalDataFile(tmp.resolve(VAE_WEIGHTS))) {
                Map<String, String> vaeMeta = new LinkedHashMap<>(meta);
                vaeMeta.put("omnigen4j.vae_convolution", options.vaeConvolution().id());
                for (GraphBuilder g : vaeGraphs) {
                    options.progress().accept("writing " + g.name() + ".onnx");
                    writer.write(g, tmp.resolve(g.name() + ".onnx"), data, vaeMeta);
                    graphs.put(g.name(), entry(g, VAE_WEIGHTS));
                }
                knownSha.put(VAE_WEIGHTS, data.sha256());
            } catch (UncheckedIOException e) {
                throw weightProblem(folder.dir(), e.getCause());
            } catch (SafetensorsException e) {
                throw weightProblem(folder.dir(), e);
            }
            List<String> extra = new ArrayList<>();
            for (String f : TOKENIZER_FILES) {
                Path src = folder.tokenizerDir().resolve(f);
                if (Files.exists(src)) {
                    // Copied as a stream: Files.copy(Path, Path) would carry over the source's mode (say
                    // read-only), while everything else in the folder gets the umask's.
                    try (InputStream in = Files.newInputStream(src)) {
                        Files.copy(in, tmp.resolve(f));
                    }
                    if (!f.equals("tokenizer.json")) {
                        extra.add(f);
                    }
                }
            }
            options.progress().accept("computing checksums");
            List<ManifestModel.FileEntry> files = new ArrayList<>();
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.equals(StagingFolder.LOCK_FILE)) {
                        continue;
                    }
                    String sha = knownSha.containsKey(name) ? knownSha.get(name) : sha256(p);
                    files.add(new ManifestModel.FileEntry(name, Files.size(p), sha,
                            io.omnigen4j.export.manifest.SampledDigest.of(p)));
                }
            }
            ManifestModel manifest = new ManifestModel(ManifestModel.FORMAT, ManifestModel.FORMAT_VERSION,
                    "omnigen4j-export " + VERSION, ManifestModel.GRAPHS_REVISION, options.precision().id(),
                    quantization(options.transformerWeights()),
                    options.vaeConvolution().id(), headsPerNode, phi.toJson(), vae.toJson(),
                    new ManifestModel.OmniGenConstants(192, 2, vae.latentChannels(), vae.downsampleFactor(),
                            TransformerDims.TIME_FEATURES, 2, "batch,kv_heads,cond_len,head_dim"),
                    graphs, new ManifestModel.TokenizerEntry("tokenizer.json", extra), files);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            json.writeValue(tmp.resolve(ManifestModel.FILE_NAME).toFile(), manifest);
            if (Files.exists(out)) {
                StagingFolder.deleteTree(out);
            }
            staging.close(); // lock file gone before the rename: the model folder holds only what the manifest lists
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out);
            }
            done = true;
            options.progress().accept("exported to " + out);
            return manifest;
        } finally {
            if (!done) {
                try {
                    staging.close();
                } finally {
                    StagingFolder.deleteTree(tmp);
                }
            }
        }
    }

    /** Purpose word in the staging folder's name: {@code .<out>.export-<pid>-<hex>}. */
    static final String STAGING_PURPOSE = "export";

    /** The manifest's record of a quantized format; null for float32. */
    static ManifestModel.Quantization quantization(WeightFormat f) {
        if (!f.quantized()) {
            return null;
        }
        return new ManifestModel.Quantization("MatMulNBits", f.bits(), f.blockSize(), f.symmetric(),
                f.accuracyLevel(), f.quantizeEmbedding() ? "GatherBlockQuantized int" + f.bits() : "fp32");
    }

    /** " (n MatMulNBits, m GatherBlockQuantized)" when the graph has quantized nodes, else "". */
    private static String quantizedNodes(GraphBuilder g) {
        long mm = g.nodes().stream().filter(n -> n.opType().equals("MatMulNBits")).count();
        long gq = g.nodes().stream().filter(n -> n.opType().equals("GatherBlockQuantized")).count();
        return mm + gq == 0 ? "" : " (" + mm + " MatMulNBits, " + gq + " GatherBlockQuantized)";
    }

    private static ManifestModel.GraphEntry entry(GraphBuilder g, String dataFile) {
        return new ManifestModel.GraphEntry(g.name() + ".onnx", List.of(dataFile), tensors(g.inputs()),
                tensors(g.outputs()));
    }

    private static List<ManifestModel.TensorEntry> tensors(List<TensorSignature> sigs) {
        List<ManifestModel.TensorEntry> out = new ArrayList<>();
        for (TensorSignature s : sigs) {
            List<Object> dims = new ArrayList<>();
            for (Dim d : s.dims()) {
                dims.add(d.isSymbolic() ? d.symbol() : (Object) d.size());
            }
            out.add(new ManifestModel.TensorEntry(s.name(), s.type().manifestName(), dims));
        }
        return out;
    }

    static String sha256(Path p) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

}
