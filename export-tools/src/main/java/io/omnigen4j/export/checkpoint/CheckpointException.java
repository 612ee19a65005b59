package io.omnigen4j.export.checkpoint;

import java.io.IOException;

/** A folder is not a complete OmniGen checkpoint in a layout the exporter reads; the message says what to fix. */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with its message.
     *
     * @param message what was looked for, what was found and how to fix it
     */
    public CheckpointException(String message) {
        super(message);
    }
}
