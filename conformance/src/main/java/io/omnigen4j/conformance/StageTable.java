package io.omnigen4j.conformance;

import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The rows of one case, and the comparisons that produce them. Every recorded tensor a comparison looks at is
 * "claimed", whether or not the stage filter shows it, so that unclaimed tensors can be reported at the end. A
 * comparison of a tensor the case did not record does nothing (not every case records every stage).
 */
final class StageTable {
    private final SafetensorsFile recorded;
    private final Predicate<String> selected;
    private final Map<String, StageResult> rows = new LinkedHashMap<>();
    private final Set<String> claimed = new HashSet<>();

    StageTable(SafetensorsFile recorded, Predicate<String> selected) {
        this.recorded = recorded;
        this.selected = selected;
    }

    boolean selected(String stage) {
        return selected.test(stage);
    }

    boolean recorded(String name) {
        return recorded != null && recorded.contains(name);
    }

    boolean claimed(String name) {
        return claimed.contains(name);
    }

    SafetensorsFile file() {
        return recorded;
    }

    /** Adds a row if the stage filter selects it; a later row of the same stage replaces an earlier PASS only. */
    void add(StageResult r) {
        if (!selected(r.stage())) {
            return;
        }
        StageResult old = rows.get(r.stage());
        if (old != null && old.failed()) {
            return;
        }
        rows.put(r.stage(), r);
    }

    /** A failure that is shown whatever the stage filter (the case could not be run or read). */
    void addAlways(StageResult r) {
        rows.put(r.stage(), r);
    }

    void fail(String stage, String reason) {
        add(StageResult.fail(stage, reason));
    }

    List<StageResult> rows() {
        return List.copyOf(rows.values());
    }

    /** Claims {@code name}; true when it is recorded and selected, i.e. when a comparison should run. */
    private boolean take(String name) {
        if (!recorded(name)) {
            return false;
        }
        claimed.add(name);
        return selected(name);
    }

    /** Marks a recorded tensor as handled without a row (used for the stage filter's sake by callers). */
    void claim(String name) {
        if (recorded(name)) {
            claimed.add(name);
        }
    }

    // ---------------------------------------------------------------- comparisons

    /** Float tensor against the recording, element-wise with {@code tol}. {@code shape} null: element count only. */
    void floats(String name, float[] actual, int[] shape, Tolerance tol) {
        if (!take(name)) {
            return;
        }
        try {
            TensorInfo info = recorded.info(name);
            if (!info.dtype().isFloating()) {
                fail(name, "recorded as " + info.dtype() + ", expected a floating-point tensor");
                return;
            }
            if (!shapeOk(name, info, shape, actual.length)) {
                return;
            }
            float[] ref = recorded.floats(name);
            double max = 0;
            boolean nan = false;
            int bad = 0;
            int worst = -1;
            double worstExcess = -1;
            for (int i = 0; i < ref.length; i++) {
                double d = Math.abs((double) actual[i] - ref[i]);
                if (Double.isNaN(d)) {
                    nan = true;
                } else {
                    max = Math.max(max, d);
                }
                boolean ok = d <= tol.bound(ref[i]);
                if (!ok) {
                    bad++;
                    double excess = Double.isNaN(d) || Double.isInfinite(d) ? Double.POSITIVE_INFINITY
                            : d / Math.max(tol.bound(ref[i]), Double.MIN_NORMAL);
                    if (excess > worstExcess) {
                        worstExcess = excess;
                        worst = i;
                    }
                }
            }
            Double err = nan ? Double.NaN : max;
            Double r = null;
            boolean rOk = true;
            String rNote = "";
            if (tol.checksCorrelation()) {
                double c = nan ? Double.NaN : max == 0 ? 1 : pearson(ref.length, i -> actual[i], i -> ref[i]);
                r = c;
                rOk = c >= tol.minCorrelation();
                rNote = "r " + corr(c) + (rOk ? "" : " < " + Tolerance.plain(tol.minCorrelation())
                        + " (Pearson correlation with the reference, whole tensor)");
            }
            if (bad == 0 && rOk) {
                add(new StageResult(name, err, tol.label(), Status.PASS, rNote, r));
            } else if (bad == 0) {
                add(new StageResult(name, err, tol.label(), Status.FAIL, rNote, r));
            } else {
                add(new StageResult(name, err, tol.label(), Status.FAIL, bad + " of " + ref.length
                        + " values outside; worst at " + index(info.intShape(), worst) + ": SDK "
                        + num(actual[worst]) + ", reference " + num(ref[worst]) + (rNote.isEmpty() ? "" : "; "
                        + rNote), r));
            }
        } catch (Exception e) {
            fail(name, "cannot compare: " + e.getMessage());
        }
    }

