package io.omnigen4j.sdk;

/** A request that this model cannot serve (size over the position table, prompt over the length budget, …). */
public class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message the setting that is wrong and how to fix it
     */
    public InvalidRequestException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the error that revealed the problem.
     * @param message the setting that is wrong and how to fix it
     * @param cause the underlying error
     */
    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
