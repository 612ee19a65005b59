package io.omnigen4j.cli;

/**
 * A failure the CLI reports as one line on stderr, with its exit code: {@link #USAGE} when the input is wrong
 * (fix the command line), {@link #RUNTIME} when running failed.
 */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Wrong arguments or inputs: a missing file, a bad size, a prompt whose image tags do not match. */
    static final int USAGE = 2;
    /** Something failed while running: the runtime, the model, the disk. */
    static final int RUNTIME = 1;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    static CliException usage(String message, Throwable cause) {
        return new CliException(USAGE, message, cause);
    }

    static CliException runtime(String message, Throwable cause) {
        return new CliException(RUNTIME, message, cause);
    }

    int exitCode() {
        return exitCode;
    }
}
