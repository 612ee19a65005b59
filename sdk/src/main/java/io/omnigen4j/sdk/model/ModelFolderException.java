package io.omnigen4j.sdk.model;

import io.omnigen4j.sdk.OmniGenException;

/** An exported model folder is missing, incomplete or of an unsupported format. */
public class ModelFolderException extends OmniGenException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what is wrong with the folder and how to fix it
     */
    public ModelFolderException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the error that revealed the problem.
     * @param message what is wrong with the folder and how to fix it
     * @param cause the underlying error (I/O, JSON)
     */
    public ModelFolderException(String message, Throwable cause) {
        super(message, cause);
    }
}
