package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.omnigen4j.export.ExportOptions.Precision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The result of a run: one {@link CaseResult} per case. Renders as the stdout table (case, stage, max abs error,
 * tolerance, result, note), followed by the worst error of each kind of stage over all cases, and as JSON.
 *
 * @param fixtures  the fixtures folder judged
 * @param threads   ONNX Runtime intra-op threads used (0 = its default)
 * @param precision the transformer weight precision the models were exported with
 * @param cases     the cases, in name order
 */
public record Report(Path fixtures, int threads, Precision precision, List<CaseResult> cases) {

    public Report {
        Objects.requireNonNull(precision, "precision");
        cases = List.copyOf(cases);
    }

    /** A float32 report. */
    public Report(Path fixtures, int threads, List<CaseResult> cases) {
        this(fixtures, threads, Precision.FP32, cases);
    }

    /**
     * The worst error of one kind of stage over all cases: stage names with their indices replaced by {@code *}
     * ({@code step.*.raw.*}, {@code vae_encode.*.latent}, …).
     *
     * @param stage       the kind of stage
     * @param rows        rows of that kind with a measured error
     * @param failed      how many of them failed
     * @param maxAbsError the largest error among them (NaN if one was not finite)
     * @param tolerance   the bound(s) applied (distinct labels joined by " | ")
     * @param worstCase   the case of the worst row
     * @param worstStage  the stage of the worst row
     * @param minCorrelation the lowest correlation with the reference among the rows that measured one (quantized
     *                    precisions), null when none did
     */
    public record Worst(String stage, int rows, int failed, double maxAbsError, String tolerance, String worstCase,
                        String worstStage, Double minCorrelation) {
    }

    /** The kind of a stage: every numeric index replaced by {@code *}. */
    static String kind(String stage) {
        return stage.replaceAll("(?<=\\.)\\d+(?=\\.|$)", "*");
    }

    /**
     * The worst error per kind of stage, in pipeline order (a kind first seen in a later case is placed after the
     * kind that precedes it in that case); rows without a number (structural checks, errors) are left out.
     */
    public List<Worst> worstPerStage() {
        Map<String, List<String[]>> at = new LinkedHashMap<>();
        Map<String, List<StageResult>> byKind = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (CaseResult c : cases) {
            int after = -1;
            for (StageResult s : c.stages()) {
                if (s.maxAbsError() == null) {
                    continue;
                }
                String k = kind(s.stage());
                int pos = order.indexOf(k);
                if (pos < 0) {
                    pos = after + 1;
                    order.add(pos, k);
                }
                after = Math.max(after, pos);
                byKind.computeIfAbsent(k, x -> new ArrayList<>()).add(s);
                at.computeIfAbsent(k, x -> new ArrayList<>()).add(new String[] {c.name(), s.stage()});
            }
        }
        List<Worst> out = new ArrayList<>();
        for (String kind : order) {
            List<StageResult> rows = byKind.get(kind);
            int worst = 0;
            for (int i = 1; i < rows.size(); i++) {
                double a = rows.get(i).maxAbsError();
                double b = rows.get(worst).maxAbsError();
                if (Double.isNaN(a) && !Double.isNaN(b) || a > b) {
                    worst = i;
                }
            }
            Set<String> labels = new LinkedHashSet<>();
            rows.forEach(r -> labels.add(r.tolerance()));
            int failed = (int) rows.stream().filter(StageResult::failed).count();
            String[] w = at.get(kind).get(worst);
            Double minR = null;
            for (StageResult r : rows) {
                Double c = r.correlation();
                if (c != null && (minR == null || c.isNaN() || c < minR)) {
                    minR = c;
                }
            }
            out.add(new Worst(kind, rows.size(), failed, rows.get(worst).maxAbsError(),
                    String.join(" | ", labels), w[0], w[1], minR));
        }
        return out;
    }

    public long passed() {
        return cases.stream().filter(CaseResult::passed).count();
    }

    public long failed() {
        return cases.size() - passed();
    }

    /** True when there was at least one case and every case passed. */
    public boolean allPassed() {
        return !cases.isEmpty() && failed() == 0;
    }

