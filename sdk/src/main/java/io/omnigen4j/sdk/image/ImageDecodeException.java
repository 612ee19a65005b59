package io.omnigen4j.sdk.image;

import java.io.IOException;

/**
 * An image file could not be turned into an {@link RgbImage}: an empty, truncated or corrupt file, a bad checksum, a
 * colour model the pipeline does not convert, an unsupported format, or a declared size above the caller's pixel
 * budget (rejected from the header, before decoding). {@link #reason()} tells the cases apart; the message says
 * what is wrong (for example "truncated at byte 812") and, when the input was a file, starts with its name
 * ({@link #input()}).
 */
public class ImageDecodeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why decoding failed. */
    public enum Reason {
        /** Not an image in a supported format, or corrupt data found by the decoder itself. */
        UNSUPPORTED_OR_CORRUPT,
        /** The header declares more pixels than the configured budget. */
        TOO_MANY_PIXELS,
        /** The file has no bytes at all. */
        EMPTY,
        /** The data ends early: cut inside a PNG chunk or before the PNG IEND chunk / the JPEG end marker. */
        TRUNCATED,
        /** A PNG chunk's stored CRC-32 does not match its contents. */
        BAD_CHECKSUM,
        /** The container is invalid: zero width or height, a bad header field, chunks or markers out of order. */
        MALFORMED,
        /**
         * A valid file whose encoding or colour model is not converted (for example a 12-bit or arithmetic-coded
         * JPEG); the message says how to convert it.
         */
        UNSUPPORTED_COLOR_MODEL
    }

    /** Why decoding failed. */
    private final Reason reason;
    /** The input's name, or null. */
    private final String input;
    /** What is wrong, without the input's name. */
    private final String detail;

    /**
     * @param reason  why decoding failed
     * @param message what is wrong, without the input's name
     */
    public ImageDecodeException(Reason reason, String message) {
        this(reason, null, message, null);
    }

    /**
     * @param reason  why decoding failed
     * @param message what is wrong, without the input's name
     * @param cause   the decoder's own exception, or null
     */
    public ImageDecodeException(Reason reason, String message, Throwable cause) {
        this(reason, null, message, cause);
    }

    /**
     * @param reason  why decoding failed
     * @param input   the input's name (a file name, or e.g. {@code "--image 2"}), or null when unnamed; the message
     *                then starts with it
     * @param detail  what is wrong, without the input's name
     * @param cause   the decoder's own exception, or null
     */
    public ImageDecodeException(Reason reason, String input, String detail, Throwable cause) {
        super(input == null ? detail : input + ": " + detail, cause);
        this.reason = reason;
        this.input = input;
        this.detail = detail;
    }

    /**
     * Why decoding failed.
     * @return the reason, never null
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The name of the input the message starts with (a file name), or null when bytes were decoded unnamed.
     * @return the name, or null
     */
    public String input() {
        return input;
    }

    /**
     * What is wrong, without the input's name.
     * @return the detail message
     */
    public String detail() {
        return detail;
    }

    /**
     * The same failure named after {@code inputName} (replacing any earlier name); this exception is the cause.
     *
     * @param inputName the input's name, e.g. a file name
     * @return a new exception with the same reason and detail
     */
    public ImageDecodeException withInput(String inputName) {
        return new ImageDecodeException(reason, inputName, detail, this);
    }
}
