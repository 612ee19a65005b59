package io.omnigen4j.sdk.image;

/**
 * OmniGen's input-image preparation (spec §3: {@code crop_arr}, then ToTensor + Normalize(0.5, 0.5)), reproduced
 * exactly so that the VAE sees the same pixels as in the Python pipeline:
 * <ol>
 *   <li>while min(W,H) ≥ 2M: BOX resize to (⌊W/2⌋, ⌊H/2⌋);</li>
 *   <li>if max(W,H) &gt; M: BICUBIC resize by s = M/max(W,H), sides rounded half-to-even;</li>
 *   <li>if min(W,H) &lt; 16: BICUBIC resize by s = 16/min(W,H) (no re-check against M);</li>
 *   <li>centre crop to multiples of 16 (the odd pixel goes to the bottom/right);</li>
 *   <li>v → (f32(v/255) − 0.5)/0.5 in float32, layout [1,3,H,W].</li>
 * </ol>
 * The size limit of the model's position table (H/16, W/16 ≤ 192) is checked from the planned size before any pixel
 * work. Instances are immutable and thread-safe.
 */
public final class InputImagePreprocessor {
    /** The pipeline's default {@code max_input_image_size}. */
    public static final int DEFAULT_MAX_INPUT_IMAGE_SIZE = 1024;
    /** Pixels per latent patch token side (VAE factor 8 × patch size 2). */
    public static final int PATCH_PIXELS = 16;
    /** Side of the model's position-embedding grid ({@code pos_embed_max_size}). */
    public static final int MAX_PATCHES_PER_SIDE = 192;
    /** Largest preprocessed side the model accepts, 192·16. */
    public static final int MAX_SIDE_PIXELS = MAX_PATCHES_PER_SIDE * PATCH_PIXELS;

    private static final float[] NORMALIZED = normalizationTable();

    private final int maxInputImageSize;

    /**
     * @param maxInputImageSize M, the pipeline's {@code max_input_image_size} (positive)
     */
    public InputImagePreprocessor(int maxInputImageSize) {
        if (maxInputImageSize <= 0) {
            throw new IllegalArgumentException("max input image size must be positive, got " + maxInputImageSize);
        }
        this.maxInputImageSize = maxInputImageSize;
    }

    public int maxInputImageSize() {
        return maxInputImageSize;
    }

    /** Same as {@link #preprocess(RgbImage, String)} with the label {@code "input image"}. */
    public PreprocessedImage preprocess(RgbImage image) {
        return preprocess(image, "input image");
    }

    /**
     * Resizes, crops and normalises one input image.
     *
     * @param label how to name the image in error messages, e.g. {@code "input image 2 of prompt 1"}
     * @throws ImageTooLargeException if the result would exceed 192 patches on a side
     * @throws InputImageException    if resizing would leave a side with no pixels
     */
    public PreprocessedImage preprocess(RgbImage image, String label) {
        RgbImage cropped = cropArr(image, label);
        return new PreprocessedImage(cropped, normalize(cropped));
    }

    /** Steps 1–4 only (resize and centre crop), as 8-bit RGB; same checks as {@link #preprocess(RgbImage, String)}. */
    public RgbImage cropArr(RgbImage image, String label) {
        Plan plan = plan(image.size(), label);
        RgbImage img = image;
        for (int i = 0; i < plan.halvings; i++) {
            img = PilResampler.resize(img, img.width() / 2, img.height() / 2, ResampleFilter.BOX);
        }
        if (plan.fit != null) {
            img = PilResampler.resize(img, plan.fit.width(), plan.fit.height(), ResampleFilter.BICUBIC);
        }
        if (plan.upscale != null) {
            img = PilResampler.resize(img, plan.upscale.width(), plan.upscale.height(), ResampleFilter.BICUBIC);
        }
        int w = img.width();
        int h = img.height();
        int x0 = (w % PATCH_PIXELS) / 2;
        int y0 = (h % PATCH_PIXELS) / 2;
        return img.crop(x0, y0, w - w % PATCH_PIXELS, h - h % PATCH_PIXELS);
    }

