package io.omnigen4j.sdk.model;

import io.omnigen4j.sdk.OmniGenException;

/** An exported model folder is missing, incomplete or of an unsupported format. */
public class ModelFolderException extends OmniGenException {
    private static final long serialVersionUID = 1L;

    public ModelFolderException(String message) {
        super(message);
    }

    public ModelFolderException(String message, Throwable cause) {
        super(message, cause);
    }
}
