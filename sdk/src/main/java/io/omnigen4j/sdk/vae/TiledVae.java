package io.omnigen4j.sdk.vae;

import java.util.Arrays;
import java.util.Objects;

/**
 * Runs a VAE graph on overlapping tiles and blends them into one result, as diffusers' {@code AutoencoderKL} does
 * with tiling enabled ({@code tiled_decode} / {@code tiled_encode}), so that the graph's working memory depends on the
 * tile size instead of the image size. Independent of ONNX Runtime: the graph is a {@link Runner} that maps one tile
 * to its output.
 *
 * <p>Geometry, with T the tile side in latent cells (a multiple of 4) and f the pixels per latent cell:
 * <ul>
 *   <li>tiles are T × T latent cells when decoding, T·f × T·f pixels when encoding, and start every ¾T cells
 *       (¾T·f pixels) from 0 along each axis: neighbours overlap by a quarter of a tile (diffusers'
 *       {@code tile_overlap_factor} 0.25); tiles at the bottom and right edges are cut to the image;</li>
 *   <li>in row-major tile order, each tile's output is blended in place first with the (already blended) output of
 *       the tile above, then with that of the tile to its left, over the overlap: e = ¼ of an output tile
 *       (T·f/4 pixels when decoding, T/4 latent cells when encoding), shortened to the smaller tile at an edge. Row
 *       y &lt; e of the tile becomes {@code a·(1 − y/e) + b·(y/e)}, with b the tile's own row and a the neighbour's
 *       row that covers the same place (the neighbour's e-th row from its end); columns likewise (diffusers'
 *       {@code blend_v} and {@code blend_h}, weights rounded to float32 as PyTorch does). Because the blends are in
 *       place, the tile above has already been blended with its own left neighbour, so where four tiles overlap the
 *       weights are not bilinear (they still sum to one); this follows diffusers exactly;</li>
 *   <li>each tile then contributes its first ¾ output tile (the stride) in each direction, the last tile of a row or
 *       column all of its rows or columns.</li>
 * </ul>
 * The encoder's output, the posterior moments (mean and log-variance channels), is blended the same way, as
 * diffusers blends them; since our encoder graph clamps the log-variance before the blend (diffusers clamps after
 * it), the two differ only where a log-variance lies outside [−30, 20].
 *
 * <p>One deliberate difference from diffusers: it starts a tile at every multiple of the stride below the size,
 * which can add a sliver tile that lies entirely in its neighbour's overlap (a 100-cell side with T = 64 gets tiles
 * at 0, 48 and 96, the last 4 cells high, which its GroupNorms see almost nothing of); here the tiles along an axis
 * stop at the first one that reaches the edge (0 and 48, the last 52 cells high). Positions, weights and crops are
 * identical whenever the last tile is no longer than the stride, e.g. 1024 px with 512-px tiles (tiles at 0, 48 and
 * 96 latent cells).
 *
 * <p><b>Not bit-exact.</b> Every tile runs the whole graph on its own: its GroupNorms normalise with the tile's
 * statistics, the mid-block attention attends within the tile only, and the convolutions see zero padding at tile
 * borders inside the image. The result is therefore close to, not equal to, the untiled one (on the random-weight
 * fixture VAE, 128-px tiles changed the decoder output by up to 0.26 where it spans ±2.1; trained VAEs are far less
 * sensitive, which is why tiling is usable at all). An image that fits in one tile, and every image when tiling is
 * off, is run untiled in a single call with the whole batch: bit-identical to not using this class. A tiled image
 * batch is run one sample at a time (per-sample memory).
 *
 * <p>Immutable and thread-safe; the runner is called from the calling thread, one tile at a time.
 */
public final class TiledVae {

    /** Neighbouring tiles overlap by 1/{@value} of a tile (diffusers' {@code tile_overlap_factor} 0.25). */
    public static final int OVERLAP_DIVISOR = 4;

    /**
     * {@link VaeTiling#AUTO} leaves images of at most this many pixels (512 × 512) untiled, so all sizes up to
     * 512 × 512 (the conformance cases among them) stay bit-identical to {@link VaeTiling#NEVER}. Measured on the
     * SDXL-width VAE, an untiled 512 × 512 decode peaks at 4.9 GiB RSS with Winograd graphs (2.25 GiB direct), a
     * 1024 × 1024 one at 11.7 GiB (7.3 GiB), and a tiled 1024 × 1024 one at 1.7 GiB (2.3 GiB) with the default
     * tiles; so for one image no size needs more than the 512 × 512 decode (an untiled batch of n images needs
     * about n times the working memory; a tiled batch runs one image at a time).
     */
    public static final long AUTO_MAX_UNTILED_PIXELS = 512L * 512;

    /** The VAE graph on one tile (or on the whole input when it is not tiled). */
    @FunctionalInterface
    public interface Runner<E extends Exception> {
        /**
         * Runs the graph on {@code input}; returns a fresh tensor (the caller blends into it) of the same batch,
         * with the height and width multiplied (decoder) or divided (encoder) by the scale.
         */
        Nchw run(Nchw input) throws E;
    }

