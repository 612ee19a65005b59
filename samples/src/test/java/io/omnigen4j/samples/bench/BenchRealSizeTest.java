package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.cli.OmniGenCli;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.graphs.VaeGraphs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code omnigen bench --spec real}: the real-size flow, run on the tiny shapes ({@code --spec real-tiny}, the same
 * code path), through the whole CLI. No timing assertions.
 */
class BenchRealSizeTest {

    private static final Pattern PEAK_LINE = Pattern.compile("(?m)^peak RSS \\d+\\.\\d{2} GiB$");

    @TempDir
    Path tmp;

    private record Run(int exitCode, String out, String err) {
    }

    /** Runs {@code omnigen bench ARGS} as the CLI does; {@code usable} replaces the free-space query (null: real). */
    private static Run omnigenBench(ToLongFunction<Path> usable, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = OmniGenCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        CommandLine bench = cl.getSubcommands().get("bench");
        bench.setOut(new PrintWriter(out, true));
        bench.setErr(new PrintWriter(err, true));
        if (usable != null) {
            ((BenchmarkCommand) bench.getCommand()).usableSpace = usable;
        }
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        int rc = cl.execute(all);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void realSizeFlowLoadsOnceRunsBothCasesAndReportsMemory() throws Exception {
        Path dir = tmp.resolve("real");
        Path json = tmp.resolve("real.json");
        Run r = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--threads", "1",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("generating the real-tiny checkpoint"), r.err());
        assertTrue(r.err().contains("exporting it to " + dir.resolve("model")), r.err());
        assertTrue(r.err().contains("disk: checkpoint ≈ "), r.err());
        // The real-size flow exports direct VAE convolutions unless told otherwise (memory before VAE speed).
        assertTrue(r.out().contains("fp32 export with direct VAE convolutions"), r.out());
        for (String s : List.of("omnigen4j bench, real-size: spec real-tiny", "fp32 export", "64×64, 2 steps",
                "model load: ", "RSS after load: ", "(anon ", ", file ",
                "text-to-image 64×64, 2 steps: total ", "editing 64×64, 2 steps: total ", "VAE encode ",
                "VAE decode ", "peak RSS from here on")) {
            assertTrue(r.out().contains(s), "output lacks '" + s + "':\n" + r.out());
        }
        assertTrue(PEAK_LINE.matcher(r.out()).find(), r.out());
        assertFalse(Files.exists(dir.resolve("ort-cache")), "the real-size flow keeps no ORT cache");

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("real-tiny", root.path("spec").path("name").asText());
        assertEquals("fp32", root.path("precision").asText());
        assertEquals(2, root.path("steps").asInt());
        assertTrue(root.path("load_s").asDouble() > 0);
        for (String k : List.of("vm_rss_bytes", "rss_anon_bytes", "rss_file_bytes")) {
            assertTrue(root.path("rss_after_load").path(k).asLong() > 0, k + " in " + root.path("rss_after_load"));
        }
        JsonNode calls = root.path("calls");
        assertEquals(2, calls.size());
        assertEquals("text-to-image", calls.get(0).path("case").asText());
        assertEquals("editing", calls.get(1).path("case").asText());
        for (JsonNode c : calls) {
            assertEquals(2, c.path("steps_ms").size());
            assertTrue(c.path("total_ms").asDouble() > 0);
            assertTrue(c.path("decode_ms").asDouble() > 0);
            assertFalse(c.path("warmup").asBoolean());
        }
        assertTrue(calls.get(1).path("vae_encode_ms").asDouble() > 0);
        long peak = root.path("peak_rss_bytes").asLong();
        assertTrue(peak >= root.path("rss_after_load").path("vm_rss_bytes").asLong(), root.toString());
        assertEquals("model load and calls", root.path("peak_rss_scope").asText());
        assertTrue(root.path("disk").path("checkpoint_bytes").asLong() > 0);
        assertTrue(root.path("disk").path("export_bytes").asLong() > 0);

        // Second run, through the --preset spelling: checkpoint and export reused; one case, one step.
        Run again = omnigenBench(null, "--preset", "real-tiny", "--dir", dir.toString(), "--threads", "1",
                "--steps", "1", "--cases", "edit");
        assertEquals(0, again.exitCode(), again.err());
        assertFalse(again.err().contains("generating"), again.err());
        assertFalse(again.err().contains("exporting"), again.err());
        assertFalse(again.err().contains("disk:"), "nothing to write, nothing to check: " + again.err());
        assertTrue(again.out().contains("editing 64×64, 1 steps: total "), again.out());
        assertFalse(again.out().contains("text-to-image 64×64"), again.out());
        assertTrue(PEAK_LINE.matcher(again.out()).find(), again.out());

        Run twoThreadCounts = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--threads", "1,2");
        assertEquals(2, twoThreadCounts.exitCode());
        assertTrue(twoThreadCounts.err().contains("loads the model once"), twoThreadCounts.err());
        Run badSize = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--size", "100");
        assertEquals(2, badSize.exitCode());
        assertTrue(badSize.err().contains("--size must be a positive multiple of 16"), badSize.err());
    }

    /** Another precision lives in its own folder; an export whose manifest names another precision is redone. */
    @Test
    void precisionChangeReExportsTheModel() throws Exception {
        BenchFolder folder = new BenchFolder(tmp.resolve("precision"));
        StringWriter log = new StringWriter();
        folder.prepare(BenchSpec.REAL_TINY, VaeGraphs.Convolution.WINOGRAD, ExportOptions.Precision.FP32,
                new PrintWriter(log));
        assertEquals("fp32", BenchFolder.exportedPrecision(folder.model));
        // The estimates bound what was written (the tiny export is mostly alignment and fixed files).
        assertTrue(DiskEstimate.treeBytes(folder.checkpoint) <= DiskEstimate.checkpointBytes(BenchSpec.REAL_TINY));
        assertTrue(DiskEstimate.treeBytes(folder.model) <= DiskEstimate.exportBytes(BenchSpec.REAL_TINY,
                ExportOptions.Precision.FP32, VaeGraphs.Convolution.WINOGRAD));
        BenchFolder.Plan int8 = folder.plan(BenchSpec.REAL_TINY, VaeGraphs.Convolution.WINOGRAD,
                ExportOptions.Precision.INT8);
        assertEquals(folder.root.resolve("model-int8"), int8.model());
        assertTrue(int8.export());
        assertFalse(int8.generate());
        assertEquals(folder.root.resolve("ort-cache-int4"), folder.ortCache(ExportOptions.Precision.INT4));

        // The fp32 folder holding an export that says int8 (as a quantized one will) is exported again.
        Path manifest = folder.model.resolve("manifest.json");
        ObjectNode m = (ObjectNode) new ObjectMapper().readTree(manifest.toFile());
        m.put("precision", "int8");
        new ObjectMapper().writeValue(manifest.toFile(), m);
        BenchFolder.Plan plan = folder.plan(BenchSpec.REAL_TINY, VaeGraphs.Convolution.WINOGRAD,
                ExportOptions.Precision.FP32);
        assertTrue(plan.export());
        assertTrue(plan.replacedBytes() > 0, "the stale export's bytes count as free space");
        folder.prepare(BenchSpec.REAL_TINY, VaeGraphs.Convolution.WINOGRAD, ExportOptions.Precision.FP32,
                new PrintWriter(log));
        assertTrue(log.toString().contains("was exported as int8; exporting again as fp32"), log.toString());
        assertEquals("fp32", BenchFolder.exportedPrecision(folder.model));
        BenchFolder.Plan current = folder.plan(BenchSpec.REAL_TINY, VaeGraphs.Convolution.WINOGRAD,
                ExportOptions.Precision.FP32);
        assertFalse(current.export());
        assertNull(current.staleReason());
    }

    /** An unknown precision, or bf16 on the CPU provider, is one line on stderr, exit 2, before anything is written. */
    @Test
    void unsupportedPrecisionIsACleanUsageError() {
        Path dir = tmp.resolve("unsupported");
        Run unknown = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--precision", "int3");
        assertEquals(2, unknown.exitCode(), unknown.err());
        assertEquals("error: --precision: unknown precision 'int3'; use fp32, int8, int4, fp16 or bf16"
                + " (see 'omnigen bench --help')",
                unknown.err().strip());
        assertFalse(Files.exists(dir.resolve("checkpoint")));

        Run bf16 = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--precision", "bf16");
        assertEquals(2, bf16.exitCode(), bf16.err());
        String err = bf16.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith("error: --precision bf16 needs --provider cuda"), err);
        assertFalse(Files.exists(dir.resolve("checkpoint")), "rejected before generating");
    }

