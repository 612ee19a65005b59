package io.omnigen4j.sdk.image;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An immutable 8-bit RGB image, rows top to bottom, pixels interleaved {@code R,G,B} (HWC). This is the one pixel type
 * the SDK exchanges with image codecs and the preprocessor; it needs no AWT, so it works on Android too.
 */
public final class RgbImage {
    /** Largest pixel count whose RGB bytes fit in one Java array. */
    public static final long MAX_PIXELS = (Integer.MAX_VALUE - 8) / 3;

    private final int width;
    private final int height;
    private final byte[] rgb;

    private RgbImage(int width, int height, byte[] rgb) {
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /**
     * Copies {@code rgb} (length {@code width·height·3}, HWC) into a new image.
     *
     * @param width pixels per row, positive
     * @param height rows, positive
     * @param rgb interleaved R,G,B bytes, rows top to bottom (copied)
     * @return the image
     * @throws IllegalArgumentException if a side is not positive, the image is too large, or the length is wrong
     */
    public static RgbImage of(int width, int height, byte[] rgb) {
        checkSize(width, height);
        if (rgb == null || rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("RGB data of a " + width + "x" + height + " image must have "
                    + 3L * width * height + " bytes, got " + (rgb == null ? "null" : rgb.length));
        }
        return new RgbImage(width, height, rgb.clone());
    }

    /** Takes ownership of {@code rgb} without copying; only for arrays nobody else holds. */
    static RgbImage wrap(int width, int height, byte[] rgb) {
        checkSize(width, height);
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("internal: wrong RGB length " + rgb.length);
        }
        return new RgbImage(width, height, rgb);
    }

    /**
     * Checks that a {@code width × height} RGB image can be held in memory as one array.
     * @param width pixels per row
     * @param height rows
     * @throws IllegalArgumentException if a side is not positive or the pixel count exceeds {@link #MAX_PIXELS}
     */
    public static void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height > MAX_PIXELS) {
            throw new IllegalArgumentException("image " + width + "x" + height + " has more than " + MAX_PIXELS
                    + " pixels, the most one RGB array can hold");
        }
    }

    /** {@return the width in pixels} */
    public int width() {
        return width;
    }

    /** {@return the height in pixels} */
    public int height() {
        return height;
    }

    /** {@return width and height together} */
    public ImageSize size() {
        return new ImageSize(width, height);
    }

    /**
     * Reads one channel of one pixel.
     * @param x column, 0 at the left
     * @param y row, 0 at the top
     * @param c channel: 0 = R, 1 = G, 2 = B
     * @return the value, 0..255
     */
    public int get(int x, int y, int c) {
        if (x < 0 || x >= width || y < 0 || y >= height || c < 0 || c > 2) {
            throw new IndexOutOfBoundsException("(" + x + "," + y + "," + c + ") outside " + width + "x" + height + "x3");
        }
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** {@return a fresh copy of the interleaved RGB bytes (HWC)} */
    public byte[] toByteArray() {
        return rgb.clone();
    }

    /** {@return a read-only view of the interleaved RGB bytes (HWC), without copying} */
    public ByteBuffer asReadOnlyBuffer() {
        return ByteBuffer.wrap(rgb).asReadOnlyBuffer();
    }

    /** Internal no-copy access for this package's resampler and preprocessor; never mutated. */
    byte[] data() {
        return rgb;
    }

    /**
     * Copies a rectangle into a new image.
     * @param x0 first column
     * @param y0 first row
     * @param w columns, from {@code x0}
     * @param h rows, from {@code y0}
     * @return a new image holding rows {@code [y0, y0+h)} and columns {@code [x0, x0+w)}
     */
    public RgbImage crop(int x0, int y0, int w, int h) {
        if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + (long) w > width || y0 + (long) h > height) {
            throw new IllegalArgumentException("crop (" + x0 + "," + y0 + ") " + w + "x" + h + " outside " + width + "x"
                    + height);
        }
        if (x0 == 0 && y0 == 0 && w == width && h == height) {
            return this;
        }
        byte[] out = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rgb, ((y0 + y) * width + x0) * 3, out, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && other.width == width && other.height == height
                && Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
