package io.omnigen4j.conformance;

/**
 * The bounds the runner applies, one per kind of stage. They follow the fixtures README's suggestions for an
 * independent float32 implementation; conformance/README.md explains each. The stages that depend on the
 * transformer's weights take their bounds from {@link PrecisionTolerances} (these constants for fp32, wider ones for
 * int8 and int4 weights); everything else uses these constants in every precision.
 *
 * <p>Why not exact: ONNX Runtime's kernels sum in a different order than PyTorch's (float addition is not
 * associative), and the order also changes with the thread count; the reference itself differs by up to 6e-6 between
 * 1 and 2 threads. Errors grow through the network (LLM layers, guidance scale up to ~3, division by the VAE scaling
 * factor 0.13025 before decoding), so later stages get wider bounds. Integer data (ids, positions, masks, spans,
 * sizes, resampled pixels) has no rounding and is compared exactly.
 */
public final class Tolerances {
    private Tolerances() {
    }

    /** Ids, positions, masks, posterior noise replayed from the fixture, resampled 8-bit pixels. */
    public static final Tolerance EXACT = Tolerance.abs(0);

    /** σ grid and per-step t: values in [0, 1], one float32 ulp (≤ 6e-8) of slack for a linspace without FMA. */
    public static final Tolerance SIGMA = Tolerance.abs(1e-7);

    /** Normalised input pixels (x/255 − 0.5)/0.5 from identical 8-bit RGB: float32 rounding only. */
    public static final Tolerance PIXEL_VALUES = Tolerance.abs(1e-6);

    /** VAE encoder mean / log-variance and the scaled latent: a deep conv net, reassociated sums. */
    public static final Tolerance VAE_ENCODE = Tolerance.abs(1e-4);

    /** Per step with the recorded z_in fed in (teacher forcing): raw branch outputs, velocity, z_in, z_out. */
    public static final Tolerance STEP = Tolerance.absRel(2e-4, 1e-4);

    /** Final latents of the free-running sampler: per-step errors compound over all steps. */
    public static final Tolerance FINAL_LATENTS = Tolerance.abs(5e-4);

    /** Decoder input = final latents / 0.13025: the division amplifies the final-latent error ~7.7×. */
    public static final Tolerance DECODER_INPUT = Tolerance.abs(4e-3);

    /** Decoder output and the clamped [0, 1] image. */
    public static final Tolerance DECODER_OUTPUT = Tolerance.abs(1e-3);

    /** Decoded input files: PNG is lossless and must decode exactly. */
    public static final int DECODED_PNG_LEVELS = 0;

    /** Decoded input files: JPEG decoders (IDCT, chroma upsampling) may legitimately differ by one level. */
    public static final int DECODED_JPEG_LEVELS = 1;

    /**
     * 8-bit output images ({@code image.uint8}, the expected PNGs): trunc(x·255) turns a 1e-6 difference next to a
     * multiple of 1/255 into one level, so ≤ 1 level is allowed on at least 99 % of the values and none may be off
     * by more than 2.
     */
    public static final int UINT8_MAX_LEVELS = 2;

    /** Share of 8-bit output values that may differ by more than one level (but at most {@link #UINT8_MAX_LEVELS}). */
    public static final double UINT8_MAX_SHARE_OVER_ONE = 0.01;

    /** The table's label of the 8-bit output rule. */
    public static final String UINT8_LABEL = "≤1 level on ≥99%, never >2";

    /** The float32 8-bit output rule as a {@link Uint8Rule} (its label is {@link #UINT8_LABEL}). */
    public static final Uint8Rule UINT8 = new Uint8Rule(1, UINT8_MAX_SHARE_OVER_ONE, UINT8_MAX_LEVELS);
}
