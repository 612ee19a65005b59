package io.omnigen4j.sdk.sampling;

import java.util.Objects;

/**
 * The pure-arithmetic ends of the VAE (spec §8), kept outside the ONNX graphs so their float32 rounding matches the
 * reference exactly:
 * <ul>
 *   <li>encode side: sample the diagonal Gaussian posterior and scale it,
 *       {@code latent = f32(f32(mean + f32(std·ε)) · scaling)} with {@code std = exp(0.5·clamp(logvar, −30, 20))}
 *       ({@code (sample − shift)·scaling} when a shift factor is set);</li>
 *   <li>decode side: {@code z / scaling (+ shift)} as a float32 division (the CPU reference divides; CUDA would
 *       multiply by the reciprocal);</li>
 *   <li>output: {@code y = clamp(x·0.5 + 0.5, 0, 1)} and {@code u8 = trunc(y·255)} (truncation, not rounding),
 *       CHW float → HWC RGB bytes.</li>
 * </ul>
 * All methods are allocation-free unless they return a new array, and allow {@code out} to alias an input
 * element-for-element. Instances are immutable and thread-safe.
 */
public final class LatentCodec {
    /** {@code scaling_factor} of the SDXL VAE used by OmniGen. */
    public static final float SDXL_SCALING_FACTOR = 0.13025f;
    /** Posterior log-variance clamp of diffusers' {@code DiagonalGaussianDistribution}. */
    public static final float LOGVAR_MIN = -30f;
    public static final float LOGVAR_MAX = 20f;

    private static final LatentCodec SDXL = new LatentCodec(SDXL_SCALING_FACTOR, null);

    private final float scalingFactor;
    private final Float shiftFactor;

    /**
     * @param scalingFactor VAE {@code scaling_factor} (as float32, as PyTorch casts it)
     * @param shiftFactor   VAE {@code shift_factor}, or {@code null} when the config has none (OmniGen / SDXL)
     */
    public LatentCodec(float scalingFactor, Float shiftFactor) {
        if (!Float.isFinite(scalingFactor) || scalingFactor == 0f) {
            throw new IllegalArgumentException("scaling factor must be finite and non-zero, got " + scalingFactor);
        }
        if (shiftFactor != null && !Float.isFinite(shiftFactor)) {
            throw new IllegalArgumentException("shift factor must be finite, got " + shiftFactor);
        }
        this.scalingFactor = scalingFactor;
        this.shiftFactor = shiftFactor;
    }

    /** The codec of OmniGen's SDXL VAE: scaling 0.13025, no shift. */
    public static LatentCodec sdxl() {
        return SDXL;
    }

    public float scalingFactor() {
        return scalingFactor;
    }

    /** The shift factor, or {@code null}. */
    public Float shiftFactor() {
        return shiftFactor;
    }

    /**
     * Samples and scales the posterior from the raw encoder moments {@code [1, 8, h, w]} (mean = channels 0–3,
     * logvar = channels 4–7, i.e. the first and second half of the array). {@code eps} and {@code out} hold
     * {@code moments.length / 2} elements.
     */
    public void sampleLatent(float[] moments, float[] eps, float[] out) {
        if ((moments.length & 1) != 0) {
            throw new IllegalArgumentException("moments length must be even (mean | logvar), got " + moments.length);
        }
        int n = moments.length / 2;
        checkLength("eps", eps, n);
        checkLength("out", out, n);
        sampleLatent(moments, 0, moments, n, eps, 0, out, 0, n);
    }

    /** Samples and scales the posterior from separate mean and logvar arrays (logvar is clamped here). */
    public void sampleLatent(float[] mean, float[] logvar, float[] eps, float[] out) {
        int n = mean.length;
        checkLength("logvar", logvar, n);
        checkLength("eps", eps, n);
        checkLength("out", out, n);
        sampleLatent(mean, 0, logvar, 0, eps, 0, out, 0, n);
    }

