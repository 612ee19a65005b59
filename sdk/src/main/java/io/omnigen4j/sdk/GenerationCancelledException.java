package io.omnigen4j.sdk;

/** The generation was cancelled through its {@link CancellationToken}; all native resources were released. */
public class GenerationCancelledException extends OmniGenException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which generation stopped and where
     */
    public GenerationCancelledException(String message) {
        super(message);
    }
}