    /** The closing line: {@code N passed, M failed} (cases). */
    public String summaryLine() {
        return passed() + " passed, " + failed() + " failed";
    }

    /** The table, then one verdict line per case, then {@link #summaryLine()}. */
    public String toTable() {
        String[] head = {"CASE", "STAGE", "MAX ABS ERR", "TOLERANCE", "RESULT", "NOTE"};
        List<String[]> lines = new ArrayList<>();
        for (CaseResult c : cases) {
            for (StageResult s : c.stages()) {
                lines.add(new String[] {c.name(), s.stage(), formatError(s.maxAbsError()), s.tolerance(),
                        s.status().label(), s.note()});
            }
        }
        int[] width = new int[head.length - 1];
        for (int i = 0; i < width.length; i++) {
            width[i] = head[i].length();
            for (String[] l : lines) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        row(sb, head, width);
        StringBuilder rule = new StringBuilder();
        for (int w : width) {
            rule.append("-".repeat(w)).append("  ");
        }
        rule.append("-".repeat(head[head.length - 1].length()));
        sb.append(rule).append('\n');
        String last = null;
        for (String[] l : lines) {
            if (last != null && !last.equals(l[0])) {
                sb.append('\n');
            }
            last = l[0];
            row(sb, l, width);
        }
        sb.append('\n');
        for (CaseResult c : cases) {
            long passedRows = c.stages().stream().filter(s -> s.status() == Status.PASS).count();
            long notChecked = c.stages().stream().filter(s -> s.status() == Status.NOT_CHECKED).count();
            List<StageResult> f = c.failures();
            String counts = f.isEmpty()
                    ? passedRows + " stage" + (passedRows == 1 ? "" : "s") + " passed"
                    : f.size() + " of " + (passedRows + f.size()) + " failed: " + firstStages(f, 8);
            sb.append(String.format(Locale.ROOT, "%s %s: %s%s (%.1f s)%n", c.passed() ? "PASS" : "FAIL", c.name(),
                    counts, notChecked == 0 ? "" : ", " + notChecked + " not checked", c.millis() / 1000.0));
        }
        worstTable(sb);
        sb.append(summaryLine()).append('\n');
        return sb.toString();
    }

    /** Precision line and the worst error per kind of stage over all cases. */
    private void worstTable(StringBuilder sb) {
        sb.append('\n').append("Precision ").append(precision.id()).append(precision == Precision.FP32
                ? " (float32 weights)" : (precision == Precision.FP16 || precision == Precision.BF16
                ? " (transformer weights and compute " + precision.id() + ", norms, softmax, residual stream and VAE"
                + " float32;" : " (transformer weights " + precision.id() + ", activations and VAE float32;")
                + " transformer-dependent stages judged with the " + precision.id() + " bounds)").append('\n');
        List<Worst> worst = worstPerStage();
        if (worst.isEmpty()) {
            sb.append('\n');
            return;
        }
        sb.append("Worst error per stage over all cases:\n");
        boolean withR = worst.stream().anyMatch(w -> w.minCorrelation() != null);
        String[] head = withR ? new String[] {"STAGE", "ROWS", "MAX ABS ERR", "MIN R", "TOLERANCE", "FAILED",
                "WORST AT"} : new String[] {"STAGE", "ROWS", "MAX ABS ERR", "TOLERANCE", "FAILED", "WORST AT"};
        List<String[]> lines = new ArrayList<>();
        for (Worst w : worst) {
            List<String> l = new ArrayList<>(List.of(w.stage(), String.valueOf(w.rows()),
                    formatError(w.maxAbsError())));
            if (withR) {
                l.add(w.minCorrelation() == null ? "-" : StageTable.corr(w.minCorrelation()));
            }
            l.addAll(List.of(w.tolerance(), String.valueOf(w.failed()), w.worstCase() + " " + w.worstStage()));
            lines.add(l.toArray(String[]::new));
        }
        int[] right = withR ? new int[] {1, 2, 3, 5} : new int[] {1, 2, 4};
        int[] width = new int[head.length - 1];
        for (int i = 0; i < width.length; i++) {
            width[i] = head[i].length();
            for (String[] l : lines) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        row(sb, head, width, right);
        StringBuilder rule = new StringBuilder();
        for (int w : width) {
            rule.append("-".repeat(w)).append("  ");
        }
        rule.append("-".repeat(head[head.length - 1].length()));
        sb.append(rule).append('\n');
        for (String[] l : lines) {
            row(sb, l, width, right);
        }
        sb.append('\n');
    }

    /** The names of the first {@code max} rows, then how many more. */
    private static String firstStages(List<StageResult> rows, int max) {
        String names = String.join(", ", rows.stream().limit(max).map(StageResult::stage).toList());
        return rows.size() > max ? names + ", … (+" + (rows.size() - max) + " more)" : names;
    }

    private static void row(StringBuilder sb, String[] cells, int[] width) {
        row(sb, cells, width, 2);
    }

    /** One line; the columns {@code right} are right-aligned (numbers). */
    private static void row(StringBuilder sb, String[] cells, int[] width, int... right) {
        for (int i = 0; i < width.length; i++) {
            String cell = cells[i];
            final int col = i;
            boolean number = java.util.Arrays.stream(right).anyMatch(r -> r == col);
            String pad = " ".repeat(width[i] - cell.length());
            sb.append(number ? pad + cell : cell + pad).append("  ");
        }
        sb.append(cells[cells.length - 1]);
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == ' ') {
            end--;
        }
        sb.setLength(end);
        sb.append('\n');
    }

    static String formatError(Double e) {
        if (e == null) {
            return "-";
        }
        if (e.isNaN()) {
            return "NaN";
        }
        if (e == 0) {
            return "0";
        }
        if (e == Math.rint(e) && e < 1e6) {
            return String.valueOf(e.longValue());
        }
        return String.format(Locale.ROOT, "%.3e", e);
    }

    /** The report as JSON (same content as the table). */
    public String toJson() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("fixtures", fixtures.toString());
        root.put("threads", threads);
        root.put("precision", precision.id());
        root.put("passed", passed());
        root.put("failed", failed());
        root.put("summary", summaryLine());
        ArrayNode arr = root.putArray("cases");
        for (CaseResult c : cases) {
            ObjectNode cn = arr.addObject();
            cn.put("case", c.name());
            if (c.model() == null) {
                cn.putNull("model");
            } else {
                cn.put("model", c.model());
            }
            cn.put("result", c.passed() ? "PASS" : "FAIL");
            cn.put("seconds", c.millis() / 1000.0);
            ArrayNode failed = cn.putArray("failed_stages");
            c.failures().forEach(s -> failed.add(s.stage()));
            ArrayNode stages = cn.putArray("stages");
            for (StageResult s : c.stages()) {
                ObjectNode sn = stages.addObject();
                sn.put("stage", s.stage());
                if (s.maxAbsError() == null) {
                    sn.putNull("max_abs_error");
                } else if (s.maxAbsError().isNaN()) {
                    sn.put("max_abs_error", "NaN");
                } else {
                    sn.put("max_abs_error", s.maxAbsError());
                }
                sn.put("tolerance", s.tolerance());
                if (s.correlation() != null) {
                    putNumber(sn, "correlation", s.correlation());
                }
                sn.put("result", s.status().label());
                sn.put("note", s.note());
            }
        }
        ArrayNode worst = root.putArray("worst_per_stage");
        for (Worst w : worstPerStage()) {
            ObjectNode wn = worst.addObject();
            wn.put("stage", w.stage());
            wn.put("rows", w.rows());
            wn.put("failed", w.failed());
            if (Double.isNaN(w.maxAbsError())) {
                wn.put("max_abs_error", "NaN");
            } else {
                wn.put("max_abs_error", w.maxAbsError());
            }
            wn.put("tolerance", w.tolerance());
            if (w.minCorrelation() != null) {
                putNumber(wn, "min_correlation", w.minCorrelation());
            }
            wn.put("case", w.worstCase());
            wn.put("at", w.worstStage());
        }
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot render the JSON report", e);
        }
    }

    private static void putNumber(ObjectNode n, String key, double v) {
        if (Double.isNaN(v)) {
            n.put(key, "NaN");
        } else {
            n.put(key, v);
        }
    }

    public void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson());
    }
}