    private final VaeTiling mode;
    private final int tileLatent;
    private final int scale;

    /**
     * @param mode       when to tile
     * @param tilePixels the tile side in pixels; rounded down to a multiple of 4·{@code scale} (the quarter-tile
     *                   overlap must be whole latent cells), at least 4 latent cells
     * @param scale      pixels per latent cell along each axis (the VAE's downscale factor, 8 for the SDXL VAE)
     */
    public TiledVae(VaeTiling mode, int tilePixels, int scale) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (scale <= 0) {
            throw new IllegalArgumentException("scale must be positive, got " + scale);
        }
        if (tilePixels <= 0) {
            throw new IllegalArgumentException("tile size must be positive, got " + tilePixels);
        }
        this.scale = scale;
        this.tileLatent = Math.max(OVERLAP_DIVISOR, tilePixels / scale / OVERLAP_DIVISOR * OVERLAP_DIVISOR);
    }

    public VaeTiling mode() {
        return mode;
    }

    /** Tile side in latent cells (a multiple of {@value #OVERLAP_DIVISOR}). */
    public int tileLatent() {
        return tileLatent;
    }

    /** Tile side in pixels. */
    public int tilePixels() {
        return tileLatent * scale;
    }

    /** Pixels per latent cell. */
    public int scale() {
        return scale;
    }

    /** Graph runs per sample to decode latents of this size: 1 when untiled. */
    public int decodeRuns(int latentHeight, int latentWidth) {
        if (!tiles(latentHeight, latentWidth, (long) latentHeight * scale * latentWidth * scale)) {
            return 1;
        }
        int stride = tileLatent - tileLatent / OVERLAP_DIVISOR;
        return starts(latentHeight, tileLatent, stride).length * starts(latentWidth, tileLatent, stride).length;
    }

    /** Graph runs per sample to encode an image of this size: 1 when untiled. */
    public int encodeRuns(int height, int width) {
        if (!tiles(divide(height), divide(width), (long) height * width)) {
            return 1;
        }
        int tile = tilePixels();
        int stride = tile - tile / OVERLAP_DIVISOR;
        return starts(height, tile, stride).length * starts(width, tile, stride).length;
    }

    /**
     * Decodes {@code latents} [N, C, h, w] to [N, C', h·f, w·f]: tiled when the mode asks for it and the latents do
     * not fit in one tile, otherwise one call of {@code decoder} with the whole input.
     */
    public <E extends Exception> Nchw decode(Nchw latents, Runner<E> decoder) throws E {
        long pixels = (long) latents.height() * scale * latents.width() * scale;
        if (!tiles(latents.height(), latents.width(), pixels)) {
            return decoder.run(latents);
        }
        return tiled(latents, tileLatent, scale, 1, decoder, "decoder");
    }

    /**
     * Encodes {@code pixels} [N, C, H, W] to moments [N, C', H/f, W/f]: tiled when the mode asks for it and the image
     * does not fit in one tile, otherwise one call of {@code encoder} with the whole input. A tiled image's sides
     * must be multiples of f.
     */
    public <E extends Exception> Nchw encode(Nchw pixels, Runner<E> encoder) throws E {
        if (!tiles(divide(pixels.height()), divide(pixels.width()), (long) pixels.height() * pixels.width())) {
            return encoder.run(pixels);
        }
        if (pixels.height() % scale != 0 || pixels.width() % scale != 0) {
            throw new IllegalArgumentException("a tiled VAE encode needs sides that are multiples of " + scale
                    + ", got " + pixels.width() + "×" + pixels.height());
        }
        return tiled(pixels, tilePixels(), 1, scale, encoder, "encoder");
    }

    /**
     * Where the tiles along one axis start: 0, stride, 2·stride, … up to the first tile that reaches {@code size}
     * (a single start when the tile covers it).
     */
    public static int[] starts(int size, int tile, int stride) {
        if (size <= 0 || tile <= 0 || stride <= 0 || stride > tile) {
            throw new IllegalArgumentException("need size, tile > 0 and 0 < stride ≤ tile, got size " + size
                    + ", tile " + tile + ", stride " + stride);
        }
        int n = 1;
        while ((long) (n - 1) * stride + tile < size) {
            n++;
        }
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = i * stride;
        }
        return s;
    }

    /** Latent cells of an image side (rounded up: any size past one tile is tiled). */
    private int divide(int pixels) {
        return (pixels + scale - 1) / scale;
    }

    private boolean tiles(int latentHeight, int latentWidth, long pixels) {
        boolean exceeds = latentHeight > tileLatent || latentWidth > tileLatent;
        return switch (mode) {
            case NEVER -> false;
            case ALWAYS -> exceeds;
            case AUTO -> exceeds && pixels > AUTO_MAX_UNTILED_PIXELS;
        };
    }

    /**
     * The tiled run: input tiles of {@code tileIn}, output scaled by {@code mul / div} (decoder f/1, encoder 1/f).
     */
    private static <E extends Exception> Nchw tiled(Nchw in, int tileIn, int mul, int div, Runner<E> runner,
                                                    String what) throws E {
        int strideIn = tileIn - tileIn / OVERLAP_DIVISOR;
        int tileOut = tileIn * mul / div;
        int blendOut = tileOut / OVERLAP_DIVISOR;
        int strideOut = tileOut - blendOut;
        int[] ys = starts(in.height(), tileIn, strideIn);
        int[] xs = starts(in.width(), tileIn, strideIn);
        int outH = in.height() * mul / div, outW = in.width() * mul / div;
        float[] out = null;
        int outC = 0;
        for (int b = 0; b < in.batch(); b++) {
            Nchw[] above = null;
            for (int i = 0; i < ys.length; i++) {
                Nchw[] row = new Nchw[xs.length];
                int th = Math.min(tileIn, in.height() - ys[i]);
                for (int j = 0; j < xs.length; j++) {
                    int tw = Math.min(tileIn, in.width() - xs[j]);
                    Nchw t = runner.run(in.crop(b, ys[i], xs[j], th, tw));
                    if (t.batch() != 1 || t.height() != th * mul / div || t.width() != tw * mul / div
                            || (out != null && t.channels() != outC)) {
                        throw new IllegalStateException("the " + what + " returned " + Arrays.toString(t.shape())
                                + " for a " + Arrays.toString(new long[] {1, in.channels(), th, tw}) + " tile; expected ["
                                + "1, " + (out != null ? outC : "C") + ", " + th * mul / div + ", " + tw * mul / div
                                + "]");
                    }
                    if (out == null) {
                        outC = t.channels();
                        out = new float[Math.toIntExact((long) in.batch() * outC * outH * outW)];
                    }
                    if (i > 0) {
                        blendRows(above[j], t, blendOut);
                    }
                    if (j > 0) {
                        blendColumns(row[j - 1], t, blendOut);
                    }
                    row[j] = t;
                    int keepH = i == ys.length - 1 ? t.height() : strideOut;
                    int keepW = j == xs.length - 1 ? t.width() : strideOut;
                    place(t, keepH, keepW, out, b, outC, outH, outW, ys[i] * mul / div, xs[j] * mul / div);
                }
                above = row;
            }
        }
        return new Nchw(out, in.batch(), outC, outH, outW);
    }

    /**
     * Blends the top rows of {@code b} with the bottom rows of {@code a} (the tile above, same width), in place:
     * row y &lt; e becomes {@code a[h_a − e + y]·(1 − y/e) + b[y]·(y/e)}, e = min(extent, h_a, h_b).
     */
    static void blendRows(Nchw a, Nchw b, int extent) {
        int e = Math.min(extent, Math.min(a.height(), b.height()));
        int w = b.width();
        if (a.width() != w || a.channels() != b.channels()) {
            throw new IllegalArgumentException("tiles above each other differ in width or channels");
        }
        float[] da = a.data(), db = b.data();
        for (int y = 0; y < e; y++) {
            float wa = (float) (1.0 - (double) y / e), wb = (float) ((double) y / e);
            for (int c = 0; c < b.channels(); c++) {
                int ra = (c * a.height() + a.height() - e + y) * w;
                int rb = (c * b.height() + y) * w;
                for (int x = 0; x < w; x++) {
                    db[rb + x] = da[ra + x] * wa + db[rb + x] * wb;
                }
            }
        }
    }

    /**
     * Blends the left columns of {@code b} with the right columns of {@code a} (the tile to the left, same height),
     * in place: column x &lt; e becomes {@code a[w_a − e + x]·(1 − x/e) + b[x]·(x/e)}, e = min(extent, w_a, w_b).
     */
    static void blendColumns(Nchw a, Nchw b, int extent) {
        int e = Math.min(extent, Math.min(a.width(), b.width()));
        int h = b.height(), wa = a.width(), wb = b.width();
        if (a.height() != h || a.channels() != b.channels()) {
            throw new IllegalArgumentException("tiles beside each other differ in height or channels");
        }
        float[] weightA = new float[e], weightB = new float[e];
        for (int x = 0; x < e; x++) {
            weightA[x] = (float) (1.0 - (double) x / e);
            weightB[x] = (float) ((double) x / e);
        }
        float[] da = a.data(), db = b.data();
        for (int r = 0; r < b.channels() * h; r++) {
            int ra = r * wa + wa - e, rb = r * wb;
            for (int x = 0; x < e; x++) {
                db[rb + x] = da[ra + x] * weightA[x] + db[rb + x] * weightB[x];
            }
        }
    }

    /** Copies the top-left keepH × keepW window of a batch-1 tile into sample b of the output at (y, x). */
    private static void place(Nchw t, int keepH, int keepW, float[] out, int b, int outC, int outH, int outW,
                              int y, int x) {
        float[] d = t.data();
        long sample = (long) b * outC * outH * outW;
        for (int c = 0; c < outC; c++) {
            for (int r = 0; r < keepH; r++) {
                System.arraycopy(d, (c * t.height() + r) * t.width(), out,
                        (int) (sample + ((long) c * outH + y + r) * outW + x), keepW);
            }
        }
    }
}
