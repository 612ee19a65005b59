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
     * The int8 and int4 bounds were measured (conformance/README.md, "Quantized precisions"): on the five public
     * cases (tiny random model a, 1 and 2 threads, identical results) each bound is twice the worst error seen,
     * rounded up to two significant digits; the 8-bit rule allows twice the worst 95th percentile of the level
     * differences on 95 % of the values and twice the worst single difference (at most 255). Random weights make the
     * quantization error relatively large (int8 ≈ 5 %, int4 ≈ 50 % of the signal per step), so these are wide.
     */

    /** int8 weights (MatMulNBits, blocks of 128, symmetric, accuracy level 4); measured worst: see the README. */
    public static final PrecisionTolerances INT8 = new PrecisionTolerances(Precision.INT8,
            Tolerance.abs(0.64),   // raw: worst 0.318
            Tolerance.abs(1.4),    // velocity: worst 0.664
            Tolerance.abs(0.45),   // z_in (i ≥ 1), z_out: worst 0.222
            Tolerance.abs(1.7),    // latents.final: worst 0.844
            Tolerance.abs(13),     // vae_decode.input: worst 6.48
            Tolerance.abs(0.35),   // vae_decode.output: worst 0.172
            Tolerance.abs(0.18),   // image.float01: worst 0.0862
            new Uint8Rule(20, 0.05, 44)); // worst p95 10 levels, max 22

    /** int4 weights (MatMulNBits, blocks of 32, asymmetric, accuracy level 4); measured worst: see the README. */
    public static final PrecisionTolerances INT4 = new PrecisionTolerances(Precision.INT4,
            Tolerance.abs(4.5),    // raw: worst 2.24
            Tolerance.abs(11),     // velocity: worst 5.35
            Tolerance.abs(3.6),    // z_in (i ≥ 1), z_out: worst 1.79
            Tolerance.abs(7.8),    // latents.final: worst 3.87
            Tolerance.abs(60),     // vae_decode.input: worst 29.7
            Tolerance.abs(2.1),    // vae_decode.output: worst 1.01
            Tolerance.abs(1.1),    // image.float01: worst 0.504 (the bound exceeds the [0, 1] range)
            new Uint8Rule(122, 0.05, 255)); // worst p95 61 levels, max 128 (2× = 256: no cap)

    /**
     * The bounds for {@code p}.
     *
     * @throws IllegalArgumentException for a precision the exporter cannot produce (fp16, bf16)
     */
    public static PrecisionTolerances of(Precision p) {
        return switch (Objects.requireNonNull(p, "precision")) {
            case FP32 -> FP32;
            case INT8 -> INT8;
            case INT4 -> INT4;
            default -> throw new IllegalArgumentException("precision " + p.id()
                    + " is not supported by the conformance runner; use fp32, int8 or int4");
        };
    }

    /**
     * Parses the command-line spelling {@code fp32}, {@code int8} or {@code int4} (any case).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Precision parse(String s) {
        if (s != null) {
            for (Precision p : new Precision[] {Precision.FP32, Precision.INT8, Precision.INT4}) {
                if (p.id().equalsIgnoreCase(s.trim())) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("unknown precision '" + s + "'; use fp32, int8 or int4");
    }
}
