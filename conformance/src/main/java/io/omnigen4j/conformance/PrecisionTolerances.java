package io.omnigen4j.conformance;

import io.omnigen4j.export.ExportOptions.Precision;

import java.util.Objects;

/**
 * The bounds of the stages that depend on the transformer's weights, for one export precision. Everything upstream
 * of the transformer (tokenizer, preprocessing, collation, VAE encoding, σ, the replayed noise) does not depend on
 * how the transformer's weights are stored and keeps the fixed bounds in {@link Tolerances} in every precision.
 *
 * @param precision    the export precision these bounds are for
 * @param raw          {@code step.<i>.raw.<g>}: one transformer call per branch (teacher-forced)
 * @param velocity     {@code step.<i>.velocity}: guidance combines the branches, multiplying their differences
 * @param latents      {@code step.<i>.z_out} and {@code step.<i>.z_in} for i ≥ 1 (the previous step's z_out)
 * @param finalLatents {@code latents.final} of the free run: per-step errors compound
 * @param decoderInput {@code vae_decode.input} = final latents / 0.13025
 * @param decoderOutput {@code vae_decode.output}
 * @param image01      {@code image.float01} = clamp(decoder output·0.5 + 0.5, 0, 1)
 * @param uint8        {@code image.uint8} and the expected PNGs {@code image.png.<k>}
 */
