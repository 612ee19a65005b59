package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The result of a run: one {@link CaseResult} per case. Renders as the stdout table (case, stage, max abs error,
 * tolerance, result, note) and as JSON.
 *
 * @param fixtures the fixtures folder judged
 * @param threads  ONNX Runtime intra-op threads used (0 = its default)
 * @param cases    the cases, in name order
 */
public record Report(Path fixtures, int threads, List<CaseResult> cases) {

    public Report {
        cases = List.copyOf(cases);
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
        sb.append(summaryLine()).append('\n');
        return sb.toString();
    }

    /** The names of the first {@code max} rows, then how many more. */
    private static String firstStages(List<StageResult> rows, int max) {
        String names = String.join(", ", rows.stream().limit(max).map(StageResult::stage).toList());
        return rows.size() > max ? names + ", … (+" + (rows.size() - max) + " more)" : names;
    }

    private static void row(StringBuilder sb, String[] cells, int[] width) {
        for (int i = 0; i < width.length; i++) {
            String cell = cells[i];
            boolean number = i == 2;
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
                sn.put("result", s.status().label());
                sn.put("note", s.note());
            }
        }
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot render the JSON report", e);
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
