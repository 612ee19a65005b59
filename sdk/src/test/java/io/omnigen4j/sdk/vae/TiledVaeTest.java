package io.omnigen4j.sdk.vae;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TiledVae} with fake graphs: the untiled cases, tile positions, blend weights at the seams, stitching of odd
 * sizes, encoding (moments) and errors. The fake decoders read the tile's place in the image from the latents
 * (channel 0 = latent row, channel 1 = latent column), so they can emit functions of global pixel coordinates.
 */
class TiledVaeTest {

    private static final int F = 8;

    /** Latents [n, 2, h, w] whose channel 0 is the row and channel 1 the column of each cell (plus 1000·sample). */
    private static Nchw coordinates(int n, int h, int w) {
        float[] d = new float[n * 2 * h * w];
        for (int b = 0; b < n; b++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    d[((b * 2) * h + y) * w + x] = y + 1000 * b;
                    d[((b * 2 + 1) * h + y) * w + x] = x;
                }
            }
        }
        return new Nchw(d, n, 2, h, w);
    }

    /** A fake decoder: pixel (Y, X) of the image (global coordinates) → {@code fn(Y, X)} in 3 channels. */
    private interface PixelFunction {
        float at(int channel, float y, float x);
    }

    private static TiledVae.Runner<RuntimeException> decoder(PixelFunction fn, List<Nchw> calls) {
        return t -> {
            calls.add(t);
            int h = t.height() * F, w = t.width() * F, plane = t.height() * t.width();
            float[] out = new float[t.batch() * 3 * h * w];
            for (int b = 0; b < t.batch(); b++) {
                int base = b * 2 * plane;
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            int cell = (y / F) * t.width() + x / F;
                            float gy = t.data()[base + cell] * F + y % F;
                            float gx = t.data()[base + plane + cell] * F + x % F;
                            out[((b * 3 + c) * h + y) * w + x] = fn.at(c, gy, gx);
                        }
                    }
                }
            }
            return new Nchw(out, t.batch(), 3, h, w);
        };
    }

    private static final PixelFunction RAMP = (c, y, x) -> c == 0 ? 0.25f * y + 0.5f * x + 1 : c == 1 ? y - x : -x;

    private static void assertRamp(Nchw img, int n, int h, int w, float tol) {
        assertArrayEquals(new long[] {n, 3, h, w}, img.shape());
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float want = RAMP.at(c, y + 1000 * F * b, x);
                        float got = img.data()[((b * 3 + c) * h + y) * w + x];
                        if (Math.abs(got - want) > tol) {
                            throw new AssertionError("sample " + b + " channel " + c + " at (" + y + ", " + x + "): "
                                    + got + " != " + want);
                        }
                    }
                }
            }
        }
    }

    @Test
    void anImageThatFitsOneTileIsOneCallWithTheWholeBatch() {
        Nchw z = coordinates(2, 64, 40);
        for (VaeTiling mode : VaeTiling.values()) {
            List<Nchw> calls = new ArrayList<>();
            TiledVae vae = new TiledVae(mode, 512, F);
            Nchw out = vae.decode(z, decoder(RAMP, calls));
            assertEquals(1, calls.size(), mode.name());
            assertSame(z, calls.get(0), "the input itself, not a copy: " + mode);
            assertEquals(1, vae.decodeRuns(64, 40));
            assertRamp(out, 2, 512, 320, 0f);
        }
    }

    @Test
    void neverAndAutoLeaveSmallImagesUntiled() {
        // 512×512 exceeds a 256-pixel tile, but AUTO keeps every image of ≤ 512² pixels in one run.
        for (VaeTiling mode : new VaeTiling[] {VaeTiling.AUTO, VaeTiling.NEVER}) {
            TiledVae vae = new TiledVae(mode, 256, F);
            List<Nchw> calls = new ArrayList<>();
            Nchw z = coordinates(1, 64, 64);
            vae.decode(z, decoder(RAMP, calls));
            assertEquals(List.of(z), calls, mode.name());
            assertEquals(1, vae.decodeRuns(64, 64));
            assertEquals(1, vae.decodeRuns(32, 128), "512×256 pixels");
            assertEquals(1, vae.encodeRuns(512, 512));
            Nchw px = new Nchw(new float[3 * 512 * 512], 1, 3, 512, 512);
            List<Nchw> encCalls = new ArrayList<>();
            vae.encode(px, t -> {
                encCalls.add(t);
                return new Nchw(new float[8 * 64 * 64], 1, 8, 64, 64);
            });
            assertEquals(List.of(px), encCalls);
        }
        assertEquals(1, new TiledVae(VaeTiling.NEVER, 256, F).decodeRuns(128, 128));
        // Above 512² pixels AUTO tiles like ALWAYS.
        assertEquals(3 * 3, new TiledVae(VaeTiling.AUTO, 256, F).decodeRuns(64, 65));
        assertEquals(25, new TiledVae(VaeTiling.AUTO, 256, F).decodeRuns(128, 128));
        assertEquals(9, new TiledVae(VaeTiling.AUTO, 512, F).decodeRuns(128, 128));
        assertEquals(9, new TiledVae(VaeTiling.AUTO, 512, F).encodeRuns(1024, 1024));
        assertEquals(3 * 2, new TiledVae(VaeTiling.ALWAYS, 256, F).decodeRuns(64, 40));
    }

    @Test
    void tileStartsStopAtTheFirstTileThatReachesTheEdge() {
        assertArrayEquals(new int[] {0}, TiledVae.starts(1, 64, 48));
        assertArrayEquals(new int[] {0}, TiledVae.starts(64, 64, 48));
        assertArrayEquals(new int[] {0, 48}, TiledVae.starts(65, 64, 48));
        assertArrayEquals(new int[] {0, 48}, TiledVae.starts(100, 64, 48), "no 4-cell sliver at 96");
        assertArrayEquals(new int[] {0, 48}, TiledVae.starts(112, 64, 48));
        assertArrayEquals(new int[] {0, 48, 96}, TiledVae.starts(113, 64, 48));
        assertArrayEquals(new int[] {0, 48, 96}, TiledVae.starts(128, 64, 48), "diffusers' positions at 1024 px");
        assertArrayEquals(new int[] {0, 24, 48, 72, 96}, TiledVae.starts(128, 32, 24));
        assertThrows(IllegalArgumentException.class, () -> TiledVae.starts(0, 64, 48));
        assertThrows(IllegalArgumentException.class, () -> TiledVae.starts(10, 64, 65));
    }

    @Test
    void tileSizeIsRoundedToWholeQuarterTilesOfLatentCells() {
        assertEquals(64, new TiledVae(VaeTiling.AUTO, 512, 8).tileLatent());
        assertEquals(60, new TiledVae(VaeTiling.AUTO, 500, 8).tileLatent());
        assertEquals(480, new TiledVae(VaeTiling.AUTO, 500, 8).tilePixels());
        assertEquals(32, new TiledVae(VaeTiling.AUTO, 512, 16).tileLatent());
        assertEquals(4, new TiledVae(VaeTiling.AUTO, 8, 8).tileLatent(), "at least one cell of overlap");
        assertThrows(IllegalArgumentException.class, () -> new TiledVae(VaeTiling.AUTO, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> new TiledVae(VaeTiling.AUTO, 512, 0));
        assertThrows(NullPointerException.class, () -> new TiledVae(null, 512, 8));
    }

    @Test
    void aLinearRampStaysARampAtOddSizes() {
        // 100×75 latents, 256-px tiles (32 cells, stride 24): rows at 0, 24, 48, 72 (last 28 high), columns at
        // 0, 24, 48 (last 27 wide); two samples, each tiled on its own.
        List<Nchw> calls = new ArrayList<>();
        TiledVae vae = new TiledVae(VaeTiling.ALWAYS, 256, F);
        Nchw out = vae.decode(coordinates(2, 100, 75), decoder(RAMP, calls));
        assertEquals(2 * 4 * 3, calls.size());
        assertEquals(12, vae.decodeRuns(100, 75));
        int[] heights = {32, 32, 32, 28}, widths = {32, 32, 27};
        for (int k = 0; k < 12; k++) {
            Nchw t = calls.get(k);
            assertArrayEquals(new long[] {1, 2, heights[k / 3], widths[k % 3]}, t.shape(), "tile " + k);
        }
        // Blending equal values keeps them up to float rounding (values up to ~8000 here).
        assertRamp(out, 2, 800, 600, 2e-3f);
    }

    @Test
    void aConstantDecoderGivesAConstantImage() {
        for (float v : new float[] {0.5f, -0.37f, 3.1f}) {
            Nchw out = new TiledVae(VaeTiling.ALWAYS, 512, F).decode(coordinates(1, 80, 72),
                    decoder((c, y, x) -> v, new ArrayList<>()));
            assertEquals(640 * 576 * 3, out.data().length);
            // a·(1 − t) + a·t: at most one rounding off (exact for 0.5 with power-of-two blend extents)
            assertEquals(0f, maxDeviation(out, v), Math.ulp(v), "constant " + v);
        }
    }

    private static float maxDeviation(Nchw t, float v) {
        float max = 0;
        for (float got : t.data()) {
            max = Math.max(max, Math.abs(got - v));
        }
        return max;
    }

    /** A fake decoder whose every output pixel is {@code value(tileRow, tileColumn)}, from the tile's origin. */
    private static TiledVae.Runner<RuntimeException> perTile(int stride, java.util.function.IntBinaryOperator value) {
        return t -> {
            int ty = (int) t.data()[0] / stride, tx = (int) t.data()[t.height() * t.width()] / stride;
            float[] out = new float[3 * t.height() * F * t.width() * F];
            java.util.Arrays.fill(out, value.applyAsInt(ty, tx));
            return new Nchw(out, 1, 3, t.height() * F, t.width() * F);
        };
    }

    @Test
    void seamsAreLinearRampsOverAQuarterTile() {
        // 512-px tiles: stride 48 cells = 384 px, overlap 128 px; two tiles side by side (0 then 1).
        Nchw h = new TiledVae(VaeTiling.ALWAYS, 512, F).decode(coordinates(1, 64, 112), perTile(48, (ty, tx) -> tx));
        assertArrayEquals(new long[] {1, 3, 512, 896}, h.shape());
        for (int y : new int[] {0, 200, 511}) {
            for (int x = 0; x < 896; x++) {
                float want = x < 384 ? 0f : x >= 512 ? 1f : (float) ((x - 384) / 128.0);
                assertEquals(want, h.data()[(2 * 512 + y) * 896 + x], 0f, "column " + x);
            }
        }
        // The same vertically, with 4 at the top and 2 below: 4·(1 − t) + 2·t.
        Nchw v = new TiledVae(VaeTiling.ALWAYS, 512, F).decode(coordinates(1, 112, 64),
                perTile(48, (ty, tx) -> ty == 0 ? 4 : 2));
        for (int y = 0; y < 896; y++) {
            double t = y < 384 ? 0 : y >= 512 ? 1 : (y - 384) / 128.0;
            float want = 4f * (float) (1 - t) + 2f * (float) t;
            assertEquals(want, v.data()[y * 512 + 300], 0f, "row " + y);
        }
        // 2×2 tiles, blended in place in diffusers' order: the top-right tile B has already been blended with the
        // top-left A when the bottom-right D is blended with it, so the corner is not bilinear: with u, v the
        // horizontal and vertical ramps, C' = A(1−v) + Cv, B' = A(1−u) + Bu, result = C'(1−u) + (B'(1−v) + Dv)u.
        float[][] val = {{0, 10}, {20, 40}};
        Nchw q = new TiledVae(VaeTiling.ALWAYS, 512, F).decode(coordinates(1, 112, 112),
                perTile(48, (ty, tx) -> (int) val[ty][tx]));
        for (int y = 384; y < 512; y += 7) {
            for (int x = 384; x < 512; x += 5) {
                double v1 = (y - 384) / 128.0, u = (x - 384) / 128.0;
                double a = val[0][0], b = val[0][1], c = val[1][0], d = val[1][1];
                double left = a * (1 - v1) + c * v1, top = a * (1 - u) + b * u;
                double want = left * (1 - u) + (top * (1 - v1) + d * v1) * u;
                assertEquals(want, q.data()[y * 896 + x], 1e-4, "(" + y + ", " + x + ")");
            }
        }
        // Constants stay constant there too (the weights still sum to one).
        Nchw c = new TiledVae(VaeTiling.ALWAYS, 512, F).decode(coordinates(1, 112, 112), perTile(48, (ty, tx) -> 7));
        assertEquals(0f, maxDeviation(c, 7f), Math.ulp(7f));
    }

    @Test
    void aNarrowLastTileIsBlendedAndKeptWhole() {
        Nchw out = new TiledVae(VaeTiling.ALWAYS, 128, F).decode(coordinates(1, 16, 17),
                perTile(12, (ty, tx) -> tx));
        // 17 cells, 16-cell tiles, stride 12: columns at 0 and 12, the last 5 cells (40 px) wide; overlap
        // 32 px from pixel 96; the last tile contributes all its 40 px (it is always longer than the overlap).
        assertArrayEquals(new long[] {1, 3, 128, 136}, out.shape());
        for (int x = 0; x < 136; x++) {
            float want = x < 96 ? 0f : x >= 128 ? 1f : (float) ((x - 96) / 32.0);
            assertEquals(want, out.data()[5 * 136 + x], 0f, "column " + x);
        }
    }

    /** A fake encoder: f×f average pooling of channel 0, times (c + 1) in 8 output channels (mean | logvar). */
    private static TiledVae.Runner<RuntimeException> poolingEncoder(List<Nchw> calls) {
        return t -> {
            calls.add(t);
            int h = t.height() / F, w = t.width() / F;
            float[] out = new float[8 * h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sum = 0;
                    for (int dy = 0; dy < F; dy++) {
                        for (int dx = 0; dx < F; dx++) {
                            sum += t.data()[(y * F + dy) * t.width() + x * F + dx];
                        }
                    }
                    for (int c = 0; c < 8; c++) {
                        out[(c * h + y) * w + x] = (float) (sum / (F * F) * (c + 1));
                    }
                }
            }
            return new Nchw(out, 1, 8, h, w);
        };
    }

    @Test
    void encodingBlendsTheMomentsOfOverlappingPixelTiles() {
        int hh = 600, ww = 1040; // 600 = 75 cells, 1040 = 130 cells
        float[] px = new float[3 * hh * ww];
        for (int y = 0; y < hh; y++) {
            for (int x = 0; x < ww; x++) {
                px[y * ww + x] = 0.001f * y - 0.0005f * x;
            }
        }
        Nchw image = new Nchw(px, 1, 3, hh, ww);
        List<Nchw> untiledCalls = new ArrayList<>(), tiledCalls = new ArrayList<>();
        Nchw untiled = new TiledVae(VaeTiling.NEVER, 256, F).encode(image, poolingEncoder(untiledCalls));
        TiledVae vae = new TiledVae(VaeTiling.AUTO, 256, F);
        Nchw tiled = vae.encode(image, poolingEncoder(tiledCalls));
        assertEquals(1, untiledCalls.size());
        // 256-px tiles, stride 192 px: rows 0, 192, 384 (last 216 px); columns 0, 192, …, 960 (last 80 px)
        assertEquals(3 * 6, tiledCalls.size());
        assertEquals(18, vae.encodeRuns(hh, ww));
        assertArrayEquals(new long[] {1, 8, 75, 130}, tiled.shape());
        float maxDiff = 0;
        for (int i = 0; i < untiled.data().length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(untiled.data()[i] - tiled.data()[i]));
        }
        assertEquals(0f, maxDiff, 1e-5f, "blending equal moments keeps them");
        // Seam weights in latent cells: per-tile constants blend over 8 cells (a quarter of a 32-cell tile).
        Nchw seams = vae.encode(image, t -> {
            float v = t.data()[t.width() - 1] > -0.001f * 192 ? 0f : 1f; // first tile column or not
            float[] out = new float[8 * (t.height() / F) * (t.width() / F)];
            java.util.Arrays.fill(out, v);
            return new Nchw(out, 1, 8, t.height() / F, t.width() / F);
        });
        for (int x = 0; x < 40; x++) {
            float want = x < 24 ? 0f : x >= 32 ? 1f : (float) ((x - 24) / 8.0);
            assertEquals(want, seams.data()[10 * 130 + x], 0f, "latent column " + x);
        }
    }

    @Test
    void aTiledEncodeNeedsSidesInWholeLatentCells() {
        Nchw image = new Nchw(new float[3 * 600 * 1044], 1, 3, 600, 1044);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TiledVae(VaeTiling.ALWAYS, 256, F).encode(image, poolingEncoder(new ArrayList<>())));
        assertTrue(e.getMessage().contains("multiples of 8") && e.getMessage().contains("1044×600"),
                e.getMessage());
    }

    @Test
    void aGraphReturningTheWrongShapeIsReported() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new TiledVae(VaeTiling.ALWAYS, 128, F).decode(coordinates(1, 40, 40),
                        t -> new Nchw(new float[3 * t.height() * t.width()], 1, 3, t.height(), t.width())));
        assertTrue(e.getMessage().contains("decoder returned [1, 3, 16, 16] for a [1, 2, 16, 16] tile"),
                e.getMessage());
    }

    static final class GraphFailed extends Exception {
        GraphFailed(String m) {
            super(m);
        }
    }

    @Test
    void theGraphsCheckedExceptionPassesThrough() {
        int[] calls = {0};
        GraphFailed e = assertThrows(GraphFailed.class, () -> new TiledVae(VaeTiling.ALWAYS, 128, F)
                .decode(coordinates(1, 40, 40), t -> {
                    if (++calls[0] == 3) {
                        throw new GraphFailed("cancelled");
                    }
                    return decoder(RAMP, new ArrayList<>()).run(t);
                }));
        assertEquals("cancelled", e.getMessage());
        assertEquals(3, calls[0], "no tile after the failure");
    }

    @Test
    void nchwChecksItsShape() {
        assertThrows(IllegalArgumentException.class, () -> new Nchw(new float[5], 1, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> new Nchw(new float[0], 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Nchw.of(new float[6], new long[] {1, 6}));
        assertArrayEquals(new long[] {1, 1, 2, 3}, Nchw.of(new float[6], new long[] {1, 1, 2, 3}).shape());
    }
}
