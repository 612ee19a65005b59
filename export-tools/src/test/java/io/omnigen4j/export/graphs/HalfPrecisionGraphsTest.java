package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.manifest.ManifestModel;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.proto.OnnxProto;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fp16 and bf16 transformer graphs ({@code export --precision fp16|bf16}) of tiny-omnigen-a: their structure and
 * element types read back from the written ONNX files with the project's proto classes (every MatMul and Attention in
 * the half type, norms and the residual stream float32, the I/O contract unchanged), fp16 run on ONNX Runtime's CPU
 * provider against the float32 graphs, and bf16 resolved by ONNX Runtime up to the missing CPU kernels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HalfPrecisionGraphsTest {

    static final int HIDDEN = 64, LAYERS = 2, HEADS = 4, HEAD_DIM = 16;
    static final List<String> GRAPHS = List.of(TransformerGraphs.TOKEN_EMBED, TransformerGraphs.IMAGE_EMBED,
            TransformerGraphs.STEP_EMBED, TransformerGraphs.DECODER, TransformerGraphs.STEP_HEAD);

    Path root;
    Map<ExportOptions.Precision, Path> exported = new LinkedHashMap<>();
    Map<ExportOptions.Precision, ManifestModel> manifests = new LinkedHashMap<>();
    OrtEnvironment env;

    @BeforeAll
    void export() throws Exception {
        env = OrtEnvironment.getEnvironment();
        root = Files.createTempDirectory("og-half");
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP32, ExportOptions.Precision.FP16,
                ExportOptions.Precision.BF16)) {
            Path out = root.resolve(p.id());
            manifests.put(p, OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out)
                    .precision(p).build()));
            exported.put(p, out);
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void manifestRecordsThePrecisionAndKeepsTheIoContract() {
        ManifestModel fp32 = manifests.get(ExportOptions.Precision.FP32);
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP16, ExportOptions.Precision.BF16)) {
            ManifestModel m = manifests.get(p);
            assertEquals(p.id(), m.precision());
            assertEquals(null, m.quantization(), "half precision is not a quantization");
            assertEquals(fp32.graphsRevision(), m.graphsRevision(), "existing graphs unchanged: same revision");
            for (String g : fp32.graphs().keySet()) {
                assertEquals(fp32.graphs().get(g).inputs(), m.graphs().get(g).inputs(), g + " inputs");
                assertEquals(fp32.graphs().get(g).outputs(), m.graphs().get(g).outputs(), g + " outputs");
            }
            long halfBytes = size(m, OmniGenExporter.TRANSFORMER_WEIGHTS);
            long fullBytes = size(fp32, OmniGenExporter.TRANSFORMER_WEIGHTS);
            assertTrue(halfBytes < 0.56 * fullBytes && halfBytes > 0.45 * fullBytes,
                    p.id() + " transformer.weights " + halfBytes + " vs fp32 " + fullBytes);
            assertEquals(size(fp32, OmniGenExporter.VAE_WEIGHTS), size(m, OmniGenExporter.VAE_WEIGHTS), "VAE fp32");
        }
    }

    /** Element types of every graph, inferred from the written files, for both half types. */
    @Test
    void halfGraphsHaveTheIntendedTypes() throws Exception {
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP16, ExportOptions.Precision.BF16)) {
            int half = p == ExportOptions.Precision.FP16 ? OnnxType.FLOAT16.code() : OnnxType.BFLOAT16.code();
            int f32 = OnnxType.FLOAT.code();
            Map<String, Integer> opsInHalf = new HashMap<>();
            for (String name : GRAPHS) {
                OnnxProto.GraphProto graph = read(exported.get(p).resolve(name + ".onnx")).getGraph();
                Map<String, Integer> types = inferTypes(graph);
                for (OnnxProto.NodeProto n : graph.getNodeList()) {
                    List<Integer> in = n.getInputList().stream().filter(s -> !s.isEmpty()).map(types::get).toList();
                    String where = p.id() + " " + name + " " + n.getName();
                    switch (n.getOpType()) {
                        case "MatMul", "Conv", "RotaryEmbedding" -> {
                            assertTrue(in.stream().allMatch(t -> t == half), where + " inputs " + in);
                            opsInHalf.merge(n.getOpType(), 1, Integer::sum);
                        }
                        case "Attention" -> {
                            assertEquals(List.of(half, half, half, half), in, where + " (Q, K, V, mask)");
                            // Unset: ONNX Runtime's CUDA Attention refuses any softmax_precision (NOT_IMPLEMENTED)
                            // and its kernels softmax in float32 anyway.
                            assertEquals(-1L, attr(n, "softmax_precision"), where + " softmax_precision set");
                            opsInHalf.merge(n.getOpType(), 1, Integer::sum);
                        }
                        case "RMSNormalization", "LayerNormalization" ->
                                assertEquals(List.of(f32, f32), in, where + " norms stay float32");
                        default -> { }
                    }
                }
                // The residual stream: two float32 Adds per layer (attention and MLP outputs cast up).
                if (name.equals(TransformerGraphs.DECODER)) {
                    long residualAdds = graph.getNodeList().stream().filter(n -> n.getOpType().equals("Add"))
                            .filter(n -> types.get(n.getOutput(0)) == f32).count();
                    assertEquals(2L * LAYERS, residualAdds, p.id() + " float32 residual adds");
                }
                // Float32 initializers are only norm gains and small constants; the weights are half.
                for (OnnxProto.TensorProto t : graph.getInitializerList()) {
                    if (t.getDataType() == f32) {
                        assertTrue(t.getName().endsWith("layernorm.weight") || t.getName().equals("llm.norm.weight")
                                || t.getName().contains("const"), p.id() + " " + name + ": float32 " + t.getName());
                    } else if (t.getDataType() != OnnxType.INT64.code()) {
                        assertEquals(half, t.getDataType(), p.id() + " " + name + ": " + t.getName());
                    }
                }
                // Declared outputs (float32 in the manifest) are what the nodes produce.
                for (OnnxProto.ValueInfoProto o : graph.getOutputList()) {
                    assertEquals(o.getType().getTensorType().getElemType(), types.get(o.getName()),
                            p.id() + " " + name + " output " + o.getName());
                }
            }
            assertEquals(7 * LAYERS, opsInHalf.get("MatMul") - 6, p.id() + ": 7 per layer + 6 in the embedders/head");
            assertEquals(2 * LAYERS, opsInHalf.get("RotaryEmbedding"));
            assertEquals(LAYERS, opsInHalf.get("Attention"));
            assertEquals(2, opsInHalf.get("Conv"), "both patch embeddings");
        }
    }

    /** Half mode only adds Casts and the mask's clamp: without them the node sequence is the float32 one. */
    @Test
    void halfGraphsAreTheFloat32GraphsPlusCasts() throws Exception {
        for (String name : GRAPHS) {
            List<String> fp32 = ops(read(exported.get(ExportOptions.Precision.FP32).resolve(name + ".onnx")));
            assertFalse(fp32.contains("Cast"), "no Cast in the float32 " + name);
            for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP16, ExportOptions.Precision.BF16)) {
                List<String> h = ops(read(exported.get(p).resolve(name + ".onnx")));
                assertTrue(h.contains("Cast"), p.id() + " " + name + " has Casts");
                List<String> stripped = new ArrayList<>(h);
                stripped.removeIf(op -> op.equals("Cast") || op.equals("Max"));
                assertEquals(fp32, stripped, p.id() + " " + name);
            }
        }
    }

    /**
     * The fp16 decoder on ONNX Runtime's CPU provider against the float32 one, with a past, a masked key (−FLT_MAX,
     * as the SDK sends) and present K/V: relative L2 error of each output within 2.5e-3 (measured at most 1.2e-3,
     * the hidden states), and each value within 1 % of the output's largest magnitude.
     */
    @Test
    void fp16DecoderMatchesFloat32OnTheCpu() throws Exception {
        Map<String, long[]> shapes = new HashMap<>();
        Map<String, float[]> in = decoderInputs(shapes);
        Map<String, float[]> ref = runDecoder(exported.get(ExportOptions.Precision.FP32), in, shapes, 2);
        Map<String, float[]> got = runDecoder(exported.get(ExportOptions.Precision.FP16), in, shapes, 2);
        assertEquals(ref.keySet(), got.keySet());
        for (String k : ref.keySet()) {
            double rel = relL2(got.get(k), ref.get(k));
            double maxRef = 0;
            double maxErr = 0;
            for (int i = 0; i < ref.get(k).length; i++) {
                maxRef = Math.max(maxRef, Math.abs(ref.get(k)[i]));
                maxErr = Math.max(maxErr, Math.abs(got.get(k)[i] - ref.get(k)[i]));
            }
            System.out.printf("fp16 vs fp32 %s: relative L2 %.3g, max |err| %.3g of max |ref| %.3g%n", k, rel, maxErr,
                    maxRef);
            assertTrue(rel > 0, k + ": fp16 must differ from fp32 at all (else the test compares fp32 with itself)");
            assertTrue(rel < 2.5e-3, k + ": relative L2 " + rel);
            assertTrue(maxErr < 0.01 * maxRef, k + ": max error " + maxErr + " of " + maxRef);
        }
    }

    /**
     * The measured alternative (not exported): the residual stream in float16, each add fused with the next norm
     * into SkipSimplifiedLayerNormalization. It runs on the CPU (float16 kernel) and stays near fp32; the exporter's
     * float32 residual is closer (HalfResidualBench, conformance/README.md).
     */
    @Test
    void fusedHalfResidualVariantRunsAndStaysClose() throws Exception {
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        Path dir = root.resolve("fused");
        Files.createDirectories(dir);
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"));
             ExternalDataFile data = new ExternalDataFile(dir.resolve("transformer.weights"))) {
            GraphBuilder dec = new TransformerGraphs(dims, new CheckpointWeights(f, WeightFormat.FP16), 8, true)
                    .decoder();
            assertEquals(2L * LAYERS - 1, dec.nodes().stream()
                    .filter(n -> n.opType().equals("SkipSimplifiedLayerNormalization")).count());
            assertEquals(1L, dec.nodes().stream().filter(n -> n.opType().equals("Add")).count(),
                    "one plain Add: the last MLP output");
            new OnnxModelWriter("test", 1024).write(dec, dir.resolve(TransformerGraphs.DECODER + ".onnx"), data,
                    Map.of());
        }
        Map<String, long[]> shapes = new HashMap<>();
        Map<String, float[]> in = decoderInputs(shapes);
        Map<String, float[]> ref = runDecoder(exported.get(ExportOptions.Precision.FP32), in, shapes, 2);
        Map<String, float[]> got = runDecoder(dir, in, shapes, 2);
        for (String k : ref.keySet()) {
            double rel = relL2(got.get(k), ref.get(k));
            assertTrue(rel > 0 && rel < 5e-3, k + ": relative L2 " + rel);
        }
    }

    private static Map<String, float[]> decoderInputs(Map<String, long[]> shapes) {
        Random rnd = new Random(11);
        int b = 2, s = 5, past = 3;
        Map<String, float[]> in = new LinkedHashMap<>();
        put(in, shapes, "inputs_embeds", randoms(rnd, b * s * HIDDEN), b, s, HIDDEN);
        float[] mask = new float[b * s * (past + s)];
        mask[0] = -Float.MAX_VALUE;
        mask[mask.length - 1] = -Float.MAX_VALUE;
        put(in, shapes, "attention_mask", mask, b, 1, s, past + s);
        float[] cos = new float[b * s * HEAD_DIM / 2];
        float[] sin = new float[cos.length];
        for (int i = 0; i < cos.length; i++) {
            double a = rnd.nextDouble() * 6.28;
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
        put(in, shapes, "rope_cos", cos, b, s, HEAD_DIM / 2);
        put(in, shapes, "rope_sin", sin, b, s, HEAD_DIM / 2);
        for (int l = 0; l < LAYERS; l++) {
            put(in, shapes, TransformerGraphs.pastKey(l), randoms(rnd, b * HEADS * past * HEAD_DIM), b, HEADS, past,
                    HEAD_DIM);
            put(in, shapes, TransformerGraphs.pastValue(l), randoms(rnd, b * HEADS * past * HEAD_DIM), b, HEADS, past,
                    HEAD_DIM);
        }
        return in;
    }

    /**
     * ONNX Runtime resolves the bf16 graphs (types and shapes check) and stops only at the CPU provider's missing
     * bfloat16 kernels; the graphs without any (the token embedding: Gather + Cast) load and run.
     */
    @Test
    void bf16GraphsResolveInOnnxRuntimeUpToTheMissingCpuKernels() throws Exception {
        Path dir = exported.get(ExportOptions.Precision.BF16);
        OrtException e = assertThrows(OrtException.class,
                () -> env.createSession(dir.resolve(TransformerGraphs.DECODER + ".onnx").toString(),
                        new OrtSession.SessionOptions()).close());
        assertTrue(e.getMessage().contains("Could not find an implementation for"), e.getMessage());
        for (String bad : List.of("Type Error", "type mismatch", "InferenceError", "Invalid model")) {
            assertFalse(e.getMessage().contains(bad), e.getMessage());
        }
        try (OrtSession s = env.createSession(dir.resolve(TransformerGraphs.TOKEN_EMBED + ".onnx").toString(),
                new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {1, 5, 9}), new long[] {1, 3});
             OrtSession.Result r = s.run(Map.of("input_ids", ids))) {
            float[] e32 = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
            try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
                // Row 5 of the table, rounded to bfloat16: the Gather and Cast are exact.
                float[] row = CheckpointTensor.of(f, "llm.embed_tokens.weight").toFloatArray();
                for (int j = 0; j < HIDDEN; j++) {
                    float want = Float.intBitsToFloat(
                            (io.omnigen4j.export.safetensors.FloatEncoding.toBf16(row[5 * HIDDEN + j]) & 0xFFFF) << 16);
                    assertEquals(want, e32[HIDDEN + j], "embedding row 5, column " + j);
                }
            }
        }
    }

    /** Every decoder node feeds hidden_states in half mode too (no leaf that ONNX Runtime would schedule last). */
    @Test
    void everyHalfDecoderNodeFeedsTheHiddenStates() throws Exception {
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
            for (boolean halfResidual : new boolean[] {false, true}) {
                GraphBuilder decoder = new TransformerGraphs(dims, new CheckpointWeights(f, WeightFormat.FP16), 8,
                        halfResidual).decoder();
                Map<String, GraphBuilder.Node> producer = new HashMap<>();
                decoder.nodes().forEach(n -> n.outputs().forEach(o -> producer.put(o, n)));
                java.util.Set<GraphBuilder.Node> reached = new java.util.HashSet<>();
                java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of("hidden_states"));
                while (!todo.isEmpty()) {
                    GraphBuilder.Node n = producer.get(todo.pop());
                    if (n != null && reached.add(n)) {
                        todo.addAll(n.inputs());
                    }
                }
                List<String> stray = decoder.nodes().stream().filter(n -> !reached.contains(n))
                        .map(GraphBuilder.Node::name).toList();
                assertEquals(List.of(), stray, "half residual " + halfResidual);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> new TransformerGraphs(dims, new CheckpointWeights(f), 8, true), "fp32 with a half residual");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Map<String, float[]> runDecoder(Path dir, Map<String, float[]> in, Map<String, long[]> shapes, int cache)
            throws OrtException {
        Map<String, OnnxTensor> t = new HashMap<>();
        try (OrtSession s = env.createSession(dir.resolve(TransformerGraphs.DECODER + ".onnx").toString(),
                new OrtSession.SessionOptions())) {
            for (Map.Entry<String, float[]> e : in.entrySet()) {
                t.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), shapes.get(e.getKey())));
            }
            t.put("cache_tokens", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {cache}), new long[] {1}));
            Map<String, float[]> out = new LinkedHashMap<>();
            try (OrtSession.Result r = s.run(t)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    out.put(e.getKey(), ((OnnxTensor) e.getValue()).getFloatBuffer().array());
                }
            }
            return out;
        } finally {
            t.values().forEach(OnnxTensor::close);
        }
    }

    private static void put(Map<String, float[]> in, Map<String, long[]> shapes, String name, float[] v, long... shape) {
        in.put(name, v);
        shapes.put(name, shape);
    }

    static float[] randoms(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    static double relL2(float[] a, float[] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - ref[i];
            num += d * d;
            den += (double) ref[i] * ref[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    private static long size(ManifestModel m, String file) {
        return m.files().stream().filter(f -> f.path().equals(file)).findFirst().orElseThrow().bytes();
    }

    static OnnxProto.ModelProto read(Path onnx) throws Exception {
        return OnnxProto.ModelProto.parseFrom(Files.readAllBytes(onnx));
    }

    private static List<String> ops(OnnxProto.ModelProto m) {
        return m.getGraph().getNodeList().stream().map(OnnxProto.NodeProto::getOpType).collect(Collectors.toList());
    }

    private static long attr(OnnxProto.NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
                .map(OnnxProto.AttributeProto::getI).orElse(-1L);
    }

    /**
     * Element type of every value, propagated through the nodes in order (the graphs are written topologically):
     * Cast gives its {@code to}, Shape int64, RMSNormalization its scale's type, everything else here its first
     * input's; ops whose inputs must agree are checked on the way.
     */
    static Map<String, Integer> inferTypes(OnnxProto.GraphProto g) {
        Map<String, Integer> types = new HashMap<>();
        g.getInputList().forEach(v -> types.put(v.getName(), v.getType().getTensorType().getElemType()));
        g.getInitializerList().forEach(t -> types.put(t.getName(), t.getDataType()));
        for (OnnxProto.NodeProto n : g.getNodeList()) {
            List<Integer> in = new ArrayList<>();
            for (String s : n.getInputList()) {
                if (!s.isEmpty()) {
                    Integer t = types.get(s);
                    assertTrue(t != null, n.getName() + ": input " + s + " has no type yet");
                    in.add(t);
                }
            }
            int out = switch (n.getOpType()) {
                case "Cast" -> (int) attr(n, "to");
                case "Shape" -> OnnxType.INT64.code();
                case "RMSNormalization" -> in.get(1);
                default -> in.get(0);
            };
            List<Integer> mustAgree = switch (n.getOpType()) {
                case "MatMul", "Add", "Mul", "Max", "Div", "Concat", "Conv", "LayerNormalization" -> in;
                case "RotaryEmbedding", "Attention" -> in.subList(0, Math.min(in.size(), 4));
                default -> List.of();
            };
            assertTrue(mustAgree.stream().distinct().count() <= 1, n.getName() + " (" + n.getOpType()
                    + ") mixes element types " + in);
            for (String o : n.getOutputList()) {
                types.put(o, out);
            }
        }
        return types;
    }
}
