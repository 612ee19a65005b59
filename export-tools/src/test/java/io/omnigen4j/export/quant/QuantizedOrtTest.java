package io.omnigen4j.export.quant;

import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX Runtime (CPU) reads the packed layouts as the Java dequantizer does: MatMulNBits against x · dequant(W)ᵀ,
 * GatherBlockQuantized against dequantized rows.
 */
class QuantizedOrtTest {

    private static QuantizedWeight quantize(float[] w, int n, int k, QuantScheme s, QuantizedWeight.Layout l) {
        return new QuantizedWeight(RowSource.of(w, n, k), s, l, "w");
    }

    /**
     * accuracy_level 0 and 1 dequantize to float32 and multiply in float32: |Δ| ≤ 1e-5 · Σ|x||w| (float32
     * accumulation). Level 4 also quantizes x to int8 per block: its bound adds, per output, Σ_c (max|x_row| / 127)
     * · |w_c| — twice the half-step error of an int8 code of x, enough for any block size ORT picks.
     */
    @Test
    void matMulNBitsComputesXTimesTheDequantizedWeight() throws Exception {
        Random rnd = new Random(7);
        int n = 24, m = 5;
        for (int bits : new int[] {8, 4}) {
            for (boolean sym : new boolean[] {true, false}) {
                for (int k : new int[] {64, 80}) { // 80 = 2½ blocks of 32: the last block is padded
                    QuantScheme scheme = new QuantScheme(bits, 32, sym);
                    float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
                    QuantizedWeight q = quantize(w, n, k, scheme, QuantizedWeight.Layout.MATMUL_NBITS);
                    float[] dq = Dequantizer.dequantize(q);
                    float[] x = QuantGraphs.gaussian(rnd, m * k, 1);
                    float[] ref = QuantGraphs.reference(x, m, k, dq, n);
                    for (int level : new int[] {0, 1, 4}) {
                        for (int rank : new int[] {2, 3}) {
                            float[] y;
                            try (OrtSession s = QuantGraphs.session(QuantGraphs.matMulNBits(q, level, rank), 1)) {
                                y = rank == 2 ? QuantGraphs.run(s, x, m, k) : QuantGraphs.run(s, x, 1, m, k);
                            }
                            assertEquals(m * n, y.length);
                            double worst = 0;
                            for (int i = 0; i < m; i++) {
                                double xmax = 0;
                                for (int c = 0; c < k; c++) {
                                    xmax = Math.max(xmax, Math.abs(x[i * k + c]));
                                }
                                for (int j = 0; j < n; j++) {
                                    double absDot = 0, wsum = 0;
                                    for (int c = 0; c < k; c++) {
                                        absDot += Math.abs((double) x[i * k + c] * dq[j * k + c]);
                                        wsum += Math.abs(dq[j * k + c]);
                                    }
                                    double tol = 1e-5 * absDot + (level == 4 ? xmax / 127 * wsum : 0);
                                    double err = Math.abs(y[i * n + j] - ref[i * n + j]);
                                    worst = Math.max(worst, err / tol);
                                    assertTrue(err <= tol, scheme.tag() + " K=" + k + " level " + level + " rank "
                                            + rank + " (" + i + "," + j + "): |Δ| " + err + " > " + tol);
                                }
                            }
                            if (rank == 2) {
                                System.out.printf("MatMulNBits %s K=%d level %d: worst |Δ|/tolerance %.3f%n",
                                        scheme.tag(), k, level, worst);
                            }
                        }
                    }
                }
            }
        }
    }

    /** GatherBlockQuantized computes (code − zp) · scale in float32 exactly as the Java dequantizer. */
    @Test
    void gatherBlockQuantizedReturnsTheDequantizedRows() throws Exception {
        Random rnd = new Random(9);
        int rows = 10;
        for (int bits : new int[] {8, 4}) {
            for (boolean sym : new boolean[] {true, false}) {
                for (int k : new int[] {64, 80}) {
                    QuantScheme scheme = new QuantScheme(bits, 32, sym);
                    float[] w = QuantGraphs.gaussian(rnd, rows * k, 0.02);
                    QuantizedWeight q = quantize(w, rows, k, scheme, QuantizedWeight.Layout.GATHER);
                    float[] dq = Dequantizer.dequantize(q);
                    long[] ids = {3, 0, 9, 3, 7, 1};
                    float[] y;
                    try (OrtSession s = QuantGraphs.session(QuantGraphs.gather(q), 1)) {
                        y = QuantGraphs.runIds(s, ids, 2, 3);
                    }
                    assertEquals(ids.length * k, y.length);
                    for (int i = 0; i < ids.length; i++) {
                        for (int c = 0; c < k; c++) {
                            assertEquals(dq[(int) ids[i] * k + c], y[i * k + c], scheme.tag() + " K=" + k + " id "
                                    + ids[i] + " col " + c);
                        }
                    }
                }
            }
        }
    }

    @Test
    void matMulNBitsAndGatherShareTheCodesWhenKIsWholeBlocks() throws IOException {
        float[] w = QuantGraphs.gaussian(new Random(2), 6 * 64, 0.02);
        QuantScheme s = new QuantScheme(4, 32, false);
        byte[] a = Dequantizer.bytes(quantize(w, 6, 64, s, QuantizedWeight.Layout.MATMUL_NBITS).data());
        byte[] b = Dequantizer.bytes(quantize(w, 6, 64, s, QuantizedWeight.Layout.GATHER).data());
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }
}
