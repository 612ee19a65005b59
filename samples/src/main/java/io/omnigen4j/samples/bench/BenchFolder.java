package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.graphs.TransformerGraphs;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.manifest.ManifestModel;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The benchmark's folder, reused between runs:
 * <pre>
 * bench-spec.json   the spec the folder was made for (a folder is never reused for another spec)
 * checkpoint/       the generated checkpoint, OmniGen layout (config.json, model.safetensors, tokenizer, vae/)
 * model/            its fp32 export (the folder the SDK loads)
 * model-int8/       its int8 export, and so on: one folder per precision
 * ort-cache/        ONNX Runtime's optimised graphs of model/, cached between runs (ort-cache-int8/ for model-int8/)
 * </pre>
 * Generation and export are both atomic (a temporary sibling renamed into place), so an interrupted run leaves
 * either a complete folder or none. A checkpoint generated elsewhere with the same spec and
 * {@link BenchSpec#WEIGHT_SEED} can be dropped in as {@code checkpoint/} next to a matching {@code bench-spec.json}.
 */
final class BenchFolder {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Path root;
    final Path checkpoint;
    /** The fp32 export and its ORT cache ({@link #model(ExportOptions.Precision)} for the others). */
    final Path model;
    final Path ortCache;
    /** Seconds spent generating / exporting in this run (0 when reused). */
    double generateSeconds;
    double exportSeconds;

    BenchFolder(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.checkpoint = this.root.resolve("checkpoint");
        this.model = this.root.resolve("model");
        this.ortCache = this.root.resolve("ort-cache");
    }

    /** The export in {@code precision}: {@code model/} for fp32, {@code model-<precision>/} otherwise. */
    Path model(ExportOptions.Precision precision) {
        return precision == ExportOptions.Precision.FP32 ? model : root.resolve("model-" + id(precision));
    }

    /** ONNX Runtime's cache for {@link #model(ExportOptions.Precision)} (entries of another model would be dropped). */
    Path ortCache(ExportOptions.Precision precision) {
        return precision == ExportOptions.Precision.FP32 ? ortCache : root.resolve("ort-cache-" + id(precision));
    }

    static String id(ExportOptions.Precision precision) {
        return precision.name().toLowerCase(Locale.ROOT);
    }

    /**
     * What {@link #prepare} would do now, found without writing anything.
     *
     * @param generate         the checkpoint is missing
     * @param model            the export folder for the precision
     * @param staleReason      why an existing export is made again (null: none, or none exists)
     * @param export           the export is missing or stale
     * @param replacedBytes    bytes of the stale export that is deleted before exporting again
     */
    record Plan(boolean generate, Path model, String staleReason, boolean export, long replacedBytes) {
    }

    /** At most this many heads per decoder Attention node in the exports {@link #prepare} makes. */
    private int attentionHeadsPerNode = TransformerGraphs.DEFAULT_HEADS_PER_ATTENTION;

    /** Sets the exports' {@code --attention-heads-per-node}; an export made with another value is made again. */
    BenchFolder attentionHeadsPerNode(int heads) {
        this.attentionHeadsPerNode = heads;
        return this;
    }

    /** The export options {@link #prepare} uses; {@code build()} rejects what the exporter cannot do. */
    ExportOptions exportOptions(VaeGraphs.Convolution vaeConvolution, ExportOptions.Precision precision) {
        return ExportOptions.builder(checkpoint, model(precision)).vaeConvolution(vaeConvolution).precision(precision)
                .attentionHeadsPerNode(attentionHeadsPerNode).force(true).build();
    }

    /** Generates and exports what is missing; checks that what exists was made for {@code spec}. */
    void prepare(BenchSpec spec, PrintWriter log) throws IOException {
        prepare(spec, VaeGraphs.Convolution.WINOGRAD, log);
    }

    /** As {@link #prepare(BenchSpec, VaeGraphs.Convolution, ExportOptions.Precision, PrintWriter)} in fp32. */
    void prepare(BenchSpec spec, VaeGraphs.Convolution vaeConvolution, PrintWriter log) throws IOException {
        prepare(spec, vaeConvolution, ExportOptions.Precision.FP32, log);
    }

    /**
     * Generates the checkpoint if missing and exports it in {@code precision} with the VAE graphs written as
     * {@code vaeConvolution}: an export made with the other convolution form, another precision or an older graphs
     * revision is exported again (the checkpoint is kept).
     */
    void prepare(BenchSpec spec, VaeGraphs.Convolution vaeConvolution, ExportOptions.Precision precision,
                 PrintWriter log) throws IOException {
        Plan plan = plan(spec, vaeConvolution, precision);
        ExportOptions options = plan.export() ? exportOptions(vaeConvolution, precision) : null;
        Files.createDirectories(root);
        Path specFile = root.resolve("bench-spec.json");
        if (!Files.exists(specFile)) {
            JSON.writeValue(specFile.toFile(), spec.describe());
        }
        if (plan.generate()) {
            log.printf("generating the %s checkpoint into %s …%n", spec.name(), checkpoint);
            log.flush();
            long t = System.nanoTime();
            RandomCheckpointGenerator.generate(spec.checkpointSpec(), BenchSpec.WEIGHT_SEED, checkpoint);
            generateSeconds = (System.nanoTime() - t) / 1e9;
        }
        if (plan.export()) {
            if (plan.staleReason() != null) {
                log.printf("%s %s …%n", plan.model(), plan.staleReason());
            }
            log.printf("exporting it to %s …%n", plan.model());
            log.flush();
            long t = System.nanoTime();
            deleteTree(plan.model());
            // A stale ORT cache would be rejected anyway (keyed by the weights' checksums); drop it to save space.
            deleteTree(ortCache(precision));
            OmniGenExporter.export(options);
            exportSeconds = (System.nanoTime() - t) / 1e9;
        }
    }

    /** What {@link #prepare} would do; throws when the folder was made for another spec. Writes nothing. */
    Plan plan(BenchSpec spec, VaeGraphs.Convolution vaeConvolution, ExportOptions.Precision precision)
            throws IOException {
        Path specFile = root.resolve("bench-spec.json");
        if (Files.exists(specFile)) {
            // Both sides parsed from text, so numbers compare by value, not by Java type.
            JsonNode found = JSON.readTree(specFile.toFile());
            if (!found.equals(JSON.readTree(JSON.writeValueAsString(spec.describe())))) {
                throw new IllegalArgumentException(root + " holds a benchmark checkpoint for another spec ("
                        + found.path("name").asText("?") + "); choose another --dir or delete it");
            }
        } else if (Files.exists(checkpoint) || Files.exists(model(precision)) || Files.exists(model)) {
            throw new IllegalArgumentException(root + " has checkpoint/ or model/ but no bench-spec.json; choose"
                    + " another --dir or delete them");
        }
        boolean generate = !Files.exists(checkpoint.resolve("config.json"));
        Path m = model(precision);
        String stale = null;
        String exported = exportedVaeConvolution(m);
        if (exported != null) {
            String exportedPrecision = exportedPrecision(m);
            int revision = exportedGraphsRevision(m);
            if (!exported.equals(vaeConvolution.id())) {
                stale = "has " + exported + " VAE convolutions; exporting again with " + vaeConvolution.id();
            } else if (!exportedPrecision.equalsIgnoreCase(id(precision))) {
                stale = "was exported as " + exportedPrecision + "; exporting again as " + id(precision);
            } else if (revision != ManifestModel.GRAPHS_REVISION) {
                stale = "was exported with graphs revision " + revision + "; exporting again with revision "
                        + ManifestModel.GRAPHS_REVISION;
            } else {
                var t = spec.checkpointSpec().transformer();
                int wanted = TransformerGraphs.headsPerNode(t.numAttentionHeads(), t.numKeyValueHeads(),
                        attentionHeadsPerNode);
                int found = exportedHeadsPerNode(m);
                if (found != wanted) {
                    stale = "has attention nodes of " + found + " heads; exporting again with " + wanted;
                }
            }
        }
        boolean export = exported == null || stale != null;
        return new Plan(generate, m, stale, export, export ? DiskEstimate.treeBytes(m) : 0);
    }

    /** The fp32 model's VAE convolution form ("direct" for manifests that predate the field), or null. */
    String exportedVaeConvolution() throws IOException {
        return exportedVaeConvolution(model);
    }

    /** The VAE convolution form of the export in {@code modelDir}, or null when there is none. */
    static String exportedVaeConvolution(Path modelDir) throws IOException {
        Path manifest = modelDir.resolve("manifest.json");
        if (!Files.exists(manifest)) {
            return null;
        }
        return JSON.readTree(manifest.toFile()).path("vae_convolution").asText("direct");
    }

    /** The fp32 model's graphs revision (1 for manifests that predate the field). */
    int exportedGraphsRevision() throws IOException {
        return exportedGraphsRevision(model);
    }

    static int exportedGraphsRevision(Path modelDir) throws IOException {
        return JSON.readTree(modelDir.resolve("manifest.json").toFile()).path("graphs_revision").asInt(1);
    }

    /** Heads per decoder Attention node recorded in the export's manifest (8, the old fixed value, where absent). */
    static int exportedHeadsPerNode(Path modelDir) throws IOException {
        return JSON.readTree(modelDir.resolve("manifest.json").toFile()).path("attention_heads_per_node")
                .asInt(TransformerGraphs.DEFAULT_HEADS_PER_ATTENTION);
    }

    /** The precision recorded in the export's manifest ("fp32" where absent). */
    static String exportedPrecision(Path modelDir) throws IOException {
        return JSON.readTree(modelDir.resolve("manifest.json").toFile()).path("precision").asText("fp32");
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(q);
            }
        }
    }
}
