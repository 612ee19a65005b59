package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * A 3×3, stride-1, pad-1 convolution written as Winograd F(4×4, 3×3) with ONNX Runtime's stock kernels, so that
 * the VAE's convolutions, 90 % of its time on the CPU, need 4× fewer multiply-adds (direct convolution already
 * runs near the core's fp32 peak there; fewer operations is the only way left to go faster in fp32).
 *
 * <p>Output tiles are 4×4; each reads a 6×6 input tile (stride 4). Per convolution:
 * <ol>
 *   <li>input transform Bᵀ·d·B of every tile: a grouped {@code Conv} (one group per input channel, 36 fixed 6×6
 *       kernels, stride 4, pads [1, 1, 4, 4] so that a size that is not a multiple of 4 gets ⌈size/4⌉ tiles)
 *       → [N, C·36, tH, tW];</li>
 *   <li>reshape to [N, C, 36, T], transpose to [N, 36, C, T] (moves whole rows of T values);</li>
 *   <li>{@code MatMul} with the transformed weights U = G·g·Gᵀ laid out [36, K, C] → [N, 36, K, T]: 36
 *       independent GEMMs, the whole arithmetic cost;</li>
 *   <li>transpose back to [N, K, 36, T] and output transform Aᵀ·m·A as a grouped {@code ConvTranspose} (one group
 *       per output channel, kernel 4, stride 4, with the bias) → [N, K, 4·tH, 4·tW];</li>
 *   <li>{@code Slice} to the input's height and width.</li>
 * </ol>
 *
 * <p>The weights are transformed at export time in double precision (4× the 3×3 weight: 36 instead of 9 values
 * per input–output channel pair). Against a direct float32 convolution the result differs by about 1e-5 relative
 * to the output's magnitude (the transforms' ±5 and ±8 coefficients cost a few bits); the conformance bounds of the
 * VAE are 1e-4 (encoder) and 1e-3 (decoder).
 */
public final class WinogradConv {

    /** Tile size of the input (α = m + r − 1). */
    static final int ALPHA = 6;
    /** Output tile size m. */
    static final int TILE = 4;

    // Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015), F(4, 3) with points 0, ±1, ±2, ∞.
    static final double[][] BT = {
            {4, 0, -5, 0, 1, 0},
            {0, -4, -4, 1, 1, 0},
            {0, 4, -4, -1, 1, 0},
            {0, -2, -1, 2, 1, 0},
            {0, 2, -1, -2, 1, 0},
            {0, 4, 0, -5, 0, 1}};
    static final double[][] G = {
            {1 / 4.0, 0, 0},
            {-1 / 6.0, -1 / 6.0, -1 / 6.0},
            {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0},
            {1 / 24.0, -1 / 12.0, 1 / 6.0},
            {0, 0, 1}};
    static final double[][] AT = {
            {1, 1, 1, 1, 1, 0},
            {0, 1, -1, 2, -2, 0},
            {0, 1, 1, 4, 4, 0},
            {0, 1, -1, 8, -8, 1}};

    private static final int POINTS = ALPHA * ALPHA;

    private final GraphBuilder g;
    /** The fixed transform kernels, one initializer per channel count, shared by every convolution of a graph. */
    private final Map<Integer, Value> inputKernels = new HashMap<>();
    private final Map<Integer, Value> outputKernels = new HashMap<>();

    public WinogradConv(GraphBuilder g) {
        this.g = g;
    }

    /**
     * Adds the convolution of {@code x} [N, C, H, W] with transformed weights {@code u} ([36, K, C], see
     * {@link #transformWeights}) and bias {@code bias} [K]; returns [N, K, H, W].
     */
    public Value apply(Value x, Value u, Value bias, int inChannels, int outChannels) {
        Value v = g.op("Conv").in(x, inputKernel(inChannels))
                .attr("group", (long) inChannels)
                .attr("kernel_shape", ALPHA, ALPHA)
                .attr("strides", TILE, TILE)
                .attr("pads", 1L, 1L, TILE, TILE)
                .out();
        Value tiles = g.op("Shape").in(v).out(); // [N, 36·C, tH, tW]
        Value byPoint = Ops.transpose(g, Ops.reshape(g, v, 0L, inChannels, POINTS, -1L), 0, 2, 1, 3);
        Value m = g.op("MatMul").in(u, byPoint).out(); // [N, 36, K, T]
        Value byChannel = Ops.transpose(g, m, 0, 2, 1, 3); // [N, K, 36, T]
        Value shape = Ops.concat(g, 0,
                g.op("Slice").in(tiles, g.constLongs(0), g.constLongs(1)).out(),
                g.constLongs((long) POINTS * outChannels),
                g.op("Slice").in(tiles, g.constLongs(2), g.constLongs(4)).out());
        Value y = g.op("ConvTranspose").in(Ops.reshape(g, byChannel, shape), outputKernel(outChannels), bias)
                .attr("group", (long) outChannels)
                .attr("kernel_shape", TILE, TILE)
                .attr("strides", TILE, TILE)
                .out();
        Value size = g.op("Shape").in(x).attr("start", 2L).attr("end", 4L).out();
        return g.op("Slice").in(y, g.constLongs(0, 0), size, g.constLongs(2, 3)).out();
    }

