package io.omnigen4j.export;

import java.io.IOException;

/** An export cannot proceed; the message says what is wrong and how to fix it. */
public class ExportException extends IOException {
    private static final long serialVersionUID = 1L;

    public ExportException(String message) {
        super(message);
    }

    public ExportException(String message, Throwable cause) {
        super(message, cause);
    }
}