    /**
     * The size {@link #preprocess} will produce for an image of size {@code input}, without touching pixels; useful to
     * count prompt tokens or validate a request before decoding.
     *
     * @throws ImageTooLargeException if the result would exceed 192 patches on a side
     * @throws InputImageException    if resizing would leave a side with no pixels
     */
    public ImageSize preprocessedSize(ImageSize input, String label) {
        return plan(input, label).cropped;
    }

    /** ToTensor + Normalize(0.5, 0.5): CHW float32 values (f32(v/255) − 0.5f)/0.5f. */
    public static float[] normalize(RgbImage image) {
        int n = image.width() * image.height();
        byte[] rgb = image.data();
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            out[i] = NORMALIZED[rgb[3 * i] & 0xFF];
            out[n + i] = NORMALIZED[rgb[3 * i + 1] & 0xFF];
            out[2 * n + i] = NORMALIZED[rgb[3 * i + 2] & 0xFF];
        }
        return out;
    }

    private static float[] normalizationTable() {
        float[] t = new float[256];
        for (int v = 0; v < 256; v++) {
            float unit = v / 255f;
            t[v] = (unit - 0.5f) / 0.5f;
        }
        return t;
    }

    /** The resize steps for one input size: halvings, then the optional fit and upscale targets, then the crop. */
    private record Plan(int halvings, ImageSize fit, ImageSize upscale, ImageSize cropped) {
    }

    private Plan plan(ImageSize input, String label) {
        int w = input.width();
        int h = input.height();
        int halvings = 0;
        while (Math.min(w, h) >= 2L * maxInputImageSize) {
            w /= 2;
            h /= 2;
            halvings++;
        }
        ImageSize fit = null;
        if (Math.max(w, h) > maxInputImageSize) {
            fit = scaled(w, h, (double) maxInputImageSize / Math.max(w, h), input, label);
            w = fit.width();
            h = fit.height();
        }
        int longSideAfterFit = Math.max(w, h);
        ImageSize upscale = null;
        if (Math.min(w, h) < PATCH_PIXELS) {
            upscale = scaled(w, h, (double) PATCH_PIXELS / Math.min(w, h), input, label);
            w = upscale.width();
            h = upscale.height();
        }
        ImageSize cropped = new ImageSize(w - w % PATCH_PIXELS, h - h % PATCH_PIXELS);
        if (cropped.width() > MAX_SIDE_PIXELS || cropped.height() > MAX_SIDE_PIXELS) {
            throw tooLarge(label, input, cropped, upscale != null && longSideAfterFit <= MAX_SIDE_PIXELS);
        }
        return new Plan(halvings, fit, upscale, cropped);
    }

    private ImageSize scaled(int w, int h, double s, ImageSize input, String label) {
        double sw = Math.rint(w * s);
        double sh = Math.rint(h * s);
        if (sw < 1 || sh < 1 || sw > Integer.MAX_VALUE || sh > Integer.MAX_VALUE) {
            throw new InputImageException(label, label + " (" + input + " px) cannot be preprocessed with max input"
                    + " image size " + maxInputImageSize + ": resizing " + w + "x" + h + " by " + s + " gives "
                    + (long) sw + "x" + (long) sh + " px. Its aspect ratio is too extreme; crop or pad it first.");
        }
        return new ImageSize((int) sw, (int) sh);
    }

    private ImageTooLargeException tooLarge(String label, ImageSize input, ImageSize cropped, boolean aspectCause) {
        String fix = aspectCause
                ? "Its aspect ratio is too extreme: the short side is enlarged to " + PATCH_PIXELS
                        + " px, which stretches the long side. Crop or pad it to at most "
                        + MAX_PATCHES_PER_SIDE + ":1 first."
                : "Lower the max input image size (maxInputImageSize, now " + maxInputImageSize + ") to at most "
                        + MAX_SIDE_PIXELS + ".";
        return new ImageTooLargeException(label, input, cropped, label + " (" + input + " px) is " + cropped
                + " px after resizing with max input image size " + maxInputImageSize
                + "; the model accepts at most " + MAX_SIDE_PIXELS + " px (" + MAX_PATCHES_PER_SIDE + " patches of "
                + PATCH_PIXELS + ") per side. " + fix);
    }
}