    /** Integer tensor (ids, positions), exact. */
    void longs(String name, long[] actual, int[] shape) {
        if (!take(name)) {
            return;
        }
        try {
            TensorInfo info = recorded.info(name);
            if (info.dtype() != DType.I64 && info.dtype() != DType.I32) {
                fail(name, "recorded as " + info.dtype() + ", expected an integer tensor");
                return;
            }
            if (!shapeOk(name, info, shape, actual.length)) {
                return;
            }
            long[] ref = recorded.longs(name);
            double max = 0;
            int bad = 0;
            int first = -1;
            for (int i = 0; i < ref.length; i++) {
                if (actual[i] != ref[i]) {
                    bad++;
                    max = Math.max(max, Math.abs((double) actual[i] - ref[i]));
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            if (bad == 0) {
                add(new StageResult(name, 0.0, Tolerances.EXACT.label(), Status.PASS, ""));
            } else {
                add(new StageResult(name, max, Tolerances.EXACT.label(), Status.FAIL, bad + " of " + ref.length
                        + " values differ; first at " + index(info.intShape(), first) + ": SDK " + actual[first]
                        + ", reference " + ref[first]));
            }
        } catch (Exception e) {
            fail(name, "cannot compare: " + e.getMessage());
        }
    }

    /** 8-bit pixels (HWC), each value within {@code maxLevels}. */
    void levels(String name, byte[] actual, int[] shape, int maxLevels, String note) {
        if (!take(name)) {
            return;
        }
        try {
            TensorInfo info = recorded.info(name);
            if (info.dtype() != DType.U8) {
                fail(name, "recorded as " + info.dtype() + ", expected U8");
                return;
            }
            if (!shapeOk(name, info, shape, actual.length)) {
                return;
            }
            byte[] ref = recorded.bytes(name);
            int max = 0;
            int bad = 0;
            int first = -1;
            for (int i = 0; i < ref.length; i++) {
                int d = Math.abs((actual[i] & 0xFF) - (ref[i] & 0xFF));
                max = Math.max(max, d);
                if (d > maxLevels) {
                    bad++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            String tol = maxLevels == 0 ? "exact" : "≤" + maxLevels + " level" + (maxLevels > 1 ? "s" : "");
            if (bad == 0) {
                add(new StageResult(name, (double) max, tol, Status.PASS, note));
            } else {
                add(new StageResult(name, (double) max, tol, Status.FAIL, bad + " of " + ref.length
                        + " values differ; first at " + index(info.intShape(), first) + ": SDK " + (actual[first] & 0xFF)
                        + ", reference " + (ref[first] & 0xFF) + (note.isEmpty() ? "" : "; " + note)));
            }
        } catch (Exception e) {
            fail(name, "cannot compare: " + e.getMessage());
        }
    }

    /** The recorded 8-bit output image(s) against the SDK's, with {@code rule}. */
    void uint8Image(String name, byte[] actual, int[] shape, Uint8Rule rule) {
        if (!take(name)) {
            return;
        }
        try {
            TensorInfo info = recorded.info(name);
            if (info.dtype() != DType.U8) {
                fail(name, "recorded as " + info.dtype() + ", expected U8");
                return;
            }
            if (!shapeOk(name, info, shape, actual.length)) {
                return;
            }
            add(rule.judge(name, actual, recorded.bytes(name)));
        } catch (Exception e) {
            fail(name, "cannot compare: " + e.getMessage());
        }
    }

    /** The float32 uint8 rule (≤ 1 level on ≥ 99 %, never > 2) on two equally long HWC byte arrays. */
    static StageResult uint8Rule(String name, byte[] actual, byte[] ref) {
        return Tolerances.UINT8.judge(name, actual, ref);
    }

    private boolean shapeOk(String name, TensorInfo info, int[] shape, int actualLength) {
        int[] rec = info.intShape();
        if (shape != null && !Arrays.equals(rec, shape)) {
            fail(name, "shape differs: SDK " + Arrays.toString(shape) + ", reference " + Arrays.toString(rec));
            return false;
        }
        if (info.elementCount() != actualLength) {
            fail(name, "size differs: SDK " + actualLength + " values, reference " + info.elementCount() + " "
                    + Arrays.toString(rec));
            return false;
        }
        return true;
    }

    /** Flat index → "[i, j, k]" in {@code shape}. */
    static String index(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        int rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            int n = Math.max(shape[d], 1);
            idx[d] = rest % n;
            rest /= n;
        }
        return Arrays.toString(idx);
    }

    /**
     * Pearson correlation of two equally long series (two passes: means, then centred sums); 0 when either is
     * constant, NaN when a value is not finite.
     */
    static double pearson(int n, java.util.function.IntToDoubleFunction a, java.util.function.IntToDoubleFunction b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a.applyAsDouble(i);
            mb += b.applyAsDouble(i);
        }
        ma /= n;
        mb /= n;
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < n; i++) {
            double x = a.applyAsDouble(i) - ma;
            double y = b.applyAsDouble(i) - mb;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        if (Double.isNaN(ab) || Double.isInfinite(ab) || Double.isInfinite(aa) || Double.isInfinite(bb)) {
            return Double.NaN;
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /** A correlation for the notes: 4 decimals. */
    static String corr(double r) {
        return Double.isNaN(r) ? "NaN" : String.format(Locale.ROOT, "%.4f", r);
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
