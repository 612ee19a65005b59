package io.omnigen4j.export;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The checkpoint is not consistent: the export found it before writing a model that would fail or mislead later.
 * {@link #problem()} tells the cases apart, {@link #input()} is the file at fault, and the message names both and
 * says how to fix it. The export command exits with 2 for it, like other errors in its input.
 */
public final class CheckpointValidationException extends ExportException {
    private static final long serialVersionUID = 1L;

    /** What is inconsistent. */
    public enum Problem {
        /**
         * The weights hold tensors the export would not read (say a config with fewer layers than the weights);
         * {@link ExportOptions.Builder#allowUnusedTensors(boolean)} exports without them.
         */
        UNUSED_TENSORS,
        /** A weight holds NaN or ±Infinity. */
        NON_FINITE_WEIGHT,
        /**
         * A weight file is malformed (header, overlapping or non-contiguous data, trailing bytes) or does not match
         * the configuration (shape, dtype, missing tensor).
         */
        WEIGHT_FILE,
        /**
         * The tokenizer files do not parse, lack the special tokens OmniGen's prompts use, or hold ids beyond the
         * token embedding.
         */
        TOKENIZER
    }

    /** Which check failed. */
    private final Problem problem;
    private final transient Path input;

    /**
     * Creates the exception.
     *
     * @param problem what is inconsistent
     * @param input   the file (or folder) at fault
     * @param message what is wrong, naming the input, and how to fix it
     * @param cause   the error that revealed the problem, or null
     */
    public CheckpointValidationException(Problem problem, Path input, String message, Throwable cause) {
        super(message, cause);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.input = input;
    }

    /**
     * What is inconsistent.
     *
     * @return the kind of problem
     */
    public Problem problem() {
        return problem;
    }

    /**
     * The file or folder at fault: the weight file (the index file of sharded weights), {@code tokenizer.json}, or
     * the checkpoint folder when no single file is to blame.
     *
     * @return its path; null after deserialization
     */
    public Path input() {
        return input;
    }
}
