package io.omnigen4j.conformance;

/** Verdict of one compared stage. */
public enum Status {
    /** Within tolerance. */
    PASS("PASS"),
    /** Outside tolerance, missing, malformed or not runnable; makes the case fail. */
    FAIL("FAIL"),
    /**
     * Recorded but deliberately not compared, with the reason in the row's note (for example the LLM's internal
     * hidden states, which the public SDK API does not expose). Listed in the table, never makes a case fail.
     */
    NOT_CHECKED("NOT-CHECKED");

    private final String label;

    Status(String label) {
        this.label = label;
    }

    /** The spelling used in the table and the JSON report. */
    public String label() {
        return label;
    }
}
