package io.omnigen4j.samples.bench;

import ai.onnxruntime.OrtEnvironment;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;

/**
 * {@code omnigen bench}: speed and memory of the whole pipeline on the CPU, stage by stage, on a generated
 * checkpoint that other implementations can be timed on too.
 *
 * <p>Generates the "bench" checkpoint (Phi-3 hidden 512, 8 layers, 8 heads, intermediate 1536; SDXL VAE widths
 * 128/256/512/512, 2 resnets per block) into {@code --dir}, exports it, then for every intra-op thread count loads
 * the model once and times text-to-image and editing (one input image) at 256×256, 10 steps, with the KV cache on
 * and off: warm-up, then {@code --runs} timed calls; minimum and median per stage, the share of time outside ONNX
 * Runtime graph runs, peak heap and peak RSS. Prints tables and writes JSON.
 *
 * <p>{@code --spec real} ({@link BenchSpec#REAL}: OmniGen-v1's shapes, random weights) instead checks the full-size
 * model: it says how much disk the checkpoint and the export in {@code --precision} take and stops early when the
 * disk lacks it, generates and exports what is missing, then loads the model once and runs text-to-image and one
 * edit at {@code --size} with {@code --steps} (default 2), reporting the load time, per-call and per-step times, VAE
 * decode, RSS after load and the peak RSS of the load and calls ({@link RealSizeRun}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmarks the pipeline on the CPU, stage by stage, on a generated checkpoint.",
                "The checkpoint (OmniGen layout) and its export stay in --dir and are reused, so another",
                "implementation can be timed on the same weights. --spec real checks the full-size model",
                "(random weights, OmniGen-v1's shapes): disk needed, load time, one text-to-image and one",
                "edit call, RSS after load and peak RSS."})
public final class BenchmarkCommand implements Callable<Integer> {

    static final String T2I_PROMPT = "A red bicycle leaning on a brick wall, photo";
    static final String EDIT_PROMPT = "<img><|image_1|></img> make it snowy";

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "Folder for the checkpoint, its export and the ONNX Runtime cache (reused when present).")
    Path dir;

    @Option(names = "--runs", paramLabel = "N",
            description = "Timed runs per configuration, after the warm-up (default 3; 1 with --spec real).")
    Integer runs;

    @Option(names = "--condition-cache", defaultValue = "" + RuntimeOptions.Builder.DEFAULT_CONDITION_CACHE_ENTRIES,
            paramLabel = "N",
            description = "Condition K/V entries the model keeps between calls (RuntimeOptions.conditionCacheEntries;"
                    + " default ${DEFAULT-VALUE}, the SDK's default; 0 = off, every call runs every prefill).")
    int conditionCache;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Untimed warm-up runs per configuration (default 1; 0 with --spec real).")
    Integer warmup;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N…]",
            description = "ONNX Runtime intra-op thread counts, one model load each (default 1,2; with --spec real"
                    + " one count, default all cores).")
    List<Integer> threads;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--quick", description = "A smoke run: first thread count only, KV cache on only, 2 steps.")
    boolean quick;

    @Option(names = "--steps", paramLabel = "N",
            description = "Denoising steps (default 10; 2 with --spec real).")
    Integer steps;

    @Option(names = {"--spec", "--preset"}, defaultValue = "bench", paramLabel = "NAME",
            description = {"Checkpoint spec: bench (default), real or tiny (for tests). real: OmniGen-v1's shapes"
                    + " with random weights (Phi-3 3072 × 32 layers, SDXL VAE; ≈ 16 GB), loaded once: load time,"
                    + " one text-to-image and one edit call, RSS after load and peak RSS."})
    String specName;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8|int4|fp16|bf16",
            description = "Precision of the export (default ${DEFAULT-VALUE}); each precision has its own model"
                    + " folder in DIR (model/, model-int8/, model-int4/, model-fp16/, ...). fp16 and bf16 are the"
                    + " GPU precisions: fp16 also runs (slowly) on the CPU, bf16 needs --provider cuda.")
    String precisionName;

    @Option(names = "--size", paramLabel = "PX",
            description = "Side of the output (and of the editing input) in pixels, a multiple of 16 (default: the"
                    + " spec's, 256; tiny 64).")
    Integer size;

    @Option(names = "--cases", split = ",", defaultValue = "t2i,edit", paramLabel = "CASE[,CASE]",
            description = "t2i and/or edit (default ${DEFAULT-VALUE}).")
    List<String> cases;

    @Option(names = "--kv", split = ",", paramLabel = "on|off[,…]",
            description = "KV cache settings to run (default on,off; with --spec real one setting, default on).")
    List<String> kv;

    @Option(names = "--no-ort-cache",
            description = "Do not cache ONNX Runtime's optimised graphs in DIR/ort-cache (--spec real never does:"
                    + " the cache would copy the transformer weights again, ≈ 16 GB in fp32).")
    boolean noOrtCache;

    @Option(names = "--vae-convolution", paramLabel = "ALG",
            description = "VAE convolutions of the export: winograd or direct (default winograd; direct for --spec"
                    + " real, where the VAE's memory matters more than its speed: peak RSS at 256² 1.3-1.6 GiB"
                    + " lower, VAE a few seconds slower per call); a model exported with the other form is exported"
                    + " again.")
    String vaeConvolution;

    @Option(names = "--attention-heads-per-node", paramLabel = "N",
            description = "Export with at most N heads per decoder Attention node (export's option of the same name;"
                    + " default 8). Fewer need less memory and give attention fewer threads: 2 suits 2-4 cores with"
                    + " little memory (the real model's fp32 1024² edit on 24 GB); a model exported with another value"
                    + " is exported again.")
    Integer attentionHeadsPerNode;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed of every run (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "P",
            description = "Execution provider: cpu, cuda or cuda:N (default ${DEFAULT-VALUE}; CUDA needs the jar built"
                    + " with -Pgpu, and fails rather than falling back to the CPU). The speed probe stays on the CPU.")
    String providerName;

    /** {@link #providerName}, parsed in {@link #call()}. */
    private ExecutionProvider provider = ExecutionProvider.CPU;

    /** Usable bytes where DIR lives; tests replace it to check the disk-space message. */
    ToLongFunction<Path> usableSpace = DiskEstimate::usableBytes;

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new BenchmarkCommand());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("error: " + ex.getMessage());
            line.getErr().flush();
            return 1;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        BenchSpec bs;
        try {
            bs = BenchSpec.named(specName);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--spec: " + e.getMessage());
        }
        boolean real = bs.realSize();
        int runs = this.runs != null ? this.runs : real ? 1 : 3;
        int warmup = this.warmup != null ? this.warmup : real ? 0 : 1;
        int steps = this.steps != null ? this.steps : real ? 2 : 10;
        List<Integer> threads = this.threads != null ? this.threads
                : real ? List.of(Runtime.getRuntime().availableProcessors()) : List.of(1, 2);
        List<String> kv = this.kv != null ? this.kv : real ? List.of("on") : List.of("on", "off");
        int side = size != null ? size : bs.size();
        // One message per option, naming the value given.
        if (runs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be ≥ 1, got " + runs);
        }
        if (steps < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--steps must be ≥ 1, got " + steps);
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--warmup must be ≥ 0, got " + warmup);
        }
        if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads: every thread count must be"
                    + " ≥ 1, got " + threads);
        }
        if (conditionCache < 0 || conditionCache > RuntimeOptions.Builder.MAX_CONDITION_CACHE_ENTRIES) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--condition-cache must be from 0 to "
                    + RuntimeOptions.Builder.MAX_CONDITION_CACHE_ENTRIES + ", got " + conditionCache);
        }
        if (side < 16 || side % 16 != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--size must be a positive multiple of 16, got " + side);
        }
        ExportOptions.Precision precision;
        try {
            precision = parsePrecision(precisionName);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision: " + e.getMessage());
        }
        List<ConfigResult.Case> caseList = new ArrayList<>();
        for (String c : cases) {
            caseList.add(switch (c.trim().toLowerCase(Locale.ROOT)) {
                case "t2i", "text-to-image" -> ConfigResult.Case.TEXT_TO_IMAGE;
                case "edit", "editing" -> ConfigResult.Case.EDITING;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "--cases: unknown case '" + c + "'; use t2i or edit");
            });
        }
        List<Boolean> kvList = new ArrayList<>();
        for (String k : kv) {
            kvList.add(switch (k.trim().toLowerCase(Locale.ROOT)) {
                case "on", "true" -> true;
                case "off", "false" -> false;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "unknown --kv value '" + k + "'; use on or off");
            });
        }
        if (real && (threads.size() != 1 || kvList.size() != 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--spec " + bs.name()
                    + " loads the model once: give one --threads count and one --kv setting");
        }
        List<Integer> threadList = threads;
        int stepCount = steps;
        if (quick) {
            threadList = List.of(threads.get(0));
            kvList = List.of(true);
            stepCount = Math.min(steps, 2);
        }

        VaeGraphs.Convolution convolution;
        try {
            convolution = vaeConvolution != null ? VaeGraphs.Convolution.parse(vaeConvolution)
                    : bs.realSize() ? VaeGraphs.Convolution.DIRECT : VaeGraphs.Convolution.WINOGRAD;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--vae-convolution: " + e.getMessage());
        }
        try {
            provider = ExecutionProvider.parse(providerName);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--provider: " + e.getMessage());
        }
        if (precision == ExportOptions.Precision.BF16 && provider.kind() == ExecutionProvider.Kind.CPU) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--precision bf16 needs --provider cuda:"
                    + " ONNX Runtime's CPU provider has no bfloat16 MatMul (use fp32, int8, int4 or fp16 on the CPU)");
        }
        BenchFolder folder = new BenchFolder(dir);
        if (attentionHeadsPerNode != null) {
            if (attentionHeadsPerNode < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--attention-heads-per-node must be ≥ 1, got " + attentionHeadsPerNode);
            }
            folder.attentionHeadsPerNode(attentionHeadsPerNode);
        }
        DiskNeed disk = checkDisk(folder, bs, convolution, precision, log);
        long benchStart = System.nanoTime();
        folder.prepare(bs, convolution, precision, log);
        Path model = folder.model(precision);
        if (real) {
            return realSize(folder, model, bs, precision, disk, threadList.get(0), kvList.get(0), caseList, warmup,
                    runs, stepCount, side, out, log);
        }

        RgbImage input = syntheticImage(side, side);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("benchmark", "omnigen4j bench");
        header.put("date", Instant.now().toString());
        header.put("size", side + "×" + side);
        header.put("steps", stepCount);
        header.put("runs", runs);
        header.put("warmup_runs", warmup);
        header.put("seed", seed);
        header.put("prompts", Map.of("text-to-image", T2I_PROMPT, "editing", EDIT_PROMPT));
        header.put("editing_input", "synthetic " + bs.size() + "×" + bs.size() + " RGB (gradients, disc, bar)");
        header.put("spec", bs.describe());
        header.put("precision", BenchFolder.id(precision));
        header.put("vae_convolution", BenchFolder.exportedVaeConvolution(model));
        header.put("condition_cache_entries", conditionCache);
        header.put("provider", provider.toString());
        header.put("folder", folder.root.toString());
        header.put("checkpoint_generate_s", folder.generateSeconds);
        header.put("export_s", folder.exportSeconds);
        header.put("machine", machine());
        SpeedProbe.Speed probeStart = SpeedProbe.measure();

        List<ConfigResult> results = new ArrayList<>();
        List<Map<String, Object>> loads = new ArrayList<>();
        for (int t : threadList) {
            RuntimeOptions.Builder ro = RuntimeOptions.builder().intraOpThreads(t).conditionCacheEntries(conditionCache)
                    .provider(provider);
            if (!noOrtCache) {
                ro.optimizedModelDir(folder.ortCache(precision));
            }
            boolean cached = !noOrtCache && Files.isDirectory(folder.ortCache(precision));
            log.printf("loading the model with %d intra-op thread%s …%n", t, t == 1 ? "" : "s");
            log.flush();
            long t0 = System.nanoTime();
            try (OmniGen og = OmniGen.load(model, ro.build())) {
                double loadS = (System.nanoTime() - t0) / 1e9;
                loads.add(Map.of("intra_op_threads", t, "load_s", loadS, "ort_cache_present_before", cached));
                for (ConfigResult.Case c : caseList) {
                    for (boolean k : kvList) {
                        results.add(runConfig(og, c, k, t, stepCount, side, warmup, runs, input, log));
                    }
                }
            }
        }
        SpeedProbe.Speed probeEnd = SpeedProbe.measure();
        header.put("speed_probe", Map.of("what", "1-thread ORT: MatMul " + SpeedProbe.N + "³ fp32 and Add of two 64 MB"
                        + " tensors, best of " + SpeedProbe.RUNS,
                "matmul_gflops_before", probeStart.matMulGflops(), "matmul_gflops_after", probeEnd.matMulGflops(),
                "memory_gbps_before", probeStart.memoryGBps(), "memory_gbps_after", probeEnd.memoryGBps()));
        header.put("benchmark_wall_s", (System.nanoTime() - benchStart) / 1e9);
        boolean comparable = bs.equals(BenchSpec.BENCH) && stepCount == 10 && side == BenchSpec.BENCH.size()
                && precision == ExportOptions.Precision.FP32;
        BenchReport report = new BenchReport(header, results, loads, comparable);
        out.printf("omnigen4j bench: spec %s, %s%s VAE convolutions, %s, %d steps, %d timed run%s after %d warm-up,"
                        + " condition cache %s; load average %s%n",
                bs.name(), precision == ExportOptions.Precision.FP32 ? "" : BenchFolder.id(precision) + " export, ",
                header.get("vae_convolution"), header.get("size"), stepCount, runs, runs == 1 ? "" : "s",
                warmup, conditionCache == 0 ? "off" : conditionCache + " entries",
                String.format(Locale.ROOT, "%.2f", MemoryProbe.loadAverage()));
        out.printf(Locale.ROOT, "machine speed probe, before → after (1 thread): MatMul %.0f → %.0f GFLOP/s, memory"
                        + " %.1f → %.1f GB/s%n", probeStart.matMulGflops(), probeEnd.matMulGflops(),
                probeStart.memoryGBps(), probeEnd.memoryGBps());
        for (Map<String, Object> l : loads) {
            out.printf(Locale.ROOT, "model load, %d thread(s): %.2f s (ORT cache %s)%n", l.get("intra_op_threads"),
                    l.get("load_s"), (Boolean) l.get("ort_cache_present_before") ? "present" : "absent");
        }
        report.printTables(out, runs, warmup);
        out.printf(Locale.ROOT, "%nbenchmark wall time: %.1f s%n", header.get("benchmark_wall_s"));
        if (json != null) {
            report.writeJson(json);
            out.println("JSON written to " + json.toAbsolutePath());
        }
        out.flush();
        return 0;
    }

    static ExportOptions.Precision parsePrecision(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "fp32" -> ExportOptions.Precision.FP32;
            case "int8" -> ExportOptions.Precision.INT8;
            case "int4" -> ExportOptions.Precision.INT4;
            case "fp16" -> ExportOptions.Precision.FP16;
            case "bf16" -> ExportOptions.Precision.BF16;
            default -> throw new IllegalArgumentException("unknown precision '" + name
                    + "'; use fp32, int8, int4, fp16 or bf16");
        };
    }

    /** Estimated bytes of the checkpoint and of the export, and whether this run writes them. */
    record DiskNeed(long checkpointBytes, boolean writeCheckpoint, long exportBytes, boolean writeExport, long usable) {
        long needed() {
            return (writeCheckpoint ? checkpointBytes : 0) + (writeExport ? exportBytes : 0);
        }
    }

    /**
     * Finds what this run will write (nothing is written yet), rejects an export the exporter cannot make and a disk
     * too small for what is to be written, and says how much is needed.
     */
    private DiskNeed checkDisk(BenchFolder folder, BenchSpec bs, VaeGraphs.Convolution convolution,
                               ExportOptions.Precision precision, PrintWriter log) throws java.io.IOException {
        BenchFolder.Plan plan;
        try {
            plan = folder.plan(bs, convolution, precision);
            if (plan.export()) {
                folder.exportOptions(convolution, precision);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        DiskNeed need = new DiskNeed(DiskEstimate.checkpointBytes(bs), plan.generate(),
                DiskEstimate.exportBytes(bs, precision, convolution), plan.export(),
                usableSpace.applyAsLong(folder.root));
        if (need.needed() == 0) {
            return need;
        }
        // A stale export is deleted before the new one is written: its bytes count as free.
        long free = need.usable() == Long.MAX_VALUE ? Long.MAX_VALUE : need.usable() + plan.replacedBytes();
        String what = "checkpoint ≈ " + DiskEstimate.gb(need.checkpointBytes()) + (plan.generate() ? "" : " (present)")
                + " + " + BenchFolder.id(precision) + " export ≈ " + DiskEstimate.gb(need.exportBytes())
                + (plan.export() ? "" : " (present)");
        log.printf("disk: %s; this run writes ≈ %s, %s free in %s%n", what, DiskEstimate.gb(need.needed()),
                free == Long.MAX_VALUE ? "unknown" : DiskEstimate.gb(free), folder.root);
        log.flush();
        if (need.needed() > free) {
            throw new CommandLine.ParameterException(spec.commandLine(), "not enough disk space in " + folder.root
                    + ": " + what + " needs ≈ " + DiskEstimate.gb(need.needed()) + " and " + DiskEstimate.gb(free)
                    + " is free; free some space, choose another --dir or a smaller --precision");
        }
        return need;
    }

    /** The real-size flow: one load, one call per case (after --warmup), memory after load and at the peak. */
    private int realSize(BenchFolder folder, Path model, BenchSpec bs, ExportOptions.Precision precision,
                         DiskNeed disk, int threadCount, boolean kvCache, List<ConfigResult.Case> caseList,
                         int warmup, int runs, int stepCount, int side, PrintWriter out, PrintWriter log)
            throws Exception {
        long checkpointOnDisk = DiskEstimate.treeBytes(folder.checkpoint);
        long exportOnDisk = DiskEstimate.treeBytes(model);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("benchmark", "omnigen4j bench, real-size");
        header.put("date", Instant.now().toString());
        header.put("spec", bs.describe());
        header.put("vocab_size", bs.checkpointSpec().transformer().vocabSize());
        header.put("precision", BenchFolder.id(precision));
        header.put("vae_convolution", BenchFolder.exportedVaeConvolution(model));
        header.put("size", side + "×" + side);
        header.put("steps", stepCount);
        header.put("warmup_runs", warmup);
        header.put("runs", runs);
        header.put("kv_cache", kvCache);
        header.put("intra_op_threads", threadCount);
        header.put("provider", provider.toString());
        header.put("condition_cache_entries", conditionCache);
        header.put("prompts", Map.of("text-to-image", T2I_PROMPT, "editing", EDIT_PROMPT));
        header.put("editing_input", "synthetic " + side + "×" + side + " RGB (gradients, disc, bar)");
        header.put("folder", folder.root.toString());
        header.put("model", model.toString());
        Map<String, Object> diskJson = new LinkedHashMap<>();
        diskJson.put("checkpoint_bytes", checkpointOnDisk);
        diskJson.put("export_bytes", exportOnDisk);
        diskJson.put("checkpoint_bytes_estimate", disk.checkpointBytes());
        diskJson.put("export_bytes_estimate", disk.exportBytes());
        header.put("disk", diskJson);
        header.put("checkpoint_generate_s", folder.generateSeconds);
        header.put("export_s", folder.exportSeconds);
        header.put("machine", machine());

        out.printf(Locale.ROOT, "omnigen4j bench, real-size: spec %s (Phi-3 hidden %d, %d layers, %d heads, intermediate"
                        + " %d, vocab %d; VAE %s), %s export with %s VAE convolutions, %d×%d, %d steps, %d intra-op"
                        + " thread%s, KV cache %s, condition cache %s%n",
                bs.name(), bs.hidden(), bs.layers(), bs.heads(), bs.intermediate(), header.get("vocab_size"),
                bs.vaeWidths().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("/")),
                BenchFolder.id(precision), header.get("vae_convolution"), side, side, stepCount, threadCount,
                threadCount == 1 ? "" : "s", kvCache ? "on" : "off",
                conditionCache == 0 ? "off" : conditionCache + " entries");
        out.printf(Locale.ROOT, "disk: checkpoint %s, %s export %s (%s)%n", DiskEstimate.gb(checkpointOnDisk),
                BenchFolder.id(precision), DiskEstimate.gb(exportOnDisk), folder.root);
        if (folder.generateSeconds > 0 || folder.exportSeconds > 0) {
            out.printf(Locale.ROOT, "checkpoint generated in %.1f s, exported in %.1f s (not measured below)%n",
                    folder.generateSeconds, folder.exportSeconds);
        }
        out.flush();
        RuntimeOptions ro = RuntimeOptions.builder().intraOpThreads(threadCount).conditionCacheEntries(conditionCache)
                .provider(provider)
                .build();
        RealSizeRun run = new RealSizeRun(header);
        run.measure(model, ro, caseList, warmup, runs, kvCache, stepCount, side, out, log);
        if (json != null) {
            run.writeJson(json);
            out.println("JSON written to " + json.toAbsolutePath());
        }
        out.flush();
        return 0;
    }

    private ConfigResult runConfig(OmniGen og, ConfigResult.Case c, boolean kvCache, int t, int stepCount,
                                   int side, int warmup, int runs, RgbImage input, PrintWriter log)
            throws OmniGenException {
        ConfigResult r = new ConfigResult(c, kvCache, t, stepCount);
        GenerationRequest req = request(c, kvCache, stepCount, side, input);
        log.printf("%s: %d warm-up + %d timed …%n", r.label(), warmup, runs);
        log.flush();
        for (int i = 0; i < warmup; i++) {
            og.generate(req);
        }
        r.rssPeakReset = MemoryProbe.reset();
        r.loadBefore = MemoryProbe.loadAverage();
        for (int i = 0; i < runs; i++) {
            long a0 = MemoryProbe.threadAllocatedBytes();
            long t0 = System.nanoTime();
            GenerationResult res = og.generate(req);
            long wall = System.nanoTime() - t0;
            long a1 = MemoryProbe.threadAllocatedBytes();
            r.add(res.timings(), wall, a0 < 0 || a1 < 0 ? -1 : a1 - a0);
        }
        r.peakHeapBytes = MemoryProbe.peakHeapBytes();
        r.peakRssBytes = MemoryProbe.peakRssBytes();
        r.liveHeapBytes = MemoryProbe.liveHeapBytes();
        r.loadAfter = MemoryProbe.loadAverage();
        log.printf(Locale.ROOT, "  total min %.0f ms, median %.0f ms; outside ORT runs %.2f %%%n", r.min("total"),
                r.median("total"), ConfigResult.median(r.overheadPercent));
        log.flush();
        return r;
    }

    static GenerationRequest request(ConfigResult.Case c, boolean kvCache, int stepCount, int size, RgbImage input) {
        GenerationRequest.Builder b = GenerationRequest.builder().size(size, size).steps(stepCount).kvCache(kvCache)
                .seed(0);
        if (c == ConfigResult.Case.EDITING) {
            b.prompt(EDIT_PROMPT, List.of(input));
        } else {
            b.prompt(T2I_PROMPT);
        }
        return b.build();
    }

    /**
     * The editing input: a deterministic RGB image with smooth gradients, a bright disc and a dark bar, so the VAE
     * and the preprocessing see structure rather than flat colour.
     */
    static RgbImage syntheticImage(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        double cx = w * 0.38, cy = h * 0.42, rad = Math.min(w, h) * 0.22;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = x * 255 / Math.max(1, w - 1);
                int g = y * 255 / Math.max(1, h - 1);
                int b = (int) (127.5 + 127.5 * StrictMath.sin((x + 2 * y) * 0.05));
                double dx = x - cx, dy = y - cy;
                if (dx * dx + dy * dy <= rad * rad) {
                    r = 250;
                    g = 240;
                    b = 200;
                } else if (y > h * 0.7 && y < h * 0.8 && x > w * 0.5) {
                    r = 20;
                    g = 30;
                    b = 90;
                }
                int i = (y * w + x) * 3;
                rgb[i] = (byte) r;
                rgb[i + 1] = (byte) g;
                rgb[i + 2] = (byte) b;
            }
        }
        return RgbImage.of(w, h, rgb);
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", cpuModel());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        try {
            m.put("onnxruntime", OrtEnvironment.getEnvironment().getVersion());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            m.put("onnxruntime", "unknown");
        }
        m.put("load_average_at_start", MemoryProbe.loadAverage());
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }
}
