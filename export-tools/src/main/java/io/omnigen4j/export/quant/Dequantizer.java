package io.omnigen4j.export.quant;

import io.omnigen4j.export.onnx.TensorData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Reads quantized weights back to float32 exactly as ONNX Runtime does ({@code (code − zeroPoint) · scale} in
 * float32): the reference for tests and accuracy reports. Works on whole (small) tensors in memory.
 */
public final class Dequantizer {

    private Dequantizer() {
    }

    /**
     * The [n, k] float32 matrix held by packed {@code data} (in {@code layout}), {@code scales} [n · blocks] and
     * {@code zeroPoints} ([n · ⌈blocks·bits/8⌉] uint8, or null: the scheme's default zero point).
     */
    public static float[] dequantize(QuantScheme scheme, QuantizedWeight.Layout layout, int n, int k, byte[] data,
                                     float[] scales, byte[] zeroPoints) {
        int blocks = scheme.blocksPerRow(k);
        int rowBytes = layout == QuantizedWeight.Layout.MATMUL_NBITS ? blocks * scheme.blobBytes()
                : k * scheme.bits() / 8;
        int zpRowBytes = scheme.zeroPointBytesPerRow(k);
        check(data.length == (long) n * rowBytes, "data", data.length, (long) n * rowBytes);
        check(scales.length == (long) n * blocks, "scales", scales.length, (long) n * blocks);
        if (zeroPoints != null) {
            check(zeroPoints.length == (long) n * zpRowBytes, "zero points", zeroPoints.length,
                    (long) n * zpRowBytes);
        }
        float[] out = new float[n * k];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                int b = c / scheme.blockSize();
                int code = nibbleOrByte(scheme.bits(), data, r * rowBytes, c);
                int zp = zeroPoints == null ? scheme.defaultZeroPoint()
                        : nibbleOrByte(scheme.bits(), zeroPoints, r * zpRowBytes, b);
                out[r * k + c] = BlockQuantizer.value(code, zp, scales[r * blocks + b]);
            }
        }
        return out;
    }

    /** Dequantizes a {@link QuantizedWeight} by writing its three tensors to memory first. */
    public static float[] dequantize(QuantizedWeight w) throws IOException {
        byte[] zp = w.scheme().symmetric() ? null : bytes(w.zeroPoints());
        return dequantize(w.scheme(), w.layout(), w.rows(), w.cols(), bytes(w.data()), w.scales().toFloatArray(), zp);
    }

    /** Element {@code i} of a row starting at {@code base}: a byte, or a nibble (even index low). */
    public static int nibbleOrByte(int bits, byte[] packed, int base, int i) {
        if (bits == 8) {
            return packed[base + i] & 0xFF;
        }
        int b = packed[base + i / 2] & 0xFF;
        return (i & 1) == 0 ? b & 0x0F : b >>> 4;
    }

    /** All bytes a {@link TensorData} streams. */
    public static byte[] bytes(TensorData t) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        t.writeTo(chunk -> {
            byte[] b = new byte[chunk.remaining()];
            chunk.duplicate().get(b);
            bos.write(b);
        });
        return bos.toByteArray();
    }

    private static void check(boolean ok, String what, long got, long expected) {
        if (!ok) {
            throw new IllegalArgumentException(what + " has " + got + " bytes/values, expected " + expected);
        }
    }
}
