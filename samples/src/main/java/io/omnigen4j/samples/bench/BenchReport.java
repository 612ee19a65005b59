package io.omnigen4j.samples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders the benchmark's results as text tables and as JSON. */
final class BenchReport {

    /**
     * The original PyTorch pipeline (torch 1.13, CPU, float32) on the 2-core reference machine, same checkpoint,
     * sizes and steps, KV cache on (its default), whole call, best of 3.
     */
    record Original(String row, ConfigResult.Case benchCase, int threads, String stage, double seconds) {
    }

    static final List<Original> ORIGINAL = List.of(
            new Original("text-to-image, 1 thread", ConfigResult.Case.TEXT_TO_IMAGE, 1, "total", 8.5),
            new Original("text-to-image, 2 threads", ConfigResult.Case.TEXT_TO_IMAGE, 2, "total", 5.4),
            new Original("editing, 1 thread", ConfigResult.Case.EDITING, 1, "total", 14.6),
            new Original("editing, 2 threads", ConfigResult.Case.EDITING, 2, "total", 10.3),
            new Original("VAE decode (text-to-image), 1 thread", ConfigResult.Case.TEXT_TO_IMAGE, 1, "decode", 4.2),
            new Original("cached transformer step (text-to-image), 1 thread", ConfigResult.Case.TEXT_TO_IMAGE, 1,
                    "step_mean", 0.41));

    /** The goal: at most this fraction of the original's time. */
    static final double GOAL = 0.5;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Object> header;
    private final List<ConfigResult> results;
    private final List<Map<String, Object>> loads;
    /** The original's numbers apply: the bench spec at 256×256 with 10 steps. */
    private final boolean comparable;

    BenchReport(Map<String, Object> header, List<ConfigResult> results, List<Map<String, Object>> loads,
                boolean comparable) {
        this.header = header;
        this.results = results;
        this.loads = loads;
        this.comparable = comparable;
    }

    // ---------------------------------------------------------------------------------------------------- text

