package io.omnigen4j.sdk.image;

/**
 * A preprocessed input image is larger than the model's 192×192 position table allows (H/16 or W/16 above 192,
 * spec §3/§5.2). Thrown before any resampling work, with the image, its size after resizing and the fix.
 */
public final class ImageTooLargeException extends InputImageException {
    /** Size of the image as given. */
    private final ImageSize original;
    /** Size after resizing and cropping to multiples of 16. */
    private final ImageSize preprocessed;

    /**
     * Creates the exception.
     * @param imageLabel how the image is named in the message, e.g. {@code "input image 2"}
     * @param original size of the image as given
     * @param preprocessed size after resizing and cropping
     * @param message what is wrong and how to fix it
     */
    public ImageTooLargeException(String imageLabel, ImageSize original, ImageSize preprocessed, String message) {
        super(imageLabel, message);
        this.original = original;
        this.preprocessed = preprocessed;
    }

    /** {@return the size of the image as given} */
    public ImageSize original() {
        return original;
    }

    /** {@return the size after resizing and cropping to multiples of 16} */
    public ImageSize preprocessed() {
        return preprocessed;
    }
}
