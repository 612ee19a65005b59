package io.omnigen4j.sdk.image;

/**
 * A preprocessed input image is larger than the model's 192×192 position table allows (H/16 or W/16 above 192,
 * spec §3/§5.2). Thrown before any resampling work, with the image, its size after resizing and the fix.
 */
public final class ImageTooLargeException extends InputImageException {
    private final ImageSize original;
    private final ImageSize preprocessed;

    public ImageTooLargeException(String imageLabel, ImageSize original, ImageSize preprocessed, String message) {
        super(imageLabel, message);
        this.original = original;
        this.preprocessed = preprocessed;
    }

    /** Size of the image as given. */
    public ImageSize original() {
        return original;
    }

    /** Size after resizing and cropping to multiples of 16. */
    public ImageSize preprocessed() {
        return preprocessed;
    }
}
