package io.omnigen4j.conformance;

import java.util.Locale;

/**
 * The rule for 8-bit output images: at most {@code maxShareOver} of the values may differ by more than
 * {@code levels}, none by more than {@code maxLevels}, and (quantized precisions) the image must correlate with the
 * reference at least {@code minCorrelation}.
 *
 * @param levels         the usual difference allowed on every value
 * @param maxShareOver   share of values (0..1) allowed beyond {@code levels}
 * @param maxLevels      no value may differ by more than this
 * @param minCorrelation smallest Pearson correlation of the values with the reference; NaN when not checked
 */
public record Uint8Rule(int levels, double maxShareOver, int maxLevels, double minCorrelation) {

    public Uint8Rule {
        if (levels < 0 || maxLevels < levels || maxShareOver < 0 || maxShareOver > 1) {
            throw new IllegalArgumentException("invalid 8-bit image rule: ≤" + levels + " levels, share "
                    + maxShareOver + ", never >" + maxLevels);
        }
    }

    /** Levels and share only. */
    public Uint8Rule(int levels, double maxShareOver, int maxLevels) {
        this(levels, maxShareOver, maxLevels, Double.NaN);
    }

    /** How the table prints it, e.g. {@code ≤1 level on ≥99%, never >2}. */
    public String label() {
        double pct = 100 * (1 - maxShareOver);
        String p = String.format(Locale.ROOT, "%.2f", pct).replaceAll("\\.?0+$", "");
        return "≤" + levels + " level" + (levels == 1 ? "" : "s") + " on ≥" + p + "%, never >" + maxLevels
                + (Double.isNaN(minCorrelation) ? "" : ", r ≥ " + Tolerance.plain(minCorrelation));
    }

    /** The rule applied to two equally long byte arrays (HWC pixels); the note gives the counts. */
    StageResult judge(String name, byte[] actual, byte[] ref) {
        int max = 0;
        int within = 0;
        int over = 0;
        for (int i = 0; i < ref.length; i++) {
            int d = Math.abs((actual[i] & 0xFF) - (ref[i] & 0xFF));
            max = Math.max(max, d);
            if (d > levels) {
                over++;
            } else if (d > 0) {
                within++;
            }
        }
        double share = ref.length == 0 ? 0 : (double) over / ref.length;
        String range = levels == 1 ? "1 level" : "1–" + levels + " levels";
        String measured = String.format(Locale.ROOT, "of %d values %d differ by %s, %d (%.2f%%) by more",
                ref.length, within, range, over, 100 * share);
        boolean ok = max <= maxLevels && share <= maxShareOver;
        String why = max > maxLevels ? "; max difference " + max + " levels exceeds " + maxLevels : "";
        Double r = null;
        if (!Double.isNaN(minCorrelation)) {
            double c = max == 0 ? 1 : StageTable.pearson(ref.length, i -> actual[i] & 0xFF, i -> ref[i] & 0xFF);
            r = c;
            measured += "; r " + StageTable.corr(c);
            if (!(c >= minCorrelation)) {
                ok = false;
                why += "; correlation below " + Tolerance.plain(minCorrelation);
            }
        }
        return new StageResult(name, (double) max, label(), ok ? Status.PASS : Status.FAIL,
                ok ? measured : measured + why, r);
    }
}
