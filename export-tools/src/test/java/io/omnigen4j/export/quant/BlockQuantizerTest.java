package io.omnigen4j.export.quant;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Block parameters, codes and packing on hand-computed rows; the half-step round-trip bound on random ones. */
class BlockQuantizerTest {

    private static QuantizedWeight weight(float[] w, int n, int k, int bits, int bs, boolean sym,
                                          QuantizedWeight.Layout layout) {
        return new QuantizedWeight(RowSource.of(w, n, k), new QuantScheme(bits, bs, sym), layout, "test");
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static float[] row(int k, float... head) {
        return Arrays.copyOf(head, k);
    }

    @Test
    void symmetric4BitPacksLowNibbleFirstWithHalfToEvenRounding() throws IOException {
        // block 0: absmax 7.5 → scale 1; block 1: absmax 3.75 → scale 0.5; zero point 8
        float[] w = new float[32];
        System.arraycopy(new float[] {-7.5f, 7.25f, 0f, 1f, -1f, 2.5f, 3.5f, -2.5f}, 0, w, 0, 8);
        System.arraycopy(new float[] {3.75f, -3.75f, 0.25f, 0.75f}, 0, w, 16, 4);
        QuantizedWeight q = weight(w, 1, 32, 4, 16, true, QuantizedWeight.Layout.MATMUL_NBITS);
        // codes block 0: -7.5→-8→0, 7.25→7→15, 0→8, 1→9, -1→7, 2.5→2→10, 3.5→4→12, -2.5→-2→6
        // codes block 1: 7.5→8, clamped to 7→15; -7.5→-8→0; 0.5→0→8; 1.5→2→10
        assertArrayEquals(bytes(0xF0, 0x98, 0xA7, 0x6C, 0x88, 0x88, 0x88, 0x88,
                0x0F, 0xA8, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88), Dequantizer.bytes(q.data()));
        assertArrayEquals(new long[] {1, 2, 8}, q.data().shape());
        assertArrayEquals(new float[] {1f, 0.5f}, q.scales().toFloatArray());
        assertArrayEquals(new long[] {1, 2}, q.scales().shape());
        assertThrows(IllegalStateException.class, q::zeroPoints);
        float[] back = Dequantizer.dequantize(q);
        assertEquals(-8f, back[0]);
        assertEquals(7f, back[1]);
        assertEquals(2f, back[5]);
        assertEquals(3.5f, back[16]);
        assertEquals(-4f, back[17]);
    }

    @Test
    void symmetric8BitPadsTheLastBlockWithTheZeroPointForMatMulNBitsOnly() throws IOException {
        float[] w = new float[20];
        System.arraycopy(new float[] {-127.5f, 127.25f, 0f, 1.5f, 2.5f, -0.5f}, 0, w, 0, 6);
        System.arraycopy(new float[] {63.75f, -1f, 0.25f, 0.75f}, 0, w, 16, 4);
        QuantizedWeight q = weight(w, 1, 20, 8, 16, true, QuantizedWeight.Layout.MATMUL_NBITS);
        byte[] expected = new byte[32];
        Arrays.fill(expected, (byte) 128);
        // block 0 (scale 1): -127.5→-128→0, 127.25→127→255, 0→128, 1.5→2→130, 2.5→2→130, -0.5→-0→128
        expected[0] = 0;
        expected[1] = (byte) 255;
        expected[3] = (byte) 130;
        expected[4] = (byte) 130;
        // block 1 (scale 0.5): 127.5→128 clamped→255, -2→126, 0.5→0→128, 1.5→2→130; 12 padded slots 128
        expected[16] = (byte) 255;
        expected[17] = (byte) 126;
        expected[19] = (byte) 130;
        assertArrayEquals(expected, Dequantizer.bytes(q.data()));
        assertArrayEquals(new long[] {1, 2, 16}, q.data().shape());
        assertArrayEquals(new float[] {1f, 0.5f}, q.scales().toFloatArray());

        QuantizedWeight gather = weight(w, 1, 20, 8, 16, true, QuantizedWeight.Layout.GATHER);
        assertArrayEquals(Arrays.copyOf(expected, 20), Dequantizer.bytes(gather.data()));
        assertArrayEquals(new long[] {1, 20}, gather.data().shape());
    }

    @Test
    void asymmetric4BitZeroPointsPackTwoPerByteAndPadEachRow() throws IOException {
        int k = 48; // three blocks of 16: zero points take 2 bytes a row, the second with an unused high nibble
        float[] r0 = new float[k];
        System.arraycopy(new float[] {-3f, 12f, 0f, 4.5f, -2.5f}, 0, r0, 0, 5); // [-3,12] → scale 1, zp 3
        System.arraycopy(new float[] {7.5f, 1.25f}, 0, r0, 16, 2);               // [0,7.5] → scale 0.5, zp 0
        float[] w = new float[2 * k];                                             // block 2 all 0 → scale 0
        System.arraycopy(r0, 0, w, 0, k);
        for (int c = 0; c < k; c++) {
            w[k + c] = -r0[c];                // row 1: [-12,3] → scale 1, zp 12; [-7.5,0] → scale 0.5, zp 15
        }
        QuantizedWeight q = weight(w, 2, k, 4, 16, false, QuantizedWeight.Layout.MATMUL_NBITS);
        assertArrayEquals(new float[] {1f, 0.5f, 0f, 1f, 0.5f, 0f}, q.scales().toFloatArray());
        assertArrayEquals(bytes(0x03, 0x00, 0xFC, 0x00), Dequantizer.bytes(q.zeroPoints()));
        assertArrayEquals(new long[] {2, 2}, q.zeroPoints().shape());
        byte[] data = Dequantizer.bytes(q.data());
        assertEquals(2 * 3 * 8, data.length);
        // row 0 block 0: -3→0, 12→15, 0→3, 4.5→4+3=7, -2.5→-2+3=1, rest 3
        assertArrayEquals(bytes(0xF0, 0x73, 0x31, 0x33, 0x33, 0x33, 0x33, 0x33), Arrays.copyOfRange(data, 0, 8));
        // row 0 block 1: 7.5/0.5=15, 1.25/0.5=2.5→2, rest 0; block 2: all zero points (0)
        assertArrayEquals(bytes(0x2F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Arrays.copyOfRange(data, 8, 24));
        // row 1 block 0: 3→15, -12→0, 0→12, -4.5→-4+12=8, 2.5→2+12=14, rest 12
        assertArrayEquals(bytes(0x0F, 0x8C, 0xCE, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC), Arrays.copyOfRange(data, 24, 32));
        // row 1 block 1: -15+15=0, -2.5→-2+15=13, rest 15
        assertArrayEquals(bytes(0xD0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), Arrays.copyOfRange(data, 32, 40));
        float[] back = Dequantizer.dequantize(q);
        assertEquals(4f, back[3]);
        assertEquals(1f, back[17]);
        assertEquals(-1f, back[k + 17]); // -1.25 / 0.5 = -2.5 rounds to -2: (13 - 15) · 0.5
        assertEquals(0f, back[40]);
    }

    @Test
    void asymmetric8BitHasOneZeroPointBytePerBlock() throws IOException {
        float[] w = row(16, -51f, 204f, 0f, 1.5f, 0.5f); // [-51, 204] → scale 1, zp 51
        QuantizedWeight q = weight(w, 1, 16, 8, 16, false, QuantizedWeight.Layout.GATHER);
        assertArrayEquals(new float[] {1f}, q.scales().toFloatArray());
        assertArrayEquals(bytes(51), Dequantizer.bytes(q.zeroPoints()));
        byte[] expected = new byte[16];
        Arrays.fill(expected, (byte) 51);
        expected[0] = 0;
        expected[1] = (byte) 255;
        expected[3] = 53; // 1.5 → 2
        expected[4] = 51; // 0.5 → 0
        assertArrayEquals(expected, Dequantizer.bytes(q.data()));
    }

    @Test
    void scalesFollowTheSchemeOnRandomRows() throws IOException {
        Random rnd = new Random(3);
        int n = 4, k = 96, bs = 32;
        float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
        for (int bits : new int[] {8, 4}) {
            float[] sym = weight(w, n, k, bits, bs, true, QuantizedWeight.Layout.MATMUL_NBITS).scales().toFloatArray();
            float[] asym = weight(w, n, k, bits, bs, false, QuantizedWeight.Layout.MATMUL_NBITS).scales()
                    .toFloatArray();
            for (int r = 0; r < n; r++) {
                for (int b = 0; b < k / bs; b++) {
                    float lo = 0, hi = 0;
                    for (int c = b * bs; c < (b + 1) * bs; c++) {
                        lo = Math.min(lo, w[r * k + c]);
                        hi = Math.max(hi, w[r * k + c]);
                    }
                    int i = r * (k / bs) + b;
                    assertEquals((float) (Math.max(-lo, hi) / ((1 << (bits - 1)) - 0.5)), sym[i], "sym " + bits);
                    assertEquals((float) (((double) hi - lo) / ((1 << bits) - 1)), asym[i], "asym " + bits);
                }
            }
        }
    }

    @Test
    void roundTripIsWithinHalfAStepEverywhere() throws IOException {
        Random rnd = new Random(11);
        int n = 7;
        for (int k : new int[] {64, 80, 200}) {
            float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
            w[5] = 0.3f; // an outlier
            for (int bits : new int[] {8, 4}) {
                for (int bs : new int[] {16, 32, 128}) {
                    for (boolean sym : new boolean[] {true, false}) {
                        for (QuantizedWeight.Layout layout : QuantizedWeight.Layout.values()) {
                            QuantizedWeight q = weight(w, n, k, bits, bs, sym, layout);
                            float[] scales = q.scales().toFloatArray();
                            float[] back = Dequantizer.dequantize(q);
                            int blocks = q.blocksPerRow();
                            for (int r = 0; r < n; r++) {
                                for (int c = 0; c < k; c++) {
                                    float s = scales[r * blocks + c / bs];
                                    float err = Math.abs(w[r * k + c] - back[r * k + c]);
                                    // half a step, plus float32 rounding of the stored scale and of (q − zp)·s
                                    float eps = 4 * Math.ulp(Math.abs(w[r * k + c]));
                                    assertTrue(err <= s * 0.5f + eps, q.scheme().tag() + " "
                                            + layout + " k=" + k + " (" + r + "," + c + "): error " + err
                                            + " > scale/2 = " + s / 2);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void rintRoundsHalfToEven() {
        BlockQuantizer q = new BlockQuantizer(new QuantScheme(8, 16, true));
        // scale 1, zero point 128: code − 128 is the rounded value
        assertEquals(128, q.code(0.5f, 1f, 128));
        assertEquals(130, q.code(1.5f, 1f, 128));
        assertEquals(130, q.code(2.5f, 1f, 128));
        assertEquals(128, q.code(-0.5f, 1f, 128));
        assertEquals(126, q.code(-1.5f, 1f, 128));
        assertEquals(126, q.code(-2.5f, 1f, 128));
        assertEquals(0, q.code(-1000f, 1f, 128));
        assertEquals(255, q.code(1000f, 1f, 128));
        assertEquals(128, q.code(5f, 0f, 128)); // an all-zero block has scale 0
    }

    @Test
    void nonFiniteWeightsAndUnpackableRowsAreRejectedWithTheirPlace() {
        float[] w = new float[2 * 32];
        w[32 + 7] = Float.NaN;
        QuantizedWeight q = weight(w, 2, 32, 8, 16, true, QuantizedWeight.Layout.MATMUL_NBITS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dequantizer.bytes(q.data()));
        assertTrue(e.getMessage().contains("test, row 1") && e.getMessage().contains("column 7"), e.getMessage());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () ->
                weight(new float[17], 1, 17, 4, 16, true, QuantizedWeight.Layout.GATHER));
        assertTrue(odd.getMessage().contains("17 columns"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantScheme(8, 24, true));
        assertThrows(IllegalArgumentException.class, () -> new QuantScheme(2, 32, true));
    }

    @Test
    void streamsInChunksOfRowsWithTheSameBytes() throws IOException {
        // 600 rows × 4096 columns: more than one 1 Mi-value chunk
        Random rnd = new Random(5);
        int n = 600, k = 4096;
        float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
        RowSource memory = RowSource.of(w, n, k);
        int[] widest = {0};
        RowSource watched = new RowSource() {
            public int rows() {
                return n;
            }

            public int cols() {
                return k;
            }

            public void read(int first, int count, float[] dst) throws IOException {
                widest[0] = Math.max(widest[0], count);
                memory.read(first, count, dst);
            }
        };
        QuantizedWeight all = new QuantizedWeight(watched, new QuantScheme(4, 64, false),
                QuantizedWeight.Layout.MATMUL_NBITS, "all");
        int[] chunks = {0};
        all.data().writeTo(c -> chunks[0]++);
        all.scales().writeTo(c -> { });
        all.zeroPoints().writeTo(c -> { });
        assertTrue(chunks[0] > 1, "chunks: " + chunks[0]);
        assertEquals(256, widest[0], "rows read at a time: at most 1 Mi values");
        byte[] whole = Dequantizer.bytes(all.data());
        QuantizedWeight tail = new QuantizedWeight(RowSource.of(Arrays.copyOfRange(w, 599 * k, n * k), 1, k),
                all.scheme(), QuantizedWeight.Layout.MATMUL_NBITS, "tail");
        assertArrayEquals(Dequantizer.bytes(tail.data()), Arrays.copyOfRange(whole, 599 * k / 2, n * k / 2));
    }
}
