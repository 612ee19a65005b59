package io.omnigen4j.sdk.sampling;

/**
 * The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2,
 * 3", SC 2011; the Random123 library), as cuRAND's {@code curandStatePhilox4_32_10_t} uses it: a 128-bit counter
 * (four 32-bit words, word 0 least significant) and a 64-bit key (word 0 = low half of the seed), ten rounds with the
 * key bumped between rounds. Checked against Random123's known-answer vectors ({@code kat_vectors}).
 */
final class Philox4x32 {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox4x32() {
    }

    /**
     * Philox4x32 with {@code rounds} rounds of {@code counter} under {@code key}.
     *
     * @param counter four 32-bit counter words, least significant first (not modified)
     * @param key     two 32-bit key words
     * @param rounds  number of rounds (10 for cuRAND)
     * @return four output words
     */
    static int[] block(int[] counter, int[] key, int rounds) {
        int c0 = counter[0];
        int c1 = counter[1];
        int c2 = counter[2];
        int c3 = counter[3];
        int k0 = key[0];
        int k1 = key[1];
        for (int r = 0; r < rounds; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /**
     * The output of a cuRAND Philox state after {@code curand_init(seed, subsequence, offset)} (with {@code offset}
     * a multiple of 4, as PyTorch always passes) and {@code calls} further {@code curand4} calls: the counter is
     * (offset / 4 + calls) in the low 64 bits plus {@code subsequence} in the high 64 bits.
     */
    static int[] curand4(long seed, long subsequence, long offset, long calls) {
        long lo = (offset >>> 2) + calls;
        long hi = subsequence;
        if (Long.compareUnsigned(lo, offset >>> 2) < 0) {
            hi++; // carry out of the low 64 bits
        }
        return block(new int[] {(int) lo, (int) (lo >>> 32), (int) hi, (int) (hi >>> 32)},
                new int[] {(int) seed, (int) (seed >>> 32)}, 10);
    }
}
