package io.omnigen4j.samples.bench;

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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How fast this machine is right now, in the two resources the pipeline spends: float32 multiply-adds (a
 * one-thread ONNX Runtime MatMul, 1024 × 1024 activations by a constant 1024 × 1024 weight) and memory bandwidth
 * (a one-thread Add of two 64 MB tensors, counting 3 × 64 MB moved), each best of {@value #RUNS}. Shared and
 * virtual machines drift by 10–40 % within minutes, through other tenants' use of the memory system as much as of
 * the cores; recording the probe before and after the benchmark tells a slow run from a slow machine. Takes about
 * a second.
 */
final class SpeedProbe {

    static final int N = 1024;
    static final int RUNS = 12;

    private SpeedProbe() {
    }

    /** Elements of each tensor of the bandwidth probe (64 MB of float32). */
    static final int STREAM = 16 << 20;

    /** Both probes, measured now. */
    record Speed(double matMulGflops, double memoryGBps) {
    }

    static Speed measure() throws IOException, OrtException {
        GraphBuilder mm = new GraphBuilder("speed_probe_matmul");
        float[] w = new float[N * N];
        for (int i = 0; i < w.length; i++) {
            w[i] = ((i * 7919) % 1000) / 1000f - 0.5f;
        }
        Value x = mm.input("x", OnnxType.FLOAT, N, N);
        mm.output(mm.op("MatMul").in(x, mm.weight("w", TensorData.ofFloats(w, N, N))).out(), "y", OnnxType.FLOAT, N, N);
        GraphBuilder add = new GraphBuilder("speed_probe_add");
        Value a = add.input("a", OnnxType.FLOAT, STREAM);
        Value b = add.input("b", OnnxType.FLOAT, STREAM);
        add.output(add.op("Add").in(a, b).out(), "sum", OnnxType.FLOAT, STREAM);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor tx = OnnxTensor.createTensor(env, filled(N * N), new long[] {N, N});
             OnnxTensor ta = OnnxTensor.createTensor(env, filled(STREAM), new long[] {STREAM});
             OnnxTensor tb = OnnxTensor.createTensor(env, filled(STREAM), new long[] {STREAM})) {
            long mmNanos = best(env, mm, Map.of("x", tx));
            long addNanos = best(env, add, Map.of("a", ta, "b", tb));
            return new Speed(2.0 * N * N * N / mmNanos, 3.0 * STREAM * Float.BYTES / addNanos);
        }
    }

    /** Nanoseconds of the fastest of {@value #RUNS} runs of {@code graph} on one thread. */
    private static long best(OrtEnvironment env, GraphBuilder graph, Map<String, OnnxTensor> in)
            throws IOException, OrtException {
        Path file = Files.createTempFile("omnigen4j-speed-probe", ".onnx");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            new OnnxModelWriter("speed-probe", Long.MAX_VALUE).write(graph, file, null, Map.of());
            so.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(file.toString(), so)) {
                long best = Long.MAX_VALUE;
                for (int i = 0; i < RUNS; i++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result r = s.run(in)) {
                        best = Math.min(best, System.nanoTime() - t0);
                    }
                }
                return best;
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static FloatBuffer filled(int n) {
        FloatBuffer f = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            f.put(i, ((i * 104729) % 1000) / 1000f - 0.5f);
        }
        return f;
    }
}
