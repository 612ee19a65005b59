package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.OnnxType;

/**
 * How the transformer's linear weights are stored in the exported graphs.
 *
 * @param bits              0 for float32, otherwise 8 or 4: block-wise weight-only quantization
 *                          ({@code com.microsoft.MatMulNBits}); activations, norms, RoPE and attention stay float32
 * @param blockSize         weights per quantization block along the input dimension (a power of two ≥ 16)
 * @param symmetric         true: no zero points (the code's midpoint is zero); false: a zero point per block
 * @param accuracyLevel     MatMulNBits' {@code accuracy_level}: the smallest type ONNX Runtime may compute in
 *                          (0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8)
 * @param quantizeEmbedding whether the token embedding table is stored quantized too ({@code GatherBlockQuantized})
 * @param floatType         element type of the unquantized weights and of the transformer's compute:
 *                          {@link OnnxType#FLOAT}, or {@link OnnxType#FLOAT16} / {@link OnnxType#BFLOAT16} for the
 *                          half-precision graphs (bits 0 only; see {@link TransformerGraphs} for what stays float32)
 */
public record WeightFormat(int bits, int blockSize, boolean symmetric, int accuracyLevel, boolean quantizeEmbedding,
                           OnnxType floatType) {

    public static final WeightFormat FP32 = new WeightFormat(0, 0, true, 0, false);
    /** float16 weights and compute (GPU graphs): norms, softmax and the residual stream stay float32. */
    public static final WeightFormat FP16 = new WeightFormat(0, 0, true, 0, false, OnnxType.FLOAT16);
    /** bfloat16 weights and compute (GPU graphs; ONNX Runtime's CPU provider has no bfloat16 MatMul). */
    public static final WeightFormat BF16 = new WeightFormat(0, 0, true, 0, false, OnnxType.BFLOAT16);

    /** A float32 or quantized format (float32 activations). */
    public WeightFormat(int bits, int blockSize, boolean symmetric, int accuracyLevel, boolean quantizeEmbedding) {
        this(bits, blockSize, symmetric, accuracyLevel, quantizeEmbedding, OnnxType.FLOAT);
    }

    public WeightFormat {
        java.util.Objects.requireNonNull(floatType, "floatType");
        if (floatType != OnnxType.FLOAT && floatType != OnnxType.FLOAT16 && floatType != OnnxType.BFLOAT16) {
            throw new IllegalArgumentException("float type must be FLOAT, FLOAT16 or BFLOAT16, got " + floatType);
        }
        if (bits != 0 && floatType != OnnxType.FLOAT) {
            throw new IllegalArgumentException("quantized formats compute in float32, got " + floatType);
        }
        if (bits != 0 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("bits must be 0 (float32), 4 or 8, got " + bits);
        }
        if (bits != 0 && (blockSize < 16 || Integer.bitCount(blockSize) != 1)) {
            throw new IllegalArgumentException("block size must be a power of two ≥ 16, got " + blockSize);
        }
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new IllegalArgumentException("accuracy level must be 0..4, got " + accuracyLevel);
        }
    }

    /**
     * The export defaults for {@code bits} 8 or 4, picked from MatMulNBits measurements on a 2-core x86 CPU
     * (ONNX Runtime 1.29; export-tools' {@code MatMulNBitsBench}, numbers in onnx-models/README.md). Both compute
     * in int8 (accuracy level 4: levels 0/1 make int8 weights 2–8× slower than float32). int8: blocks of 128,
     * symmetric — the fastest int8 variant (1.3–1.9× float32 on one thread at M = 514), output error about
     * 0.9 % (mean |Δ| / mean |y|). int4: blocks of 128, asymmetric — about 1.5× faster than blocks of 32 and a
     * third less memory once loaded (ONNX Runtime's packed form keeps a float scale and a float block sum per block,
     * and the original scales stay mapped: 0.75 → 0.56 bytes per weight), at 11 % output error against 8 % for
     * blocks of 32 ({@code --quant-block-size 32} where memory allows).
     */
    public static WeightFormat defaults(int bits) {
        return switch (bits) {
            case 8 -> new WeightFormat(8, 128, true, 4, true);
            case 4 -> new WeightFormat(4, 128, false, 4, true);
            default -> throw new IllegalArgumentException("no quantized defaults for " + bits + " bits");
        };
    }

    public boolean quantized() {
        return bits != 0;
    }

    /** Whether weights and compute are float16 or bfloat16 (the GPU graphs). */
    public boolean half() {
        return floatType != OnnxType.FLOAT;
    }
}
