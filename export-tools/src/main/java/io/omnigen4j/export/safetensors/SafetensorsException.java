package io.omnigen4j.export.safetensors;

import java.io.IOException;

/** A safetensors file is malformed or does not hold what the caller asked for. The message names the file and the rule. */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
