package io.omnigen4j.sdk;

/** Base of the SDK's checked errors; messages say what is wrong and how to fix it. */
public class OmniGenException extends Exception {
    private static final long serialVersionUID = 1L;

    public OmniGenException(String message) {
        super(message);
    }

    public OmniGenException(String message, Throwable cause) {
        super(message, cause);
    }
}