public record PrecisionTolerances(Precision precision, Tolerance raw, Tolerance velocity, Tolerance latents,
                                  Tolerance finalLatents, Tolerance decoderInput, Tolerance decoderOutput,
                                  Tolerance image01, Uint8Rule uint8) {

    public PrecisionTolerances {
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(raw, "raw");
        Objects.requireNonNull(velocity, "velocity");
        Objects.requireNonNull(latents, "latents");
        Objects.requireNonNull(finalLatents, "finalLatents");
        Objects.requireNonNull(decoderInput, "decoderInput");
        Objects.requireNonNull(decoderOutput, "decoderOutput");
        Objects.requireNonNull(image01, "image01");
        Objects.requireNonNull(uint8, "uint8");
    }

    /** float32 weights: the bounds of an independent float32 implementation (fixtures README); as before. */
    public static final PrecisionTolerances FP32 = new PrecisionTolerances(Precision.FP32, Tolerances.STEP,
            Tolerances.STEP, Tolerances.STEP, Tolerances.FINAL_LATENTS, Tolerances.DECODER_INPUT,
            Tolerances.DECODER_OUTPUT, Tolerances.DECODER_OUTPUT, Tolerances.UINT8);

    /*
     * The int8 and int4 bounds were measured (conformance/README.md, "Quantized precisions") on the five public cases
     * (tiny random model a; 1 and 2 threads gave identical results). Each stage gets two checks:
     *  - element-wise: twice the worst |SDK − reference| seen, rounded up to two significant digits;
     *  - whole tensor: Pearson correlation with the reference r ≥ 1 − 2·(1 − worst r seen), (1 − r) rounded up to two
     *    significant digits. The element-wise bound alone would let an unrelated tensor of the right magnitude
     *    through where the quantization error is comparable to the values (int4: an all-zero velocity is within 11).
     * The 8-bit rule: at most L levels on 95 % of the values, never more than M, r as above; L = 2× the worst 95th
     * percentile of the level differences, M = 2× the worst single difference (at most 255).
     * Random weights make the quantization error relatively large (int8 ≈ 5 %, int4 ≈ 50 % of the signal per step).
     */

    /** int8 weights (MatMulNBits, blocks of 128, symmetric, accuracy level 4); measured worst in the comments. */
    public static final PrecisionTolerances INT8 = new PrecisionTolerances(Precision.INT8,
            Tolerance.abs(0.64).withMinCorrelation(0.9953),  // raw: worst 0.318, r 0.99765
            Tolerance.abs(1.4).withMinCorrelation(0.9944),   // velocity: worst 0.664, r 0.99722
            Tolerance.abs(0.45).withMinCorrelation(0.9982),  // z_in (i ≥ 1), z_out: worst 0.221, r 0.99913
            Tolerance.abs(1.7).withMinCorrelation(0.992),    // latents.final: worst 0.844, r 0.99602
            Tolerance.abs(13).withMinCorrelation(0.992),     // vae_decode.input: worst 6.48, r 0.99602
            Tolerance.abs(0.35).withMinCorrelation(0.9904),  // vae_decode.output: worst 0.172, r 0.99524
            Tolerance.abs(0.18).withMinCorrelation(0.99),    // image.float01: worst 0.0862, r 0.99505
            new Uint8Rule(20, 0.05, 44, 0.989));             // worst p95 10 levels, max 22, r 0.99458

    /**
     * int4 weights (MatMulNBits, asymmetric, accuracy level 4): the worst of blocks of 128 (the exporter's default)
     * and blocks of 32, measured worst in the comments as "b128; b32".
     */
    public static final PrecisionTolerances INT4 = new PrecisionTolerances(Precision.INT4,
            Tolerance.abs(4.5).withMinCorrelation(0.74),     // raw: worst 1.97, r 0.8740; 2.24, r 0.8772
            Tolerance.abs(11).withMinCorrelation(0.56),      // velocity: worst 5.00, r 0.7835; 5.35, r 0.8034
            Tolerance.abs(3.6).withMinCorrelation(0.82),     // z_in (i ≥ 1), z_out: worst 1.67, r 0.9129; 1.78, r 0.9368
            Tolerance.abs(8.0).withMinCorrelation(0.56),     // latents.final: worst 3.97, r 0.7823; 3.87, r 0.8306
            Tolerance.abs(61).withMinCorrelation(0.56),      // vae_decode.input: worst 30.5, r 0.7823; 29.7, r 0.8306
            Tolerance.abs(2.9).withMinCorrelation(0.41),     // vae_decode.output: worst 1.41, r 0.7050; 1.01, r 0.7876
            Tolerance.abs(1.2).withMinCorrelation(0.41),     // image.float01: worst 0.575, r 0.7090; 0.504, r 0.7826
            new Uint8Rule(122, 0.05, 255, 0.30));            // b32 p95 61 levels (b128: ≤ 0.3 % above 122), max 146, r 0.6527

    /**
     * float16 weights and compute (export {@code --precision fp16}: norms, softmax, the residual stream and the
     * graphs' inputs and outputs float32), run on ONNX Runtime's CPU provider; measured worst in the comments (five
     * public cases, 1 and 2 threads identical), bounds by the same 2× rule as int8/int4. About 0.1 % of the signal:
     * two to three orders of magnitude below int8.
     */
    public static final PrecisionTolerances FP16 = new PrecisionTolerances(Precision.FP16,
            Tolerance.abs(0.046).withMinCorrelation(0.999985),  // raw: worst 0.0228, r 0.9999928
            Tolerance.abs(0.079).withMinCorrelation(0.999979),  // velocity: worst 0.0392, r 0.9999897
            Tolerance.abs(0.027).withMinCorrelation(0.999993),  // z_in (i ≥ 1), z_out: worst 0.0131, r 0.9999968
            Tolerance.abs(0.11).withMinCorrelation(0.999965),   // latents.final: worst 0.0529, r 0.9999826
            Tolerance.abs(0.82).withMinCorrelation(0.999965),   // vae_decode.input: worst 0.406, r 0.9999826
            Tolerance.abs(0.026).withMinCorrelation(0.999947),  // vae_decode.output: worst 0.0129, r 0.9999737
            Tolerance.abs(0.013).withMinCorrelation(0.999946),  // image.float01: worst 0.00617, r 0.9999732
            new Uint8Rule(2, 0.05, 4, 0.99984));                 // p95 1 level (≤ 24 % differ), max 2, r 0.9999204

    /**
     * The bounds for {@code p}.
     *
     * @throws IllegalArgumentException for bf16: ONNX Runtime's CPU provider, where the bounds are measured, has no
     *                                  bfloat16 MatMul (bf16 graphs are checked structurally by the exporter's tests)
     */
    public static PrecisionTolerances of(Precision p) {
        return switch (Objects.requireNonNull(p, "precision")) {
            case FP32 -> FP32;
            case INT8 -> INT8;
            case INT4 -> INT4;
            case FP16 -> FP16;
            case BF16 -> throw new IllegalArgumentException(BF16_UNSUPPORTED);
        };
    }

    /** Why bf16 has no bounds: they could not be measured here. */
    static final String BF16_UNSUPPORTED = "precision bf16 has no conformance bounds: ONNX Runtime's CPU provider,"
            + " where the bounds are measured, has no bfloat16 MatMul; use fp32, int8, int4 or fp16";

    /**
     * Parses the command-line spelling {@code fp32}, {@code int8}, {@code int4} or {@code fp16} (any case).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Precision parse(String s) {
        if (s != null && s.trim().equalsIgnoreCase(Precision.BF16.id())) {
            throw new IllegalArgumentException(BF16_UNSUPPORTED);
        }
        if (s != null) {
            for (Precision p : new Precision[] {Precision.FP32, Precision.INT8, Precision.INT4, Precision.FP16}) {
                if (p.id().equalsIgnoreCase(s.trim())) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("unknown precision '" + s + "'; use fp32, int8, int4 or fp16");
    }
}
