package io.omnigen4j.sdk.image;

/**
 * Width and height of an image in pixels, e.g. as declared by a file header before decoding.
 *
 * @param width  pixels per row, positive
 * @param height rows, positive
 */
public record ImageSize(int width, int height) {
    /**
     * Checks both sides are positive.
     * @param width pixels per row, positive
     * @param height rows, positive
     * @throws IllegalArgumentException if a side is not positive
     */
    public ImageSize {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
    }

    /** {@return {@code width·height}, without int overflow} */
    public long pixelCount() {
        return (long) width * height;
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
