package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.manifest.ManifestModel;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark command on the tiny spec: tables and JSON are produced, folders reused. No timing assertions. */
class BenchmarkCommandTest {

    @TempDir
    Path tmp;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run bench(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchmarkCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void quickRunPrintsTablesWritesJsonAndReusesTheFolder() throws Exception {
        Path dir = tmp.resolve("bench");
        Path json = tmp.resolve("out/result.json");
        Run r = bench("--dir", dir.toString(), "--spec", "tiny", "--quick", "--runs", "1", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("generating the tiny checkpoint"), r.err());
        for (String s : List.of("text-to-image 64×64, 2 steps", "editing 64×64, 2 steps", "vae encode", "prefill",
                "step 1", "step 2", "decode", "total", "outside ORT %", "peak heap MiB", "peak RSS MiB")) {
            assertTrue(r.out().contains(s), "table lacks '" + s + "':\n" + r.out());
        }
        // The original's numbers are for the bench spec only.
        assertFalse(r.out().contains("Against the original"), r.out());

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("tiny", root.path("spec").path("name").asText());
        JsonNode configs = root.path("configs");
        assertEquals(2, configs.size(), "quick: both cases, KV on, one thread count");
        for (JsonNode c : configs) {
            assertTrue(c.path("kv_cache").asBoolean());
            assertEquals(1, c.path("intra_op_threads").asInt());
            JsonNode st = c.path("stages");
            for (String s : List.of("tokenize", "preprocess", "vae_encode", "prefill", "step_1", "step_2", "decode",
                    "total", "in_ort_runs", "outside_ort_runs")) {
                assertTrue(st.has(s), "no stage " + s + " in " + st);
                assertEquals(1, st.path(s).path("runs_ms").size());
                assertTrue(st.path(s).path("min_ms").asDouble() >= 0);
            }
            assertTrue(st.path("in_ort_runs").path("min_ms").asDouble() > 0, "graph-run time must be measured");
            double overhead = c.path("outside_ort_percent").path("median").asDouble();
            assertTrue(overhead > 0 && overhead < 100, "overhead " + overhead);
            assertTrue(c.path("peak_heap_bytes").asLong() > 0);
        }
        assertEquals(0, root.path("original_comparison").size());
        assertEquals(RuntimeOptions.Builder.DEFAULT_CONDITION_CACHE_ENTRIES, root.path("condition_cache_entries").asInt());
        JsonNode probe = root.path("speed_probe");
        for (String k : List.of("matmul_gflops_before", "matmul_gflops_after", "memory_gbps_before",
                "memory_gbps_after")) {
            assertTrue(probe.path(k).asDouble() > 0, "speed probe " + k + " in " + probe);
        }
        assertTrue(r.out().contains("machine speed probe"), r.out());
        assertFalse(root.path("loads").get(0).path("ort_cache_present_before").asBoolean());
        try (Stream<Path> s = Files.list(dir.resolve("ort-cache"))) {
            assertEquals(5, s.filter(p -> p.toString().endsWith(".opt.onnx")).count(),
                    "one cached graph per transformer graph; Winograd VAE graphs are not cached");
        }

        // Second run: checkpoint and export reused, optimised graphs loaded from the cache.
        Path json2 = tmp.resolve("second.json");
        Run again = bench("--dir", dir.toString(), "--spec", "tiny", "--quick", "--runs", "1", "--warmup", "0",
                "--cases", "t2i", "--condition-cache", "0", "--json", json2.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("condition cache off"), again.out());
        assertFalse(again.err().contains("generating"), again.err());
        assertFalse(again.err().contains("exporting"), again.err());
        JsonNode root2 = new ObjectMapper().readTree(json2.toFile());
        assertTrue(root2.path("loads").get(0).path("ort_cache_present_before").asBoolean());
        assertEquals(1, root2.path("configs").size());
        assertEquals(0, root2.path("condition_cache_entries").asInt());
        Run bad = bench("--dir", dir.toString(), "--spec", "tiny", "--quick", "--condition-cache", "-1");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--condition-cache must be from 0 to 1024, got -1"), bad.err());
        Run tooMany = bench("--dir", dir.toString(), "--spec", "tiny", "--quick", "--condition-cache", "5000");
        assertEquals(2, tooMany.exitCode(), tooMany.err());
    }

    @Test
    void refusesAFolderMadeForAnotherSpec() throws Exception {
        Path dir = tmp.resolve("other");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("bench-spec.json"), "{\"name\":\"something else\"}");
        Run r = bench("--dir", dir.toString(), "--spec", "tiny", "--quick", "--runs", "1");
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("another spec"), r.err());
    }

    /** The folder's model follows --vae-convolution: a model made with the other form is exported again. */
    @Test
    void vaeConvolutionChoiceReExportsTheModel() throws Exception {
        BenchFolder folder = new BenchFolder(tmp.resolve("convolution"));
        StringWriter log = new StringWriter();
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertEquals("direct", folder.exportedVaeConvolution());
        long directBytes = Files.size(folder.model.resolve("vae.weights"));
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertFalse(log.toString().contains("exporting again"), log.toString());
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.WINOGRAD, new PrintWriter(log));
        assertTrue(log.toString().contains("has direct VAE convolutions; exporting again with winograd"),
                log.toString());
        assertEquals("winograd", folder.exportedVaeConvolution());
        assertTrue(Files.size(folder.model.resolve("vae.weights")) > directBytes);
        Run r = bench("--dir", tmp.resolve("convolution").toString(), "--spec", "tiny", "--quick", "--runs", "1",
                "--warmup", "0", "--vae-convolution", "sideways");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown VAE convolution 'sideways'"), r.err());
    }

    /** A model from an older exporter revision (no graphs_revision: 1) is exported again; a current one is kept. */
    @Test
    void olderGraphsRevisionReExportsTheModel() throws Exception {
        BenchFolder folder = new BenchFolder(tmp.resolve("revision"));
        StringWriter log = new StringWriter();
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertEquals(ManifestModel.GRAPHS_REVISION, folder.exportedGraphsRevision());
        Path manifest = folder.model.resolve("manifest.json");
        ObjectNode m = (ObjectNode) new ObjectMapper().readTree(manifest.toFile());
        m.remove("graphs_revision");
        new ObjectMapper().writeValue(manifest.toFile(), m);
        assertEquals(1, folder.exportedGraphsRevision());
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertTrue(log.toString().contains("exported with graphs revision 1; exporting again with revision "
                + ManifestModel.GRAPHS_REVISION), log.toString());
        assertEquals(ManifestModel.GRAPHS_REVISION, folder.exportedGraphsRevision());
        int before = log.toString().length();
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertFalse(log.toString().substring(before).contains("exporting"), log.toString());
    }

    /** An export made with another number of heads per Attention node is exported again; a matching one is kept. */
    @Test
    void otherAttentionHeadsPerNodeReExportsTheModel() throws Exception {
        BenchFolder folder = new BenchFolder(tmp.resolve("heads"));
        StringWriter log = new StringWriter();
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertEquals(4, BenchFolder.exportedHeadsPerNode(folder.model), "4 heads, the default bound of 8");
        folder.attentionHeadsPerNode(1).prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertTrue(log.toString().contains("has attention nodes of 4 heads; exporting again with 1"), log.toString());
        assertEquals(1, BenchFolder.exportedHeadsPerNode(folder.model));
        int before = log.toString().length();
        folder.prepare(BenchSpec.TINY, VaeGraphs.Convolution.DIRECT, new PrintWriter(log));
        assertFalse(log.toString().substring(before).contains("exporting"), log.toString());
        Run bad = bench("--dir", tmp.resolve("bad").toString(), "--spec", "tiny", "--attention-heads-per-node", "0");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("--attention-heads-per-node must be ≥ 1"), bad.err());
    }

    /** Graphs loaded from the optimised-model cache give the same image, to the bit, as freshly optimised ones. */
    @Test
    void cachedOptimisedGraphsGiveIdenticalImages() throws Exception {
        // Winograd VAE graphs skip the cache (4 entries: the transformer graphs); direct ones are cached (6).
        for (VaeGraphs.Convolution conv : VaeGraphs.Convolution.values()) {
            BenchFolder folder = new BenchFolder(tmp.resolve("cache-check-" + conv.id()));
            folder.prepare(BenchSpec.TINY, conv, new PrintWriter(new StringWriter()));
            Path cache = tmp.resolve("ort-cache-" + conv.id());
            GenerationRequest req = BenchmarkCommand.request(ConfigResult.Case.EDITING, true, 2, 64,
                    BenchmarkCommand.syntheticImage(64, 64));
            byte[] plain, first, cached;
            try (OmniGen og = OmniGen.load(folder.model, RuntimeOptions.builder().intraOpThreads(1).build())) {
                plain = og.generate(req).image().toByteArray();
            }
            // An entry under another key (an earlier model, runtime or version) is deleted on load.
            Files.createDirectories(cache);
            Path stale = cache.resolve("vae_decoder.0123456789abcdef.opt.onnx");
            Path staleData = cache.resolve("vae_decoder.0123456789abcdef.opt.onnx.data");
            Files.writeString(stale, "stale");
            Files.writeString(staleData, "stale");
            try (OmniGen og = OmniGen.load(folder.model, RuntimeOptions.builder().intraOpThreads(1)
                    .optimizedModelDir(cache).build())) {
                first = og.generate(req).image().toByteArray();
            }
            // Direct: replaced by the entry under the current key; Winograd: forgotten, no entry at all.
            assertFalse(Files.exists(stale), conv.id() + ": stale VAE entry under another key");
            assertFalse(Files.exists(staleData), conv.id());
            long entries;
            try (Stream<Path> s = Files.list(cache)) {
                entries = s.filter(p -> p.toString().endsWith(".opt.onnx")).count();
            }
            assertEquals(conv == VaeGraphs.Convolution.WINOGRAD ? 5 : 7, entries, conv.id());
            try (OmniGen og = OmniGen.load(folder.model, RuntimeOptions.builder().intraOpThreads(1)
                    .optimizedModelDir(cache).build())) {
                cached = og.generate(req).image().toByteArray();
            }
            assertArrayEquals(plain, first, conv.id());
            assertArrayEquals(plain, cached, conv.id());
        }
    }
}
