package io.omnigen4j.sdk.runtime;

import io.omnigen4j.sdk.OmniGenException;

/** The requested execution provider cannot run here; the message names the cause and the fix. */
public class ProviderUnavailableException extends OmniGenException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message the provider, why it cannot start and the fix
     * @param cause ONNX Runtime's error
     */
    public ProviderUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
