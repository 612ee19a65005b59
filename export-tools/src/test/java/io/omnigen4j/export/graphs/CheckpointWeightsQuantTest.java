package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.Value;
import io.omnigen4j.export.quant.Dequantizer;
import io.omnigen4j.export.quant.QuantScheme;
import io.omnigen4j.export.quant.QuantizedWeight;
import io.omnigen4j.export.quant.RowSource;
import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantized projections and embeddings as CheckpointWeights writes them: MatMulNBits on a row block of a fused
 * checkpoint weight, GatherBlockQuantized on the embedding table, checked in ONNX Runtime against the Java
 * dequantizer applied to the same rows read independently.
 */
class CheckpointWeightsQuantTest {

    static final int K = 64;
    static final int Q = 32;  // rows of the q part of the fused weight
    static final int KV = 16; // rows of its k part and of its v part
    static final int VOCAB = 40;

    @TempDir
    Path dir;

    private SafetensorsFile checkpoint(DType dtype) throws Exception {
        Random rnd = new Random(17);
        Path file = dir.resolve(dtype + ".safetensors");
        float[] qkv = new float[(Q + 2 * KV) * K];
        float[] embed = new float[VOCAB * K];
        for (float[] a : List.of(qkv, embed)) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextGaussian() * 0.02);
            }
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("qkv", dtype, Q + 2 * KV, K),
                TensorSpec.of("embed", dtype, VOCAB, K)))) {
            w.writeFloats("qkv", qkv);
            w.writeFloats("embed", embed);
        }
        return SafetensorsFile.open(file);
    }

    private static OrtSession session(GraphBuilder g) throws Exception {
        byte[] model = new OnnxModelWriter("test", Long.MAX_VALUE).toProto(g, null, Map.of()).toByteArray();
        return OrtEnvironment.getEnvironment().createSession(model, new OrtSession.SessionOptions());
    }

    /** Rows [start, start + count) of {@code name}, read whole from the file, quantized and read back in Java. */
    private static float[] dequantizedRows(SafetensorsFile f, String name, int start, int count, WeightFormat fmt,
                                           QuantizedWeight.Layout layout) throws Exception {
        float[] all = f.floats(name);
        float[] rows = Arrays.copyOfRange(all, start * K, (start + count) * K);
        return Dequantizer.dequantize(new QuantizedWeight(RowSource.of(rows, count, K),
                new QuantScheme(fmt.bits(), fmt.blockSize(), fmt.symmetric()), layout, name));
    }

    @Test
    void projectionOfARowBlockIsMatMulNBitsOnThoseRows() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            try (SafetensorsFile f = checkpoint(dtype)) {
                for (WeightFormat fmt : List.of(new WeightFormat(8, 32, true, 0, false),
                        new WeightFormat(4, 16, false, 0, false))) {
                    CheckpointWeights w = new CheckpointWeights(f, fmt);
                    GraphBuilder g = new GraphBuilder("proj");
                    Value x = g.input("x", OnnxType.FLOAT, "batch", "seq", K);
                    // the k and v blocks of the fused weight, and the q block, each its own node
                    Value k = w.project(g, x, "qkv", Q + 2 * KV, K, Q, KV);
                    Value v = w.project(g, x, "qkv", Q + 2 * KV, K, Q + KV, KV);
                    Value q = w.project(g, x, "qkv", Q + 2 * KV, K, 0, Q);
                    g.output(k, "k", OnnxType.FLOAT, "batch", "seq", KV);
                    g.output(v, "v", OnnxType.FLOAT, "batch", "seq", KV);
                    g.output(q, "q", OnnxType.FLOAT, "batch", "seq", Q);
                    assertEquals(3, g.nodes().stream().filter(nd -> nd.opType().equals("MatMulNBits")
                            && nd.domain().equals(GraphBuilder.MS_DOMAIN)).count());
                    GraphBuilder.Node first = g.nodes().get(0);
                    assertEquals((long) K, first.attributes().get("K"));
                    assertEquals((long) KV, first.attributes().get("N"));
                    assertEquals((long) fmt.bits(), first.attributes().get("bits"));
                    assertEquals(fmt.symmetric() ? 3 : 4, first.inputs().size());
                    assertTrue(g.initializers().keySet().stream().anyMatch(n -> n.startsWith("qkv[32:48].")),
                            g.initializers().keySet().toString());
                    int m = 3;
                    float[] xs = new float[m * K];
                    Random rnd = new Random(4);
                    for (int i = 0; i < xs.length; i++) {
                        xs[i] = (float) rnd.nextGaussian();
                    }
                    try (OrtSession s = session(g);
                         OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(xs), new long[] {1, m, K});
                         OrtSession.Result r = s.run(Map.of("x", xt))) {
                        int[][] blocks = {{Q, KV}, {Q + KV, KV}, {0, Q}};
                        for (int o = 0; o < 3; o++) {
                            float[] y = ((OnnxTensor) r.get(o)).getFloatBuffer().array();
                            int start = blocks[o][0], count = blocks[o][1];
                            float[] dq = dequantizedRows(f, "qkv", start, count, fmt,
                                    QuantizedWeight.Layout.MATMUL_NBITS);
                            for (int i = 0; i < m; i++) {
                                for (int j = 0; j < count; j++) {
                                    double ref = 0, abs = 0;
                                    for (int c = 0; c < K; c++) {
                                        ref += (double) xs[i * K + c] * dq[j * K + c];
                                        abs += Math.abs((double) xs[i * K + c] * dq[j * K + c]);
                                    }
                                    assertEquals(ref, y[i * count + j], 1e-5 * abs, dtype + " " + fmt + " rows "
                                            + start + "+" + count + " (" + i + "," + j + ")");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void embeddingIsGatherBlockQuantizedWhenAskedAndGatherOtherwise() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SafetensorsFile f = checkpoint(DType.BF16)) {
            for (WeightFormat fmt : List.of(new WeightFormat(8, 32, true, 4, true),
                    new WeightFormat(4, 32, false, 4, true), new WeightFormat(8, 32, true, 4, false),
                    WeightFormat.FP32)) {
                GraphBuilder g = new GraphBuilder("embed");
                Value ids = g.input("ids", OnnxType.INT64, "batch", "seq");
                g.output(new CheckpointWeights(f, fmt).embedding(g, ids, "embed", VOCAB, K), "e", OnnxType.FLOAT,
                        "batch", "seq", K);
                boolean quantized = fmt.quantized() && fmt.quantizeEmbedding();
                assertEquals(quantized ? "GatherBlockQuantized" : "Gather", g.nodes().get(0).opType());
                long[] idv = {5, 0, 39, 5};
                float[] expected = quantized
                        ? dequantizedRows(f, "embed", 0, VOCAB, fmt, QuantizedWeight.Layout.GATHER) : f.floats("embed");
                try (OrtSession s = session(g);
                     OnnxTensor it = OnnxTensor.createTensor(env, LongBuffer.wrap(idv), new long[] {2, 2});
                     OrtSession.Result r = s.run(Map.of("ids", it))) {
                    float[] y = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
                    for (int i = 0; i < idv.length; i++) {
                        for (int c = 0; c < K; c++) {
                            assertEquals(expected[(int) idv[i] * K + c], y[i * K + c], fmt + " id " + idv[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void float32FormatKeepsMatMulOnTransposedRowsAndShapesAreChecked() throws Exception {
        try (SafetensorsFile f = checkpoint(DType.F32)) {
            GraphBuilder g = new GraphBuilder("fp32");
            Value x = g.input("x", OnnxType.FLOAT, "m", K);
            new CheckpointWeights(f).project(g, x, "qkv", Q + 2 * KV, K, Q, KV);
            assertEquals("MatMul", g.nodes().get(0).opType());
            CheckpointWeights q8 = new CheckpointWeights(f, new WeightFormat(8, 32, true, 4, false));
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () ->
                    q8.project(new GraphBuilder("bad"), x, "qkv", Q + 2 * KV, 2 * K, 0, Q));
            assertTrue(e.getCause() instanceof SafetensorsException && e.getMessage().contains("qkv"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () ->
                    q8.project(new GraphBuilder("rows"), x, "qkv", Q + 2 * KV, K, Q + KV, 2 * KV));
        }
    }
}
