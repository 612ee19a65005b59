package io.omnigen4j.conformance;

/**
 * An element-wise bound: |actual − reference| ≤ atol + rtol·|reference|. NaN or infinite differences never pass.
 * Optionally also a whole-tensor bound: the Pearson correlation between the SDK's tensor and the reference must be at
 * least {@code minCorrelation} (used for quantized weights, where the element-wise bound alone is wide enough to let
 * an unrelated tensor of the right magnitude through).
 *
 * @param atol           absolute part
 * @param rtol           relative part (of the reference value)
 * @param label          how the table prints it
 * @param minCorrelation smallest Pearson correlation accepted; NaN when not checked
 */
public record Tolerance(double atol, double rtol, String label, double minCorrelation) {

    /** An element-wise bound only. */
    public Tolerance(double atol, double rtol, String label) {
        this(atol, rtol, label, Double.NaN);
    }

    public static Tolerance abs(double atol) {
        return new Tolerance(atol, 0, atol == 0 ? "exact" : fmt(atol));
    }

    public static Tolerance absRel(double atol, double rtol) {
        return new Tolerance(atol, rtol, fmt(atol) + " + " + fmt(rtol) + "·|ref|");
    }

    /** This bound plus "correlation with the reference ≥ {@code r}"; the label gets {@code , r ≥ r}. */
    public Tolerance withMinCorrelation(double r) {
        return new Tolerance(atol, rtol, label + ", r ≥ " + plain(r), r);
    }

    /** Whether the correlation is checked. */
    public boolean checksCorrelation() {
        return !Double.isNaN(minCorrelation);
    }

    /** The bound for one reference value. */
    public double bound(double reference) {
        return atol + rtol * Math.abs(reference);
    }

    public boolean accepts(double actual, double reference) {
        double d = Math.abs(actual - reference);
        return d <= bound(reference);
    }

    /** Small one-digit bounds as {@code 2e-4}; others (the quantized bounds) plainly, e.g. {@code 0.64}, {@code 13}. */
    private static String fmt(double v) {
        String s = String.format(java.util.Locale.ROOT, "%.0e", v);
        if (v < 1e-2 && Double.parseDouble(s) == v) {
            return s.replace("e-0", "e-").replace("e+0", "e");
        }
        return plain(v);
    }

    static String plain(double v) {
        // Correlation floors close to 1 (fp16: 0.999985) keep two significant digits of 1 − v, not "1".
        int digits = v > 0 && v < 1 ? Math.max(4, 2 - (int) Math.floor(Math.log10(1 - v))) : 4;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(digits)).stripTrailingZeros()
                .toPlainString();
    }
}
