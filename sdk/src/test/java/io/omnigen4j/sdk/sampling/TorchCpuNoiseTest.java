package io.omnigen4j.sdk.sampling;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TorchCpuGenerator} and {@link TorchCpuNoiseSource} against values recorded from PyTorch 1.13.1
 * ({@code scripts/record_torch_noise.py} → {@code torch-cpu-randn.txt}): AVX2 kernel bit for bit (shown values and
 * SHA-256 of every value), DEFAULT kernel bit for bit below 16 elements and within 4 ulps above.
 */
class TorchCpuNoiseTest {

    /** One recorded line: kind (case/stream), kernel, seed, shape, count, sha256, shown values. */
    record Recorded(String kind, String kernel, long seed, int[] shape, int count, String sha256, int[] shown) {
        /** Index into the full array of the i-th shown value (all when n <= 128, else first 32 and last 32). */
        int index(int i) {
            return count <= 128 ? i : (i < 32 ? i : count - 64 + i);
        }
    }

    static List<Recorded> recorded() throws IOException {
        List<Recorded> out = new ArrayList<>();
        try (InputStream in = TorchCpuNoiseTest.class.getResourceAsStream("torch-cpu-randn.txt")) {
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] t = line.split(" ");
                String[] dims = t[3].split(",");
                int[] shape = new int[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    shape[i] = Integer.parseInt(dims[i]);
                }
                int k = Integer.parseInt(t[6]);
                int[] shown = new int[k];
                for (int i = 0; i < k; i++) {
                    shown[i] = Integer.parseUnsignedInt(t[7 + i], 16);
                }
                out.add(new Recorded(t[0], t[1], TorchCpuGenerator.parseSeed(t[2]), shape, Integer.parseInt(t[4]),
                        t[5], shown));
            }
        }
        return out;
    }

    static String sha256(float[] v) throws NoSuchAlgorithmException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    static TorchCpuKernel kernel(String name) {
        return name.equals("avx2") ? TorchCpuKernel.AVX2 : TorchCpuKernel.DEFAULT;
    }

    @Test
    void avx2KernelIsBitExactForEverySeedAndShape() throws Exception {
        int cases = 0;
        for (Recorded rec : recorded()) {
            if (!rec.kind().equals("case") || !rec.kernel().equals("avx2")) {
                continue;
            }
            float[] got = new TorchCpuGenerator(rec.seed()).randn(rec.count(), TorchCpuKernel.AVX2);
            for (int i = 0; i < rec.shown().length; i++) {
                int want = rec.shown()[i];
                int have = Float.floatToRawIntBits(got[rec.index(i)]);
                assertEquals(want, have, () -> String.format("seed %s shape %s", Long.toUnsignedString(rec.seed()),
                        java.util.Arrays.toString(rec.shape())));
            }
            assertEquals(rec.sha256(), sha256(got), "all " + rec.count() + " values, seed "
                    + Long.toUnsignedString(rec.seed()) + " shape " + java.util.Arrays.toString(rec.shape()));
            cases++;
        }
        assertEquals(9 * 12, cases, "every recorded seed and shape was checked");
    }

    @Test
    void defaultKernelIsExactBelow16AndWithinFourUlpsAbove() throws Exception {
        int exact = 0;
        int differing = 0;
        int compared = 0;
        for (Recorded rec : recorded()) {
            if (!rec.kind().equals("case") || !rec.kernel().equals("default")) {
                continue;
            }
            float[] got = new TorchCpuGenerator(rec.seed()).randn(rec.count(), TorchCpuKernel.DEFAULT);
            if (rec.count() < 16) {
                assertEquals(rec.sha256(), sha256(got), "scalar path, count " + rec.count());
                exact++;
                continue;
            }
            for (int i = 0; i < rec.shown().length; i++) {
                int want = rec.shown()[i];
                int have = Float.floatToRawIntBits(got[rec.index(i)]);
                assertTrue(Math.abs(want - have) <= 4, "within 4 ulps: " + Float.intBitsToFloat(want) + " vs "
                        + Float.intBitsToFloat(have));
                differing += want != have ? 1 : 0;
                compared++;
            }
        }
        assertEquals(9 * 4, exact);
        // glibc's logf/sinf/cosf are not correctly rounded: about 1.5 % of the values differ (measured).
        assertTrue(differing < compared * 0.05, differing + " of " + compared + " differ");
    }

    @Test
    void smallTensorsAreTheSameForBothKernels() throws Exception {
        for (Recorded rec : recorded()) {
            if (rec.count() < 16 && rec.kind().equals("case")) {
                assertArrayEquals(new TorchCpuGenerator(rec.seed()).randn(rec.count(), TorchCpuKernel.AVX2),
                        new TorchCpuGenerator(rec.seed()).randn(rec.count(), TorchCpuKernel.DEFAULT));
            }
        }
    }

    @Test
    void oneGeneratorContinuesAcrossCallsIncludingTheCachedNormal() throws Exception {
        TorchCpuGenerator g = null;
        long seed = 0;
        int lines = 0;
        for (Recorded rec : recorded()) {
            if (!rec.kind().equals("stream") || !rec.kernel().equals("avx2")) {
                continue;
            }
            if (g == null || rec.seed() != seed) {
                seed = rec.seed();
                g = new TorchCpuGenerator(seed);
            }
            assertEquals(rec.sha256(), sha256(g.randn(rec.count(), TorchCpuKernel.AVX2)),
                    "stream seed " + seed + " shape " + java.util.Arrays.toString(rec.shape()));
            lines++;
        }
        assertEquals(12, lines);
    }

    @Test
    void posteriorNoiseFollowsTheStreamInCallOrderAndReplays() throws Exception {
        List<Recorded> stream = new ArrayList<>();
        for (Recorded rec : recorded()) {
            if (rec.kind().equals("stream") && rec.kernel().equals("avx2") && rec.seed() == 7) {
                stream.add(rec);
            }
        }
        TorchCpuNoiseSource src = new TorchCpuNoiseSource(123, 7, TorchCpuKernel.AVX2);
        for (int n = 0; n < stream.size(); n++) {
            assertEquals(stream.get(n).sha256(), sha256(src.posteriorNoise(n, stream.get(n).shape())), "call " + n);
        }
        // Asking again for an earlier call replays the stream.
        assertEquals(stream.get(1).sha256(), sha256(src.posteriorNoise(1, stream.get(1).shape())));
        IllegalStateException skipped = assertThrows(IllegalStateException.class,
                () -> src.posteriorNoise(stream.size() + 1, new int[] {1, 4, 2, 2}));
        assertTrue(skipped.getMessage().contains("call order"), skipped.getMessage());
        IllegalStateException changed = assertThrows(IllegalStateException.class,
                () -> src.posteriorNoise(0, new int[] {1, 4, 2, 2}));
        assertTrue(changed.getMessage().contains("new noise source"), changed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> src.posteriorNoise(-1, new int[] {4}));
    }

    @Test
    void defaultSeedUsesTheSameSeedForLatentsAndPosterior() {
        TorchCpuNoiseSource src = new TorchCpuNoiseSource(42);
        assertEquals(42, src.latentSeed());
        assertEquals(42, src.vaeSeed());
        assertEquals(TorchCpuKernel.AVX2, src.kernel());
        int[] shape = {1, 4, 8, 8};
        // torch.manual_seed(s) and Generator().manual_seed(s) start the same stream: the first ε equals z0.
        assertArrayEquals(src.initialLatents(shape), src.posteriorNoise(0, shape));
        assertFalse(java.util.Arrays.equals(src.initialLatents(shape), src.posteriorNoise(1, shape)));
    }

    @Test
    void seedsAreConvertedAsManualSeedDoes() {
        assertEquals(-1L, TorchCpuGenerator.parseSeed("18446744073709551615"));
        assertEquals(-1L, TorchCpuGenerator.parseSeed("-1"));
        assertEquals(Long.MIN_VALUE, TorchCpuGenerator.parseSeed("-9223372036854775808"));
        assertEquals(Long.MIN_VALUE, TorchCpuGenerator.parseSeed("9223372036854775808"));
        assertEquals(42L, TorchCpuGenerator.parseSeed(" 42 "));
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> TorchCpuGenerator.parseSeed("18446744073709551616"));
        assertTrue(big.getMessage().contains("out of range"), big.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TorchCpuGenerator.parseSeed("-9223372036854775809"));
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> TorchCpuGenerator.parseSeed("4x2"));
        assertTrue(text.getMessage().contains("integer"), text.getMessage());
        // mt19937 takes the low 32 bits: 2**32 + 5 and 5 give the same noise, -1 and 2**32 - 1 as well.
        assertArrayEquals(new TorchCpuGenerator(5).randn(40, TorchCpuKernel.AVX2),
                new TorchCpuGenerator((1L << 32) + 5).randn(40, TorchCpuKernel.AVX2));
        assertNotEquals(new TorchCpuGenerator(5).randn(4, TorchCpuKernel.AVX2)[0],
                new TorchCpuGenerator(6).randn(4, TorchCpuKernel.AVX2)[0]);
    }

    @Test
    void mt19937MatchesTheReferenceImplementation() {
        // mt19937 seeded with 5489 (std::mt19937's default): its 10000th output is 4123659995 (C++11 [rand.predef]).
        TorchCpuGenerator g = new TorchCpuGenerator(5489);
        int last = 0;
        for (int i = 0; i < 10000; i++) {
            last = g.nextInt();
        }
        assertEquals(4123659995L, Integer.toUnsignedLong(last));
        assertThrows(IllegalArgumentException.class, () -> g.randn(-1, TorchCpuKernel.AVX2));
        assertThrows(IllegalArgumentException.class, () -> g.randn(4, null));
        assertThrows(IllegalArgumentException.class, () -> new TorchCpuNoiseSource(1, 1, null));
    }
}
