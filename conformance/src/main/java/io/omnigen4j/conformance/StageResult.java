package io.omnigen4j.conformance;

import java.util.Objects;

/**
 * One row of the report: a stage of one case.
 *
 * @param stage       stage name, usually the recorded tensor's name ({@code step.1.velocity}); synthetic checks have
 *                    their own names ({@code tokenizer.call.0}, {@code rope.branch.1}, {@code image.png.0}, …)
 * @param maxAbsError largest absolute difference between the SDK and the reference (levels for 8-bit images),
 *                    NaN when a value was not finite, null when no number applies (structural checks, errors)
 * @param tolerance   the bound applied, in words ("exact", "2e-4 + 1e-4·|ref|", …); "-" when none applies
 * @param status      the verdict
 * @param note        why it failed, what was measured besides the maximum, or why it was not checked; may be empty
 * @param correlation Pearson correlation of the SDK's tensor with the reference, when the bound checks it (quantized
 *                    precisions); null otherwise
 */
public record StageResult(String stage, Double maxAbsError, String tolerance, Status status, String note,
                          Double correlation) {

    public StageResult {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(status, "status");
        tolerance = tolerance == null ? "-" : tolerance;
        note = note == null ? "" : note;
    }

    /** A row without a correlation. */
    public StageResult(String stage, Double maxAbsError, String tolerance, Status status, String note) {
        this(stage, maxAbsError, tolerance, status, note, null);
    }

    public static StageResult fail(String stage, String reason) {
        return new StageResult(stage, null, "-", Status.FAIL, reason);
    }

    public static StageResult notChecked(String stage, String reason) {
        return new StageResult(stage, null, "-", Status.NOT_CHECKED, reason);
    }

    public boolean failed() {
        return status == Status.FAIL;
    }
}
