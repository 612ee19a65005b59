package io.omnigen4j.sdk.image;

import java.io.IOException;

/**
 * An image file could not be turned into an {@link RgbImage}: unreadable or unsupported data, or a declared size above
 * the caller's pixel budget (rejected from the header, before decoding). {@link #reason()} tells the cases apart.
 */
public class ImageDecodeException extends IOException {
    /** Why decoding failed. */
    public enum Reason {
        /** Not an image in a supported format, or corrupt. */
        UNSUPPORTED_OR_CORRUPT,
        /** The header declares more pixels than the configured budget. */
        TOO_MANY_PIXELS
    }

    private final Reason reason;

    public ImageDecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageDecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