    void printTables(PrintWriter out, int runs, int warmup) {
        for (ConfigResult.Case c : ConfigResult.Case.values()) {
            List<ConfigResult> rs = results.stream().filter(r -> r.benchCase == c).toList();
            if (rs.isEmpty()) {
                continue;
            }
            ConfigResult first = rs.get(0);
            out.printf("%n%s %s, %d steps: ms, min / median of %d run%s after %d warm-up%n", c.label, header.get("size"),
                    first.steps, runs, runs == 1 ? "" : "s", warmup);
            List<String> rowNames = new ArrayList<>(List.of("tokenize", "preprocess", "vae_encode", "prefill"));
            for (int i = 1; i <= first.steps; i++) {
                rowNames.add("step_" + i);
            }
            rowNames.addAll(List.of("step_mean", "steps_total", "decode", "total", "in_ort_runs", "outside_ort_runs"));
            int w = 21;
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-18s", "stage"));
            for (ConfigResult r : rs) {
                head.append(String.format(Locale.ROOT, "%" + w + "s", r.shortLabel()));
            }
            out.println(head);
            for (String name : rowNames) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-18s", name.replace('_', ' ')));
                for (ConfigResult r : rs) {
                    line.append(String.format(Locale.ROOT, "%" + w + "s", fmt(r.min(name)) + " / " + fmt(r.median(name))));
                }
                out.println(line);
            }
            row(out, "outside ORT %", rs, w, r -> pct(ConfigResult.min(r.overheadPercent)) + " / "
                    + pct(ConfigResult.median(r.overheadPercent)));
            row(out, "alloc MiB/call", rs, w, r -> r.allocatedMiB.isEmpty() ? "n/a"
                    : fmt(ConfigResult.min(r.allocatedMiB)) + " / " + fmt(ConfigResult.median(r.allocatedMiB)));
            row(out, "peak heap MiB", rs, w, r -> mib(r.peakHeapBytes));
            row(out, "live heap MiB", rs, w, r -> mib(r.liveHeapBytes));
            row(out, "peak RSS MiB", rs, w, r -> r.peakRssBytes < 0 ? "n/a" : mib(r.peakRssBytes)
                    + (r.rssPeakReset ? "" : " (process)"));
            row(out, "load avg", rs, w, r -> String.format(Locale.ROOT, "%.2f → %.2f", r.loadBefore, r.loadAfter));
        }
        printComparison(out);
        printKvSpeedup(out);
    }

    private interface Cell {
        String of(ConfigResult r);
    }

    private static void row(PrintWriter out, String label, List<ConfigResult> rs, int w, Cell cell) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-18s", label));
        for (ConfigResult r : rs) {
            line.append(String.format(Locale.ROOT, "%" + w + "s", cell.of(r)));
        }
        out.println(line);
    }

    private void printComparison(PrintWriter out) {
        List<Map<String, Object>> rows = comparison();
        if (rows.isEmpty()) {
            return;
        }
        out.printf("%nAgainst the original (PyTorch 1.13 CPU fp32, same runs, KV cache on, best of 3); goal ≤ %.2f%n",
                GOAL);
        out.printf(Locale.ROOT, "%-52s%10s%10s%10s%10s%10s%6s%n", "row", "original", "ours min", "ours med",
                "ratio min", "ratio med", "goal");
        for (Map<String, Object> r : rows) {
            out.printf(Locale.ROOT, "%-52s%9.2fs%9.3fs%9.3fs%10.2f%10.2f%6s%n", r.get("row"), r.get("original_s"),
                    r.get("ours_min_s"), r.get("ours_median_s"), r.get("ratio_min"), r.get("ratio_median"),
                    (Boolean) r.get("goal_met") ? "yes" : "NO");
        }
    }

    private void printKvSpeedup(PrintWriter out) {
        List<Map<String, Object>> rows = kvSpeedups();
        if (rows.isEmpty()) {
            return;
        }
        out.printf("%nKV cache speed-up (KV off ÷ KV on, medians)%n");
        out.printf(Locale.ROOT, "%-34s%12s%12s%12s%n", "case", "whole call", "per step", "steps total");
        for (Map<String, Object> r : rows) {
            out.printf(Locale.ROOT, "%-34s%11.2f×%11.2f×%11.2f×%n", r.get("case") + ", " + r.get("threads") + " thr",
                    r.get("total"), r.get("step_mean"), r.get("steps_total"));
        }
    }

    List<Map<String, Object>> comparison() {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!comparable) {
            return rows;
        }
        for (Original o : ORIGINAL) {
            ConfigResult r = find(o.benchCase(), true, o.threads());
            if (r == null || !r.stages.containsKey(o.stage())) {
                continue;
            }
            double min = r.min(o.stage()) / 1000, med = r.median(o.stage()) / 1000;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("row", o.row());
            m.put("case", o.benchCase().label);
            m.put("threads", o.threads());
            m.put("stage", o.stage());
            m.put("original_s", o.seconds());
            m.put("ours_min_s", min);
            m.put("ours_median_s", med);
            m.put("ratio_min", min / o.seconds());
            m.put("ratio_median", med / o.seconds());
            m.put("goal_met", min / o.seconds() <= GOAL);
            rows.add(m);
        }
        return rows;
    }

    List<Map<String, Object>> kvSpeedups() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ConfigResult on : results) {
            if (!on.kvCache) {
                continue;
            }
            ConfigResult off = find(on.benchCase, false, on.threads);
            if (off == null) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("case", on.benchCase.label);
            m.put("threads", on.threads);
            for (String s : List.of("total", "step_mean", "steps_total")) {
                m.put(s, off.median(s) / on.median(s));
            }
            rows.add(m);
        }
        return rows;
    }

    private ConfigResult find(ConfigResult.Case c, boolean kv, int threads) {
        return results.stream().filter(r -> r.benchCase == c && r.kvCache == kv && r.threads == threads).findFirst()
                .orElse(null);
    }

    // ---------------------------------------------------------------------------------------------------- JSON

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>(header);
        root.put("loads", loads);
        List<Map<String, Object>> configs = new ArrayList<>();
        for (ConfigResult r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("case", r.benchCase.label);
            c.put("kv_cache", r.kvCache);
            c.put("intra_op_threads", r.threads);
            c.put("steps", r.steps);
            Map<String, Object> stages = new LinkedHashMap<>();
            r.stages.forEach((name, v) -> {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("min_ms", r.min(name));
                s.put("median_ms", r.median(name));
                s.put("runs_ms", v);
                stages.put(name, s);
            });
            c.put("stages", stages);
            c.put("outside_ort_percent", Map.of("min", ConfigResult.min(r.overheadPercent),
                    "median", ConfigResult.median(r.overheadPercent), "runs", r.overheadPercent));
            if (!r.allocatedMiB.isEmpty()) {
                c.put("allocated_mib_per_call", Map.of("min", ConfigResult.min(r.allocatedMiB),
                        "median", ConfigResult.median(r.allocatedMiB)));
            }
            c.put("peak_heap_bytes", r.peakHeapBytes);
            c.put("live_heap_bytes", r.liveHeapBytes);
            c.put("peak_rss_bytes", r.peakRssBytes < 0 ? null : r.peakRssBytes);
            c.put("peak_rss_scope", r.peakRssBytes < 0 ? "n/a" : r.rssPeakReset ? "timed runs" : "process lifetime");
            c.put("load_average", Map.of("before", r.loadBefore, "after", r.loadAfter));
            configs.add(c);
        }
        root.put("configs", configs);
        root.put("original_comparison", comparison());
        root.put("kv_cache_speedup", kvSpeedups());
        return root;
    }

    void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writeValue(file.toFile(), toJson());
    }

    // ---------------------------------------------------------------------------------------------------- format

    static String fmt(double ms) {
        if (Double.isNaN(ms)) {
            return "n/a";
        }
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        return String.format(Locale.ROOT, "%.2f", ms);
    }

    static String pct(double p) {
        return Double.isNaN(p) ? "n/a" : String.format(Locale.ROOT, "%.2f", p);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f", bytes / (1024.0 * 1024.0));
    }
}
