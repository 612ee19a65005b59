package io.omnigen4j.conformance;

import java.util.Locale;

/**
 * The rule for 8-bit output images: at most {@code maxShareOver} of the values may differ by more than
 * {@code levels}, and none by more than {@code maxLevels}.
 *
 * @param levels       the usual difference allowed on every value
 * @param maxShareOver share of values (0..1) allowed beyond {@code levels}
 * @param maxLevels    no value may differ by more than this
 */
public record Uint8Rule(int levels, double maxShareOver, int maxLevels) {

    public Uint8Rule {
        if (levels < 0 || maxLevels < levels || maxShareOver < 0 || maxShareOver > 1) {
            throw new IllegalArgumentException("invalid 8-bit image rule: ≤" + levels + " levels, share "
                    + maxShareOver + ", never >" + maxLevels);
        }
    }

    /** How the table prints it, e.g. {@code ≤1 level on ≥99%, never >2}. */
    public String label() {
        double pct = 100 * (1 - maxShareOver);
        String p = String.format(Locale.ROOT, "%.2f", pct).replaceAll("\\.?0+$", "");
        return "≤" + levels + " level" + (levels == 1 ? "" : "s") + " on ≥" + p + "%, never >" + maxLevels;
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
        return new StageResult(name, (double) max, label(), ok ? Status.PASS : Status.FAIL,
                ok ? measured : measured + (max > maxLevels ? "; max difference " + max + " levels exceeds "
                        + maxLevels : ""));
    }
}