    /** [36·C, 1, 6, 6]: for every channel, kernel (a, b) = Bᵀ[a]ᵀ·Bᵀ[b] (an outer product). */
    private Value inputKernel(int channels) {
        return inputKernels.computeIfAbsent(channels, c -> pointKernels("winograd.input_transform." + c, c, BT));
    }

    /** [36·K, 1, 4, 4]: for every channel, point (a, b) contributes Aᵀ[p][a]·Aᵀ[q][b] to output pixel (p, q). */
    private Value outputKernel(int channels) {
        return outputKernels.computeIfAbsent(channels, c -> pointKernels("winograd.output_transform." + c, c,
                transpose(AT)));
    }

    /**
     * [36·channels, 1, n, n] with {@code m} [6][n]: for every channel and point (a, b), the n×n kernel
     * m[a][r]·m[b][s]. Both transforms are such outer products, applied per channel.
     */
    private Value pointKernels(String name, int channels, double[][] m) {
        int n = m[0].length;
        float[] k = new float[channels * POINTS * n * n];
        int o = 0;
        for (int ch = 0; ch < channels; ch++) {
            for (int a = 0; a < ALPHA; a++) {
                for (int b = 0; b < ALPHA; b++) {
                    for (int r = 0; r < n; r++) {
                        for (int s = 0; s < n; s++) {
                            k[o++] = (float) (m[a][r] * m[b][s]);
                        }
                    }
                }
            }
        }
        return g.weight(name, TensorData.ofFloats(k, (long) channels * POINTS, 1, n, n));
    }

    private static double[][] transpose(double[][] m) {
        double[][] t = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    /**
     * The float [K, C, 3, 3] weight {@code w} as U = G·g·Gᵀ laid out [36, K, C] (point-major, so that the graph's
     * MatMul reads one [K, C] matrix per point). Computed in double; holds the source and its transform in
     * memory while it is written (the largest SDXL VAE weight: 9.4 MB + 38 MB).
     */
    public static TensorData transformWeights(TensorData w, int outChannels, int inChannels) {
        long[] expected = {outChannels, inChannels, 3, 3};
        if (!java.util.Arrays.equals(w.shape(), expected) || w.type() != OnnxType.FLOAT) {
            throw new IllegalArgumentException("Winograd weights need a float " + java.util.Arrays.toString(expected)
                    + " tensor, got " + w.type() + " " + java.util.Arrays.toString(w.shape()));
        }
        return new TensorData() {
            @Override
            public OnnxType type() {
                return OnnxType.FLOAT;
            }

            @Override
            public long[] shape() {
                return new long[] {POINTS, outChannels, inChannels};
            }

            @Override
            public void writeTo(ByteSink sink) throws IOException {
                int pairs = Math.multiplyExact(outChannels, inChannels);
                float[] src = w.toFloatArray();
                // gG[pair][a][j] = Σ_i G[a][i]·g[i][j], then U[a][b] = Σ_j gG[a][j]·G[b][j].
                float[][] u = new float[POINTS][pairs];
                double[] gg = new double[ALPHA * 3];
                for (int p = 0; p < pairs; p++) {
                    int o = p * 9;
                    for (int a = 0; a < ALPHA; a++) {
                        for (int j = 0; j < 3; j++) {
                            gg[a * 3 + j] = G[a][0] * src[o + j] + G[a][1] * src[o + 3 + j] + G[a][2] * src[o + 6 + j];
                        }
                    }
                    for (int a = 0; a < ALPHA; a++) {
                        for (int b = 0; b < ALPHA; b++) {
                            u[a * ALPHA + b][p] = (float) (gg[a * 3] * G[b][0] + gg[a * 3 + 1] * G[b][1]
                                    + gg[a * 3 + 2] * G[b][2]);
                        }
                    }
                }
                ByteBuffer out = ByteBuffer.allocate(pairs * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] point : u) {
                    out.clear();
                    out.asFloatBuffer().put(point);
                    out.limit(pairs * Float.BYTES);
                    sink.accept(out);
                }
            }
        };
    }
}
