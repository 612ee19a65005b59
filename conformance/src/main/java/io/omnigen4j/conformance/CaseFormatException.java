package io.omnigen4j.conformance;

/** case.json asks for something the runner cannot read or the SDK cannot do; the message says what. */
public final class CaseFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public CaseFormatException(String message) {
        super(message);
    }

    public CaseFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
