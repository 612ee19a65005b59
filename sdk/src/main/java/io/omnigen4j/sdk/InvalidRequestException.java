package io.omnigen4j.sdk;

/** A request that this model cannot serve (size over the position table, prompt over the length budget, …). */
public class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
