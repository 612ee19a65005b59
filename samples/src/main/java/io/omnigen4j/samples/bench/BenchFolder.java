package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.manifest.ManifestModel;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The benchmark's folder, reused between runs:
 * <pre>
 * bench-spec.json   the spec the folder was made for (a folder is never reused for another spec)
 * checkpoint/       the generated checkpoint, OmniGen layout (config.json, model.safetensors, tokenizer, vae/)
 * model/            its export (the folder the SDK loads)
 * ort-cache/        ONNX Runtime's optimised graphs, cached between runs
 * </pre>
 * Generation and export are both atomic (a temporary sibling renamed into place), so an interrupted run leaves
 * either a complete folder or none.
 */
final class BenchFolder {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Path root;
    final Path checkpoint;
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

    /** Generates and exports what is missing; checks that what exists was made for {@code spec}. */
    void prepare(BenchSpec spec, PrintWriter log) throws IOException {
        prepare(spec, VaeGraphs.Convolution.WINOGRAD, log);
    }

    /**
     * As {@link #prepare(BenchSpec, PrintWriter)}, with the VAE graphs written as {@code vaeConvolution}: a model
     * exported with the other form is exported again (a few seconds; the checkpoint is kept).
     */
    void prepare(BenchSpec spec, VaeGraphs.Convolution vaeConvolution, PrintWriter log) throws IOException {
        Files.createDirectories(root);
        Path specFile = root.resolve("bench-spec.json");
        Map<String, Object> wanted = spec.describe();
        if (Files.exists(specFile)) {
            // Both sides parsed from text, so numbers compare by value, not by Java type.
            JsonNode found = JSON.readTree(specFile.toFile());
            if (!found.equals(JSON.readTree(JSON.writeValueAsString(wanted)))) {
                throw new IllegalArgumentException(root + " holds a benchmark checkpoint for another spec ("
                        + found.path("name").asText("?") + "); choose another --dir or delete it");
            }
        } else if (Files.exists(checkpoint) || Files.exists(model)) {
            throw new IllegalArgumentException(root + " has checkpoint/ or model/ but no bench-spec.json; choose"
                    + " another --dir or delete them");
        } else {
            JSON.writeValue(specFile.toFile(), wanted);
        }
        if (!Files.exists(checkpoint.resolve("config.json"))) {
            log.printf("generating the %s checkpoint into %s …%n", spec.name(), checkpoint);
            log.flush();
            long t = System.nanoTime();
            RandomCheckpointGenerator.generate(spec.checkpointSpec(), BenchSpec.WEIGHT_SEED, checkpoint);
            generateSeconds = (System.nanoTime() - t) / 1e9;
        }
        String wantedConvolution = vaeConvolution.id();
        String exported = exportedVaeConvolution();
        if (exported != null && !exported.equals(wantedConvolution)) {
            log.printf("%s has %s VAE convolutions; exporting again with %s …%n", model, exported, wantedConvolution);
            deleteTree(model);
        } else if (exported != null) {
            int revision = exportedGraphsRevision();
            if (revision != ManifestModel.GRAPHS_REVISION) {
                log.printf("%s was exported with graphs revision %d; exporting again with revision %d …%n", model,
                        revision, ManifestModel.GRAPHS_REVISION);
                deleteTree(model);
            }
        }
        if (!Files.exists(model.resolve("manifest.json"))) {
            log.printf("exporting it to %s …%n", model);
            log.flush();
            long t = System.nanoTime();
            // A stale ORT cache would be rejected anyway (keyed by the weights' checksums); drop it to save space.
            deleteTree(ortCache);
            OmniGenExporter.export(ExportOptions.builder(checkpoint, model).vaeConvolution(vaeConvolution).force(true)
                    .build());
            exportSeconds = (System.nanoTime() - t) / 1e9;
        }
    }

    /** The exported model's VAE convolution form ("direct" for manifests that predate the field), or null. */
    String exportedVaeConvolution() throws IOException {
        Path manifest = model.resolve("manifest.json");
        if (!Files.exists(manifest)) {
            return null;
        }
        return JSON.readTree(manifest.toFile()).path("vae_convolution").asText("direct");
    }

    /** The exported model's graphs revision (1 for manifests that predate the field). */
    int exportedGraphsRevision() throws IOException {
        return JSON.readTree(model.resolve("manifest.json").toFile()).path("graphs_revision").asInt(1);
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
