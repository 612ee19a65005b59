package io.omnigen4j.export;

import java.io.IOException;

/** An export cannot proceed; the message says what is wrong and how to fix it. */
public class ExportException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what is wrong and how to fix it
     */
    public ExportException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the error that revealed the problem.
     * @param message what is wrong and how to fix it
     * @param cause the underlying error
     */
    public ExportException(String message, Throwable cause) {
        super(message, cause);
    }
}
