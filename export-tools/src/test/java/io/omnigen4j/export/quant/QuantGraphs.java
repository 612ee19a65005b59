package io.omnigen4j.export.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Random;

/** Test helpers: one-node graphs around quantized weights, serialised in memory, and ORT runs of them. */
final class QuantGraphs {

    private QuantGraphs() {
    }

    /** y [.., N] = MatMulNBits(x [.., K]) with all weights inline; {@code rank} 2 or 3 for x. */
    static byte[] matMulNBits(QuantizedWeight q, int accuracyLevel, int rank) throws IOException {
        GraphBuilder g = new GraphBuilder("mmnb");
        Value x = rank == 3 ? g.input("x", OnnxType.FLOAT, "b", "m", q.cols()) : g.input("x", OnnxType.FLOAT, "m", q.cols());
        GraphBuilder.NodeBuilder node = g.op("MatMulNBits", GraphBuilder.MS_DOMAIN)
                .in(x, g.weight("B", q.data()), g.weight("scales", q.scales()));
        if (!q.scheme().symmetric()) {
            node.in(g.weight("zero_points", q.zeroPoints()));
        }
        Value y = node.attr("K", (long) q.cols()).attr("N", (long) q.rows()).attr("bits", (long) q.scheme().bits())
                .attr("block_size", (long) q.scheme().blockSize()).attr("accuracy_level", (long) accuracyLevel).out();
        if (rank == 3) {
            g.output(y, "y", OnnxType.FLOAT, "b", "m", q.rows());
        } else {
            g.output(y, "y", OnnxType.FLOAT, "m", q.rows());
        }
        return serialise(g);
    }

    /** y [M, N] = x [M, K] · Wᵀ with W [N, K] given as float32 (the reference graph). */
    static byte[] matMul(float[] w, int n, int k) throws IOException {
        GraphBuilder g = new GraphBuilder("mm");
        Value x = g.input("x", OnnxType.FLOAT, "m", k);
        float[] wt = new float[k * n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                wt[c * n + r] = w[r * k + c];
            }
        }
        Value y = g.op("MatMul").in(x, g.weight("W", TensorData.ofFloats(wt, k, n))).out();
        g.output(y, "y", OnnxType.FLOAT, "m", n);
        return serialise(g);
    }

    /** out [B, S, K] = GatherBlockQuantized(table, ids [B, S]). */
    static byte[] gather(QuantizedWeight q) throws IOException {
        GraphBuilder g = new GraphBuilder("gbq");
        Value ids = g.input("ids", OnnxType.INT64, "b", "s");
        GraphBuilder.NodeBuilder node = g.op("GatherBlockQuantized", GraphBuilder.MS_DOMAIN)
                .in(g.weight("data", q.data()), ids, g.weight("scales", q.scales()));
        if (!q.scheme().symmetric()) {
            node.in(g.weight("zero_points", q.zeroPoints()));
        }
        Value y = node.attr("gather_axis", 0L).attr("quantize_axis", 1L)
                .attr("block_size", (long) q.scheme().blockSize()).attr("bits", (long) q.scheme().bits()).out();
        g.output(y, "y", OnnxType.FLOAT, "b", "s", q.cols());
        return serialise(g);
    }

    static byte[] serialise(GraphBuilder g) throws IOException {
        return new OnnxModelWriter("test", Long.MAX_VALUE).toProto(g, null, Map.of()).toByteArray();
    }

    static OrtSession session(byte[] model, int threads) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            return OrtEnvironment.getEnvironment().createSession(model, o);
        }
    }

    /** Runs a one-float-input graph; {@code shape} is x's shape. */
    static float[] run(OrtSession s, float[] x, long... shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    static float[] runIds(OrtSession s, long[] ids, long... shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OrtSession.Result r = s.run(Map.of("ids", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    static float[] gaussian(Random rnd, int count, double std) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return v;
    }

    /** x [M, K] · W [N, K]ᵀ in double, rounded to float. */
    static float[] reference(float[] x, int m, int k, float[] w, int n) {
        float[] y = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int c = 0; c < k; c++) {
                    acc += (double) x[i * k + c] * w[j * k + c];
                }
                y[i * n + j] = (float) acc;
            }
        }
        return y;
    }
}
