package io.omnigen4j.sdk.image;

import java.nio.FloatBuffer;

/**
 * An input image after OmniGen's {@code crop_arr} and normalisation: the cropped 8-bit RGB (for inspection and
 * tests) and the model input, float32 {@code [1, 3, H, W]} in [−1, 1], channels R, G, B.
 */
public final class PreprocessedImage {
    private final RgbImage cropped;
    private final float[] pixels;

    PreprocessedImage(RgbImage cropped, float[] pixels) {
        this.cropped = cropped;
        this.pixels = pixels;
    }

    /** {@return the resized and centre-cropped RGB image (width and height are multiples of 16)} */
    public RgbImage image() {
        return cropped;
    }

    /** {@return the width of the cropped image in pixels (a multiple of 16)} */
    public int width() {
        return cropped.width();
    }

    /** {@return the height of the cropped image in pixels (a multiple of 16)} */
    public int height() {
        return cropped.height();
    }

    /** {@return the tensor shape {@code [1, 3, H, W]}} */
    public long[] shape() {
        return new long[] {1, 3, cropped.height(), cropped.width()};
    }

    /** {@return the number of latent patch tokens this image occupies in the prompt: (H/16)·(W/16) (spec §2.5)} */
    public int tokenCount() {
        return (cropped.height() / 16) * (cropped.width() / 16);
    }

    /** {@return a copy of the normalised pixels in [−1, 1], CHW order (length 3·H·W)} */
    public float[] pixels() {
        return pixels.clone();
    }

    /** {@return a read-only view of the normalised pixels, CHW order, without copying} */
    public FloatBuffer pixelBuffer() {
        return FloatBuffer.wrap(pixels).asReadOnlyBuffer();
    }
}
