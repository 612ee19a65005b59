package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.runtime.RuntimeOptions;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The measured phase of {@code omnigen bench --spec real}: what running the full-size model costs on this machine.
 * Resets the peak RSS (so generating and exporting the checkpoint do not count), loads the model once, reads the
 * resident memory, runs each case (text-to-image; editing with one input image) and reads the peak. Every number is
 * printed as soon as it is measured, so a run that runs out of memory at a large size still shows what came before.
 */
final class RealSizeRun {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double GIB = 1024.0 * 1024.0 * 1024.0;

    /** One generate call: its case, whether it was a warm-up, the SDK's stage times, the wall time, RSS after it. */
    record Call(ConfigResult.Case benchCase, boolean warmup, int run, GenerationResult.Timings timings,
                long wallNanos, long rssAfterBytes) {
    }

    private final Map<String, Object> header;
    double loadSeconds;
    MemoryProbe.Rss afterLoad;
    final List<Call> calls = new ArrayList<>();
    /** VmHWM at the end, bytes; -1 where not available. */
    long peakRssBytes = -1;
    /** Why the peak could not be reset before the load (then it is the process's lifetime peak); null when reset. */
    String resetProblem;

    RealSizeRun(Map<String, Object> header) {
        this.header = header;
    }

    /**
     * Runs the measured phase on {@code model}, printing each result to {@code out} as it comes: {@code warmup}
     * untimed and {@code runs} timed calls per case, each {@code size}×{@code size} with {@code steps} steps.
     */
    void measure(Path model, RuntimeOptions options, List<ConfigResult.Case> cases, int warmup, int runs,
                 boolean kvCache, int steps, int size, PrintWriter out, PrintWriter log) throws OmniGenException {
        RgbImage input = BenchmarkCommand.syntheticImage(size, size);
        System.gc();
        resetProblem = MemoryProbe.resetRssPeak();
        out.println(resetProblem == null
                ? "peak RSS from here on (VmHWM reset through /proc/self/clear_refs before the model load)"
                : "peak RSS covers the whole process, checkpoint generation and export included: " + resetProblem);
        log.printf("loading %s with %d intra-op thread%s …%n", model, options.intraOpThreads(),
                options.intraOpThreads() == 1 ? "" : "s");
        log.flush();
        long t0 = System.nanoTime();
        try (OmniGen og = OmniGen.load(model, options)) {
            loadSeconds = (System.nanoTime() - t0) / 1e9;
            afterLoad = MemoryProbe.Rss.now();
            out.printf(Locale.ROOT, "model load: %.2f s%n", loadSeconds);
            out.println("RSS after load: " + rss(afterLoad));
            out.flush();
            for (ConfigResult.Case c : cases) {
                GenerationRequest req = BenchmarkCommand.request(c, kvCache, steps, size, input);
                for (int i = 0; i < warmup + runs; i++) {
                    boolean warm = i < warmup;
                    int run = warm ? i + 1 : i - warmup + 1;
                    log.printf("%s %d×%d, %d steps: %s %d …%n", c.label, size, size, steps,
                            warm ? "warm-up" : "run", run);
                    log.flush();
                    long c0 = System.nanoTime();
                    GenerationResult res = og.generate(req);
                    long wall = System.nanoTime() - c0;
                    Call call = new Call(c, warm, run, res.timings(), wall, MemoryProbe.Rss.now().total());
                    calls.add(call);
                    out.println(line(call, size, steps, warmup > 0 || runs > 1));
                    out.flush();
                }
            }
        }
        peakRssBytes = MemoryProbe.peakRssBytes();
        out.println(peakLine(peakRssBytes));
        out.flush();
    }

    /** {@code peak RSS 12.34 GiB}: the line a reader (or a script) looks for. */
    static String peakLine(long bytes) {
        return bytes < 0 ? "peak RSS n/a (no /proc/self/status)"
                : String.format(Locale.ROOT, "peak RSS %.2f GiB", bytes / GIB);
    }

    private static String line(Call call, int size, int steps, boolean numbered) {
        GenerationResult.Timings t = call.timings();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s %d×%d, %d steps", call.benchCase().label, size, size, steps));
        if (numbered) {
            b.append(call.warmup() ? ", warm-up " : ", run ").append(call.run());
        }
        b.append(String.format(Locale.ROOT, ": total %.2f s; ", seconds(t.total())));
        if (call.benchCase() == ConfigResult.Case.EDITING) {
            b.append(String.format(Locale.ROOT, "VAE encode %.3f s, ", seconds(t.vaeEncode())));
        }
        b.append(String.format(Locale.ROOT, "prefill %.3f s, steps ", seconds(t.prefill())));
        b.append(t.steps().stream().map(d -> String.format(Locale.ROOT, "%.3f", seconds(d)))
                .collect(Collectors.joining(" / ")));
        b.append(String.format(Locale.ROOT, " s (mean %.3f s), VAE decode %.3f s; RSS after %s",
                seconds(t.stepsTotal()) / Math.max(1, t.steps().size()), seconds(t.decode()),
                gib(call.rssAfterBytes())));
        return b.toString();
    }

    static String rss(MemoryProbe.Rss r) {
        return gib(r.total()) + " (anon " + gib(r.anon()) + ", file " + gib(r.file()) + ")";
    }

    static String gib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f GiB", bytes / GIB);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }

    private static Long bytesOrNull(long b) {
        return b < 0 ? null : b;
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>(header);
        root.put("load_s", loadSeconds);
        Map<String, Object> rss = new LinkedHashMap<>();
        rss.put("vm_rss_bytes", afterLoad == null ? null : bytesOrNull(afterLoad.total()));
        rss.put("rss_anon_bytes", afterLoad == null ? null : bytesOrNull(afterLoad.anon()));
        rss.put("rss_file_bytes", afterLoad == null ? null : bytesOrNull(afterLoad.file()));
        root.put("rss_after_load", rss);
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Call c : calls) {
            GenerationResult.Timings t = c.timings();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("case", c.benchCase().label);
            m.put("warmup", c.warmup());
            m.put("run", c.run());
            m.put("total_ms", ms(t.total()));
            m.put("wall_ms", c.wallNanos() / 1e6);
            m.put("tokenize_ms", ms(t.tokenize()));
            m.put("preprocess_ms", ms(t.preprocess()));
            m.put("vae_encode_ms", ms(t.vaeEncode()));
            m.put("prefill_ms", ms(t.prefill()));
            m.put("steps_ms", t.steps().stream().map(RealSizeRun::ms).toList());
            m.put("step_mean_ms", ms(t.stepsTotal()) / Math.max(1, t.steps().size()));
            m.put("decode_ms", ms(t.decode()));
            m.put("in_ort_runs_ms", ms(t.graphRuns()));
            m.put("rss_after_bytes", bytesOrNull(c.rssAfterBytes()));
            cs.add(m);
        }
        root.put("calls", cs);
        root.put("peak_rss_bytes", bytesOrNull(peakRssBytes));
        root.put("peak_rss_gib", peakRssBytes < 0 ? null : Math.round(peakRssBytes / GIB * 100) / 100.0);
        root.put("peak_rss_scope", peakRssBytes < 0 ? "n/a" : resetProblem == null ? "model load and calls"
                : "process lifetime");
        root.put("peak_rss_reset_problem", resetProblem);
        return root;
    }

    void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writeValue(file.toFile(), toJson());
    }
}
