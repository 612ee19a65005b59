package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the Winograd F(4×4, 3×3) convolution graph against a direct ONNX {@code Conv} and a double-precision
 * reference convolution, the weight transform against G·g·Gᵀ computed here, and the sharing of the fixed
 * transform kernels between the convolutions of one graph.
 */
class WinogradConvTest {

    /** G of F(4, 3), written out independently of {@link WinogradConv}. */
    private static final double[][] G = {
            {1 / 4.0, 0, 0},
            {-1 / 6.0, -1 / 6.0, -1 / 6.0},
            {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0},
            {1 / 24.0, -1 / 12.0, 1 / 6.0},
            {0, 0, 1}};

    @TempDir
    Path dir;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    // ---- the convolution ----------------------------------------------------------------------------------------

    /** N, C, K, H, W: multiples of 4, sizes that are not, odd sizes, and inputs smaller than one tile. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(1, 16, 16, 8, 8),
                Arguments.of(2, 24, 20, 10, 14),
                Arguments.of(1, 16, 32, 5, 7),
                Arguments.of(1, 32, 16, 1, 1),
                Arguments.of(1, 32, 16, 2, 3),
                Arguments.of(3, 16, 16, 13, 4),
                Arguments.of(1, 64, 64, 17, 9));
    }

    @ParameterizedTest(name = "N={0} C={1} K={2} {3}x{4}")
    @MethodSource("shapes")
    void winogradMatchesDirectConvAndDoubleReference(int n, int c, int k, int h, int w) throws Exception {
        Random r = new Random(31L * (n * 1_000_003L + c * 10_007L + k * 101L + h * 13L + w));
        float[] x = gaussian(r, n * c * h * w, 1);
        float[] weight = gaussian(r, k * c * 9, 1 / Math.sqrt(9.0 * c));
        float[] bias = gaussian(r, k, 0.5);
        double[] want = reference(x, weight, bias, n, c, k, h, w);
        long[] inShape = {n, c, h, w};

        GraphBuilder direct = new GraphBuilder("direct");
        Value dx = direct.input("x", OnnxType.FLOAT, "batch", c, "height", "width");
        Value dy = Ops.conv(direct, dx, direct.weight("w", TensorData.ofFloats(weight, k, c, 3, 3)),
                direct.weight("b", TensorData.ofFloats(bias, k)), 1, 1, 1, 1, 1);
        direct.output(dy, "y", OnnxType.FLOAT, "batch", k, "height", "width");

        GraphBuilder wino = new GraphBuilder("winograd");
        Value wx = wino.input("x", OnnxType.FLOAT, "batch", c, "height", "width");
        Value u = wino.weight("u", WinogradConv.transformWeights(TensorData.ofFloats(weight, k, c, 3, 3), k, c));
        Value wy = new WinogradConv(wino).apply(wx, u, wino.weight("b", TensorData.ofFloats(bias, k)), c, k);
        wino.output(wy, "y", OnnxType.FLOAT, "batch", k, "height", "width");

        Out gotDirect = runGraph(direct, x, inShape);
        Out gotWino = runGraph(wino, x, inShape);
        long[] outShape = {n, k, h, w};
        assertArrayEquals(outShape, gotDirect.shape, "direct output shape");
        assertArrayEquals(outShape, gotWino.shape, "Winograd output shape");

        double eDirect = maxAbs(gotDirect.values, want);
        double eWino = maxAbs(gotWino.values, want);
        double rms = rms(want);
        double maxRef = Arrays.stream(want).map(Math::abs).max().orElse(0);
        System.out.printf("Winograd conv N=%d C=%d K=%d %dx%d: max|Δ| direct %.3g, winograd %.3g"
                        + " (reference rms %.3f, max %.3f)%n", n, c, k, h, w, eDirect, eWino, rms, maxRef);
        // The reference is not degenerate: unit-variance outputs, so the absolute bounds mean something.
        assertTrue(rms > 0.3 && rms < 3, "reference output rms " + rms);
        assertTrue(rms(gotWino.values) > 0.3, "Winograd output is (nearly) all zeros");
        assertTrue(eDirect <= 1e-5, "direct conv error " + eDirect);
        assertTrue(eWino <= 1e-4, "Winograd conv error " + eWino);
    }

    @Test
    void twoConvolutionsOfOneChannelCountShareTheTransformKernels() throws Exception {
        int n = 2;
        int h = 6;
        int w = 9;
        Random r = new Random(7);
        float[] w1 = gaussian(r, 16 * 16 * 9, 1 / Math.sqrt(9.0 * 16));
        float[] w2 = gaussian(r, 16 * 16 * 9, 1 / Math.sqrt(9.0 * 16));
        float[] w3 = gaussian(r, 24 * 16 * 9, 1 / Math.sqrt(9.0 * 16));
        float[] b1 = gaussian(r, 16, 0.5);
        float[] b2 = gaussian(r, 16, 0.5);
        float[] b3 = gaussian(r, 24, 0.5);

        GraphBuilder g = new GraphBuilder("chain");
        WinogradConv wc = new WinogradConv(g);
        Value x = g.input("x", OnnxType.FLOAT, "batch", 16, "height", "width");
        Value y = wc.apply(x, g.weight("u1", WinogradConv.transformWeights(TensorData.ofFloats(w1, 16, 16, 3, 3), 16, 16)),
                g.weight("b1", TensorData.ofFloats(b1, 16)), 16, 16);
        y = wc.apply(y, g.weight("u2", WinogradConv.transformWeights(TensorData.ofFloats(w2, 16, 16, 3, 3), 16, 16)),
                g.weight("b2", TensorData.ofFloats(b2, 16)), 16, 16);
        y = wc.apply(y, g.weight("u3", WinogradConv.transformWeights(TensorData.ofFloats(w3, 24, 16, 3, 3), 24, 16)),
                g.weight("b3", TensorData.ofFloats(b3, 24)), 16, 24);
        g.output(y, "y", OnnxType.FLOAT, "batch", 24, "height", "width");

        assertEquals(java.util.List.of("winograd.input_transform.16"), names(g, "winograd.input_transform."));
        assertEquals(java.util.List.of("winograd.output_transform.16", "winograd.output_transform.24"),
                names(g, "winograd.output_transform."));
        assertEquals(3, g.nodes().stream().filter(nd -> nd.opType().equals("ConvTranspose")).count());
        assertEquals(3, g.nodes().stream().filter(nd -> nd.opType().equals("MatMul")).count());
        assertArrayEquals(new long[] {36 * 16, 1, 6, 6},
                g.initializers().get("winograd.input_transform.16").data().shape());
        assertArrayEquals(new long[] {36 * 24, 1, 4, 4},
                g.initializers().get("winograd.output_transform.24").data().shape());
        // A second graph gets its own kernels.
        GraphBuilder other = new GraphBuilder("other");
        new WinogradConv(other).apply(other.input("x", OnnxType.FLOAT, 1, 16, 4, 4),
                other.weight("u", WinogradConv.transformWeights(TensorData.ofFloats(w1, 16, 16, 3, 3), 16, 16)),
                other.weight("b", TensorData.ofFloats(b1, 16)), 16, 16);
        assertEquals(java.util.List.of("winograd.input_transform.16"), names(other, "winograd.input_transform."));

        // The chain with shared kernels runs and computes the three convolutions.
        float[] in = gaussian(r, n * 16 * h * w, 1);
        Out got = runGraph(g, in, new long[] {n, 16, h, w});
        double[] want = reference(toFloats(reference(toFloats(reference(in, w1, b1, n, 16, 16, h, w)),
                w2, b2, n, 16, 16, h, w)), w3, b3, n, 16, 24, h, w);
        assertArrayEquals(new long[] {n, 24, h, w}, got.shape);
        double err = maxAbs(got.values, want);
        System.out.printf("Winograd chain of 3 convs (shared transforms) [%d,16,%d,%d]: max|Δ| %.3g (rms %.3f)%n",
                n, h, w, err, rms(want));
        assertTrue(rms(want) > 0.3, "reference output rms " + rms(want));
        assertTrue(err <= 1e-4, "chain error " + err);
    }

    // ---- the weight transform -----------------------------------------------------------------------------------

    @Test
    void transformWeightsRejectsWrongShapeAndType() {
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () ->
                WinogradConv.transformWeights(TensorData.ofFloats(new float[16 * 8 * 9], 8, 16, 3, 3), 16, 8));
        assertTrue(shape.getMessage().contains("[16, 8, 3, 3]"), shape.getMessage());
        IllegalArgumentException kernel = assertThrows(IllegalArgumentException.class, () ->
                WinogradConv.transformWeights(TensorData.ofFloats(new float[16 * 8 * 25], 16, 8, 5, 5), 16, 8));
        assertTrue(kernel.getMessage().contains("[16, 8, 3, 3]"), kernel.getMessage());
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () ->
                WinogradConv.transformWeights(TensorData.ofFloats(new float[16 * 8 * 9], 16 * 8 * 9), 16, 8));
        assertTrue(rank.getMessage().contains("[16, 8, 3, 3]"), rank.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () ->
                WinogradConv.transformWeights(TensorData.ofLongs(new long[16 * 8 * 9], 16, 8, 3, 3), 16, 8));
        assertTrue(type.getMessage().contains("[16, 8, 3, 3]"), type.getMessage());
    }

    @Test
    void transformOfOneKernelIsGgGt() throws Exception {
        float[] g = {0.3f, -1.2f, 0.7f, 2.0f, 0.05f, -0.4f, 1.1f, -0.9f, 0.25f};
        TensorData u = WinogradConv.transformWeights(TensorData.ofFloats(g, 1, 1, 3, 3), 1, 1);
        assertEquals(OnnxType.FLOAT, u.type());
        assertArrayEquals(new long[] {36, 1, 1}, u.shape());
        float[] got = floats(u);
        assertEquals(36, got.length);
        double[] want = ggt(g, 0);
        for (int i = 0; i < 36; i++) {
            assertEquals(want[i], got[i], 1e-6, "U[" + i / 6 + "][" + i % 6 + "]");
        }
        // Spot checks by hand: U[0][0] = g00/16, U[5][5] = g22, U[0][5] = g02/4.
        assertEquals(0.3 / 16, got[0], 1e-7);
        assertEquals(0.25, got[35], 1e-7);
        assertEquals(0.7 / 4, got[5], 1e-7);
    }

    @Test
    void transformIsLaidOutPointMajorAndAcceptsChunkedSources() throws Exception {
        int k = 3;
        int c = 5;
        Random r = new Random(11);
        float[] w = gaussian(r, k * c * 9, 1);
        // The source streams in chunks of 7 floats, which split kernels across chunk boundaries.
        TensorData chunked = new TensorData() {
            @Override
            public OnnxType type() {
                return OnnxType.FLOAT;
            }

            @Override
            public long[] shape() {
                return new long[] {k, c, 3, 3};
            }

            @Override
            public void writeTo(ByteSink sink) throws IOException {
                for (int i = 0; i < w.length; i += 7) {
                    int len = Math.min(7, w.length - i);
                    ByteBuffer b = ByteBuffer.allocate(len * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(w, i, len);
                    sink.accept(b);
                }
            }
        };
        TensorData u = WinogradConv.transformWeights(chunked, k, c);
        assertArrayEquals(new long[] {36, k, c}, u.shape());
        assertEquals(36L * k * c * 4, u.byteLength());
        float[] got = floats(u);
        assertEquals(36 * k * c, got.length);
        for (int ko = 0; ko < k; ko++) {
            for (int ci = 0; ci < c; ci++) {
                double[] want = ggt(w, (ko * c + ci) * 9);
                for (int p = 0; p < 36; p++) {
                    assertEquals(want[p], got[(p * k + ko) * c + ci], 1e-6, "U[" + p + "][" + ko + "][" + ci + "]");
                }
            }
        }
        // Streaming twice gives the same bytes (the writer may stream an initializer once per graph).
        assertArrayEquals(got, floats(u));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private record Out(float[] values, long[] shape) {
    }

    private Out runGraph(GraphBuilder g, float[] x, long[] shape) throws IOException, OrtException {
        Path folder = Files.createDirectories(dir.resolve(g.name()));
        Path model = folder.resolve(g.name() + ".onnx");
        try (ExternalDataFile data = new ExternalDataFile(folder.resolve(g.name() + ".onnx.data"))) {
            new OnnxModelWriter("test", 1024).write(g, model, data, Map.of());
        }
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(model.toString(), opts);
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of("x", t))) {
            OnnxTensor y = (OnnxTensor) r.get(0);
            FloatBuffer fb = y.getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return new Out(out, y.getInfo().getShape());
        }
    }

    /** PyTorch Conv2d (cross-correlation), 3×3, stride 1, zero padding 1, with bias, in double. */
    private static double[] reference(float[] x, float[] w, float[] b, int n, int c, int k, int h, int wd) {
        double[] y = new double[n * k * h * wd];
        for (int ni = 0; ni < n; ni++) {
            for (int ko = 0; ko < k; ko++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < wd; j++) {
                        double s = b[ko];
                        for (int ci = 0; ci < c; ci++) {
                            for (int di = 0; di < 3; di++) {
                                int ii = i + di - 1;
                                if (ii < 0 || ii >= h) {
                                    continue;
                                }
                                for (int dj = 0; dj < 3; dj++) {
                                    int jj = j + dj - 1;
                                    if (jj < 0 || jj >= wd) {
                                        continue;
                                    }
                                    s += (double) x[((ni * c + ci) * h + ii) * wd + jj]
                                            * w[((ko * c + ci) * 3 + di) * 3 + dj];
                                }
                            }
                        }
                        y[((ni * k + ko) * h + i) * wd + j] = s;
                    }
                }
            }
        }
        return y;
    }

    /** G·g·Gᵀ (6×6, row-major) of the 3×3 kernel at {@code off}. */
    private static double[] ggt(float[] g, int off) {
        double[][] gg = new double[6][3];
        for (int a = 0; a < 6; a++) {
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < 3; i++) {
                    gg[a][j] += G[a][i] * g[off + i * 3 + j];
                }
            }
        }
        double[] u = new double[36];
        for (int a = 0; a < 6; a++) {
            for (int bb = 0; bb < 6; bb++) {
                for (int j = 0; j < 3; j++) {
                    u[a * 6 + bb] += gg[a][j] * G[bb][j];
                }
            }
        }
        return u;
    }

    private static float[] floats(TensorData t) throws IOException {
        FloatBuffer all = FloatBuffer.allocate(Math.toIntExact(t.elementCount()));
        t.writeTo(chunk -> all.put(chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()));
        assertEquals(0, all.remaining(), "streamed fewer values than the shape holds");
        return all.array();
    }

    private static java.util.List<String> names(GraphBuilder g, String prefix) {
        return g.initializers().keySet().stream().filter(s -> s.startsWith(prefix)).sorted().toList();
    }

    private static float[] gaussian(Random r, int count, double std) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (std * r.nextGaussian());
        }
        return v;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static double rms(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d * d;
        }
        return Math.sqrt(s / v.length);
    }

    private static double rms(float[] v) {
        double s = 0;
        for (float d : v) {
            s += (double) d * d;
        }
        return Math.sqrt(s / v.length);
    }

    private static double maxAbs(float[] got, double[] want) {
        assertEquals(want.length, got.length, "element count");
        double m = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(got[i] - want[i]);
            if (!(d <= m)) {
                m = d; // NaN propagates as a failure
            }
        }
        return m;
    }
}
