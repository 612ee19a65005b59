package io.omnigen4j.sdk.image;

/**
 * An input image the pipeline cannot use as given (a caller error, not a bug): for example an aspect ratio so extreme
 * that resizing would leave a side with zero pixels. The message names the image and says how to fix the request.
 */
public class InputImageException extends IllegalArgumentException {
    /** How the image is named in the message. */
    private final String imageLabel;

    /**
     * Creates the exception.
     * @param imageLabel how the image is named in the message, e.g. {@code "input image 2"}
     * @param message what is wrong and how to fix it
     */
    public InputImageException(String imageLabel, String message) {
        super(message);
        this.imageLabel = imageLabel;
    }

    /** {@return how the caller's image was named in the message, e.g. {@code "input image 2"}} */
    public String imageLabel() {
        return imageLabel;
    }
}
