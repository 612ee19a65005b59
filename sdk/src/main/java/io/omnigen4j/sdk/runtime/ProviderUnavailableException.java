package io.omnigen4j.sdk.runtime;

import io.omnigen4j.sdk.OmniGenException;

/** The requested execution provider cannot run here; the message names the cause and the fix. */
public class ProviderUnavailableException extends OmniGenException {
    private static final long serialVersionUID = 1L;

    public ProviderUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