    /** int8 and int4 run the same flow on quantized exports of their own folders. */
    @Test
    void quantizedPrecisionsRunTheRealSizeFlow() throws Exception {
        Path dir = tmp.resolve("quantized");
        for (String p : new String[] {"int8", "int4"}) {
            Run r = omnigenBench(null, "--spec", "real-tiny", "--dir", dir.toString(), "--precision", p, "--size", "64",
                    "--steps", "1");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(PEAK_LINE.matcher(r.out()).find(), r.out());
            assertEquals(p, BenchFolder.exportedPrecision(dir.resolve("model-" + p)));
        }
    }

    /** The disk check: what is needed is printed first; too little free space stops the run before any writing. */
    @Test
    void tooLittleDiskStopsBeforeWriting() {
        Path dir = tmp.resolve("disk");
        Run r = omnigenBench(p -> 1_000_000L, "--spec", "real-tiny", "--dir", dir.toString(), "--threads", "1");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("disk: checkpoint ≈ "), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("error: not enough disk space in " + dir.toAbsolutePath().normalize()), last);
        assertTrue(last.contains("1 MB is free"), last);
        assertTrue(last.contains("choose another --dir"), last);
        assertFalse(Files.exists(dir.resolve("checkpoint")));
        assertFalse(Files.exists(dir.resolve("bench-spec.json")));
    }

    /** The real spec's sizes, from its tensor list: about 15.5 GB of checkpoint, and exports by precision. */
    @Test
    void realSpecDiskEstimates() {
        BenchSpec real = BenchSpec.named("real");
        assertTrue(real.realSize());
        assertFalse(BenchSpec.BENCH.realSize());
        assertEquals(32064, real.checkpointSpec().transformer().vocabSize());
        long ckpt = DiskEstimate.checkpointBytes(real);
        assertTrue(ckpt > 15.3e9 && ckpt < 16.3e9, DiskEstimate.gb(ckpt));
        long fp32 = DiskEstimate.exportBytes(real, ExportOptions.Precision.FP32, VaeGraphs.Convolution.DIRECT);
        long fp32w = DiskEstimate.exportBytes(real, ExportOptions.Precision.FP32, VaeGraphs.Convolution.WINOGRAD);
        long int8 = DiskEstimate.exportBytes(real, ExportOptions.Precision.INT8, VaeGraphs.Convolution.WINOGRAD);
        long int4 = DiskEstimate.exportBytes(real, ExportOptions.Precision.INT4, VaeGraphs.Convolution.WINOGRAD);
        assertTrue(Math.abs(fp32 - ckpt) < 0.01 * ckpt, DiskEstimate.gb(fp32));
        assertTrue(fp32w > fp32 && int8 < fp32w / 2 && int4 < int8, DiskEstimate.gb(fp32w) + " / "
                + DiskEstimate.gb(int8) + " / " + DiskEstimate.gb(int4));
    }
}
