package io.omnigen4j.sdk;

/** Base of the SDK's checked errors; messages say what is wrong and how to fix it. */
public class OmniGenException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what is wrong and how to fix it
     */
    public OmniGenException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its underlying error (I/O, ONNX Runtime, …).
     * @param message what is wrong and how to fix it
     * @param cause the underlying error
     */
    public OmniGenException(String message, Throwable cause) {
        super(message, cause);
    }
}
