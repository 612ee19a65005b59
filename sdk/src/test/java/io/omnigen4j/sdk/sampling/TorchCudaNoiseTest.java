package io.omnigen4j.sdk.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Philox4x32-10 against Random123's known-answer vectors, and the layout of PyTorch's CUDA normal kernel
 * ({@link TorchCudaNoiseSource}). The values themselves were not compared with a GPU (see the class comment).
 */
class TorchCudaNoiseTest {

    /** Random123 {@code examples/kat_vectors}, the three "philox4x32 10" lines: counter, key, expected output. */
    @Test
    void philoxMatchesRandom123KnownAnswers() {
        assertArrayEquals(words(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8),
                Philox4x32.block(words(0, 0, 0, 0), words(0, 0), 10));
        assertArrayEquals(words(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd),
                Philox4x32.block(words(-1, -1, -1, -1), words(-1, -1), 10));
        assertArrayEquals(words(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1),
                Philox4x32.block(words(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), words(0xa4093822, 0x299f31d0),
                        10));
        // The 7-round line of the same file checks the round/bump order independently of the round count.
        assertArrayEquals(words(0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a),
                Philox4x32.block(words(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), words(0xa4093822, 0x299f31d0),
                        7));
    }

    @Test
    void curandStateMapsSeedSubsequenceAndOffsetToTheCounter() {
        long seed = 0x299f31d0a4093822L;
        // key = (low, high) half of the seed; subsequence in counter words 2-3; offset / 4 + calls in words 0-1.
        assertArrayEquals(Philox4x32.block(words(7 + 3, 0, 5, 0), words(0xa4093822, 0x299f31d0), 10),
                Philox4x32.curand4(seed, 5, 28, 3));
        assertArrayEquals(Philox4x32.block(words(0, 0, 0, 1), words(0xa4093822, 0x299f31d0), 10),
                Philox4x32.curand4(seed, 1L << 32, 0, 0));
        // Carry out of the low 64 bits into the subsequence half (offset / 4 = 1 plus 2^64 - 1 calls).
        assertArrayEquals(Philox4x32.block(words(0, 0, 1, 0), words(1, 0), 10),
                Philox4x32.curand4(1, 0, 4, -1L));
    }

    @Test
    void uncappedGridUsesTheFirstValueOfOneDrawPerElement() {
        float[] v = TorchCudaNoiseSource.randn(9, 0, 1000, Integer.MAX_VALUE);
        for (int e : new int[] {0, 1, 255, 256, 999}) {
            int[] w = Philox4x32.curand4(9, e, 0, 0);
            assertEquals(TorchCudaNoiseSource.boxMuller(w[0], w[1], 0), v[e], "element " + e);
        }
        assertEquals(4, TorchCudaNoiseSource.offsetIncrement(1000, Integer.MAX_VALUE));
        assertEquals(4, TorchCudaNoiseSource.offsetIncrement(65536, Integer.MAX_VALUE));
    }

    @Test
    void cappedGridStridesOverThreadsAndUnrolledLanes() {
        int cap = 2; // T = 512 threads: element e -> thread e % 512, lane (e / 512) % 4, draw e / 2048
        float[] v = TorchCudaNoiseSource.randn(3, 8, 5000, cap);
        int[][] expect = {{0, 0, 0}, {511, 0, 0}, {512, 1, 0}, {1023, 1, 0}, {1024, 2, 0}, {1536, 3, 0},
            {2048, 0, 1}, {4999, 1, 2}};
        for (int[] x : expect) {
            int e = x[0];
            int lane = x[1];
            int[] w = Philox4x32.curand4(3, e % 512, 8, x[2]);
            float want = lane < 2 ? TorchCudaNoiseSource.boxMuller(w[0], w[1], lane)
                    : TorchCudaNoiseSource.boxMuller(w[2], w[3], lane - 2);
            assertEquals(want, v[e], "element " + e);
        }
        // ceil(5000 / (512 * 4)) = 3 draws per thread -> the offset moves by 12.
        assertEquals(12, TorchCudaNoiseSource.offsetIncrement(5000, cap));
        assertEquals(2, TorchCudaNoiseSource.grid(5000, cap));
        assertEquals(20, TorchCudaNoiseSource.grid(5000, Integer.MAX_VALUE));
    }

    @Test
    void gpuIndependenceThreshold() {
        int[] shape = {1, 4, 128, 128}; // 1024x1024 image: 256 blocks
        TorchCudaNoiseSource big = TorchCudaNoiseSource.forDevice(5, 5, 132, 2048);   // H100 SXM
        TorchCudaNoiseSource exact = TorchCudaNoiseSource.forDevice(5, 5, 32, 2048);  // exactly 256 blocks
        TorchCudaNoiseSource small = TorchCudaNoiseSource.forDevice(5, 5, 28, 1536);  // RTX 3060: 168 blocks
        float[] reference = new TorchCudaNoiseSource(5).initialLatents(shape);
        assertArrayEquals(reference, big.initialLatents(shape));
        assertArrayEquals(reference, exact.initialLatents(shape));
        assertNotEquals(reference[168 * 256], small.initialLatents(shape)[168 * 256]);
        assertThrows(IllegalArgumentException.class, () -> TorchCudaNoiseSource.forDevice(1, 1, 0, 2048));
        assertThrows(IllegalArgumentException.class, () -> TorchCudaNoiseSource.forDevice(1, 1, 10, 128));
    }

    @Test
    void posteriorNoiseAdvancesTheOffsetPerCall() {
        TorchCudaNoiseSource src = new TorchCudaNoiseSource(1, 77);
        int[] a = {1, 4, 6, 8};
        int[] b = {1, 4, 4, 4};
        assertArrayEquals(TorchCudaNoiseSource.randn(77, 0, 192, Integer.MAX_VALUE), src.posteriorNoise(0, a));
        assertArrayEquals(TorchCudaNoiseSource.randn(77, 4, 64, Integer.MAX_VALUE), src.posteriorNoise(1, b));
        assertArrayEquals(TorchCudaNoiseSource.randn(77, 8, 192, Integer.MAX_VALUE), src.posteriorNoise(2, a));
        assertThrows(IllegalStateException.class, () -> src.posteriorNoise(4, a));
    }

    @Test
    void valuesLookStandardNormal() {
        float[] v = new TorchCudaNoiseSource(2024).initialLatents(new int[] {1, 4, 64, 64});
        double sum = 0;
        double sq = 0;
        for (float f : v) {
            assertTrue(Float.isFinite(f));
            sum += f;
            sq += (double) f * f;
        }
        double mean = sum / v.length;
        double var = sq / v.length - mean * mean;
        assertTrue(Math.abs(mean) < 0.05, "mean " + mean);
        assertTrue(Math.abs(var - 1) < 0.05, "variance " + var);
    }

    private static int[] words(int... w) {
        return w;
    }
}