    /** Offset form of {@link #sampleLatent(float[], float[], float[], float[])} over {@code length} elements. */
    public void sampleLatent(float[] mean, int meanOff, float[] logvar, int logvarOff, float[] eps, int epsOff,
                             float[] out, int outOff, int length) {
        Objects.checkFromIndexSize(meanOff, length, mean.length);
        Objects.checkFromIndexSize(logvarOff, length, logvar.length);
        Objects.checkFromIndexSize(epsOff, length, eps.length);
        Objects.checkFromIndexSize(outOff, length, out.length);
        boolean shifted = shiftFactor != null;
        float shift = shifted ? shiftFactor : 0f;
        for (int k = 0; k < length; k++) {
            float lv = Math.max(LOGVAR_MIN, Math.min(LOGVAR_MAX, logvar[logvarOff + k]));
            float std = (float) Math.exp(0.5f * lv);
            float noise = std * eps[epsOff + k];
            float sample = mean[meanOff + k] + noise;
            if (shifted) {
                sample = sample - shift;
            }
            out[outOff + k] = sample * scalingFactor;
        }
    }

    /** Decoder input from final latents: {@code out = z / scaling (+ shift)}, float32 division. */
    public void toDecoderInput(float[] latents, float[] out) {
        checkLength("out", out, latents.length);
        toDecoderInput(latents, 0, out, 0, latents.length);
    }

    /** Offset form of {@link #toDecoderInput(float[], float[])}. */
    public void toDecoderInput(float[] latents, int inOff, float[] out, int outOff, int length) {
        Objects.checkFromIndexSize(inOff, length, latents.length);
        Objects.checkFromIndexSize(outOff, length, out.length);
        boolean shifted = shiftFactor != null;
        float shift = shifted ? shiftFactor : 0f;
        for (int k = 0; k < length; k++) {
            float x = latents[inOff + k] / scalingFactor;
            out[outOff + k] = shifted ? x + shift : x;
        }
    }

    /** Decoder output in [−1, 1] → image in [0, 1]: {@code clamp(f32(x·0.5) + 0.5, 0, 1)}; NaN stays NaN. */
    public static void toUnitRange(float[] decoded, float[] out) {
        checkLength("out", out, decoded.length);
        for (int k = 0; k < decoded.length; k++) {
            float y = decoded[k] * 0.5f + 0.5f; // two float32 roundings: Java never fuses
            out[k] = Math.max(0f, Math.min(1f, y));
        }
    }

    /**
     * Unit-range images {@code [B, 3, H, W]} → interleaved RGB bytes {@code [B, H, W, 3]} with
     * {@code u8 = trunc(y·255)} (254.9 → 254; NaN → 0; values are clamped to [0, 255] first).
     */
    public static byte[] toRgbBytes(float[] image01, int batch, int height, int width) {
        long plane = (long) height * width;
        if (batch <= 0 || height <= 0 || width <= 0 || (long) batch * 3 * plane != image01.length) {
            throw new IllegalArgumentException("image length " + image01.length + " is not B·3·H·W for B=" + batch
                    + ", H=" + height + ", W=" + width);
        }
        byte[] out = new byte[image01.length];
        for (int b = 0; b < batch; b++) {
            toRgbBytes(image01, (int) (b * 3 * plane), height, width, out, (int) (b * 3 * plane));
        }
        return out;
    }

    /** One CHW image at {@code inOff} → HWC RGB bytes at {@code outOff} ({@code 3·H·W} elements each). */
    public static void toRgbBytes(float[] image01, int inOff, int height, int width, byte[] out, int outOff) {
        int plane = Math.multiplyExact(height, width);
        int n = Math.multiplyExact(3, plane);
        Objects.checkFromIndexSize(inOff, n, image01.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                out[outOff + 3 * p + c] = (byte) toByte(image01[inOff + c * plane + p]);
            }
        }
    }

    /** {@code trunc(y·255)} clamped to [0, 255], NaN → 0 (the PyTorch float→uint8 cast truncates). */
    public static int toByte(float y) {
        float v = y * 255f;
        if (!(v > 0f)) {
            return 0;
        }
        return v >= 255f ? 255 : (int) v;
    }

    private static void checkLength(String what, float[] a, int n) {
        if (a.length != n) {
            throw new IllegalArgumentException(what + " length " + a.length + " != " + n);
        }
    }

    @Override
    public String toString() {
        return "LatentCodec[scaling=" + scalingFactor + ", shift=" + shiftFactor + "]";
    }
}
