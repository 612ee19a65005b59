package io.omnigen4j.samples.bench;

import io.omnigen4j.sdk.GenerationResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The timed runs of one configuration (case, KV cache, threads): per-stage times of every run, memory peaks. */
final class ConfigResult {

    enum Case {
        TEXT_TO_IMAGE("text-to-image"), EDITING("editing");

        final String label;

        Case(String label) {
            this.label = label;
        }
    }

    final Case benchCase;
    final boolean kvCache;
    final int threads;
    final int steps;
    /** Stage name → milliseconds of each timed run, in run order. */
    final Map<String, List<Double>> stages = new LinkedHashMap<>();
    final List<Double> overheadPercent = new ArrayList<>();
    final List<Double> allocatedMiB = new ArrayList<>();
    long peakHeapBytes;
    long liveHeapBytes;
    long peakRssBytes = -1;
    boolean rssPeakReset;
    double loadBefore;
    double loadAfter;

    ConfigResult(Case benchCase, boolean kvCache, int threads, int steps) {
        this.benchCase = benchCase;
        this.kvCache = kvCache;
        this.threads = threads;
        this.steps = steps;
    }

    String label() {
        return benchCase.label + ", KV " + (kvCache ? "on" : "off") + ", " + threads + (threads == 1 ? " thread"
                : " threads");
    }

    String shortLabel() {
        return "KV " + (kvCache ? "on" : "off") + ", " + threads + " thr";
    }

    /** Adds one timed run: the SDK's stage timings, the wall time around the call and the bytes it allocated. */
    void add(GenerationResult.Timings t, long wallNanos, long allocatedBytes) {
        put("tokenize", t.tokenize());
        put("preprocess", t.preprocess());
        put("vae_encode", t.vaeEncode());
        put("prefill", t.prefill());
        for (int i = 0; i < t.steps().size(); i++) {
            put("step_" + (i + 1), t.steps().get(i));
        }
        put("steps_total", t.stepsTotal());
        put("step_mean", t.stepsTotal().dividedBy(Math.max(1, t.steps().size())));
        put("decode", t.decode());
        put("total", t.total());
        put("wall", Duration.ofNanos(wallNanos));
        put("in_ort_runs", t.graphRuns());
        put("outside_ort_runs", t.outsideGraphs());
        overheadPercent.add(100.0 * t.outsideGraphs().toNanos() / Math.max(1, t.total().toNanos()));
        if (allocatedBytes >= 0) {
            allocatedMiB.add(allocatedBytes / (1024.0 * 1024.0));
        }
    }

    private void put(String stage, Duration d) {
        stages.computeIfAbsent(stage, k -> new ArrayList<>()).add(d.toNanos() / 1e6);
    }

    double min(String stage) {
        return min(stages.get(stage));
    }

    double median(String stage) {
        return median(stages.get(stage));
    }

    static double min(List<Double> v) {
        return v == null || v.isEmpty() ? Double.NaN : v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    /** Median; the mean of the two middle values for an even count. */
    static double median(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }
}
