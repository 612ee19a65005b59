package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.safetensors.SafetensorsFile;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Measurement (not a unit test) behind the half-precision graphs' float32 residual stream: decoder layers at
 * OmniGen-v1's width (hidden 3072, 32 heads, MLP 8192, random weights) exported as fp32, as fp16 with the float32
 * residual (the exporter's choice) and as fp16 with the residual in float16 too, run on ONNX Runtime's CPU provider
 * over the same inputs. Prints the relative L2 error and the largest error of the hidden states against fp32, for
 * plain N(0, 1) inputs and for inputs with a few outlier channels of large magnitude (as trained LLMs' hidden
 * states have), and the time of one run of each.
 *
 * <pre>
 * java -cp CLASSPATH io.omnigen4j.export.graphs.HalfResidualBench [DIR] [LAYERS] [TOKENS] [OUTLIER]
 * </pre>
 * DIR holds the generated checkpoint (about 1.8 GB for 2 layers; reused when present); defaults 2 layers, 256
 * tokens, outlier magnitude 1000.
 */
public final class HalfResidualBench {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "half-residual-bench");
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        float outlier = args.length > 3 ? Float.parseFloat(args[3]) : 1000f;
        int hidden = 3072, heads = 32, inter = 8192, headDim = hidden / heads;
        Path ckpt = dir.resolve("checkpoint");
        if (!Files.exists(ckpt.resolve("model.safetensors"))) {
            Files.createDirectories(dir);
            RandomCheckpointGenerator.generate(CheckpointSpec.builder().hidden(hidden).layers(layers).heads(heads)
                    .intermediate(inter).build(), 5, ckpt);
        }
        TransformerDims dims = new TransformerDims(hidden, layers, heads, heads, inter, 32064, 1e-5f, 192, 2, 4);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Random rnd = new Random(3);
        float[] plain = new float[tokens * hidden];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (float) rnd.nextGaussian();
        }
        float[] spiky = plain.clone();
        int[] channels = {7, 1000, 2047, 3000};
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < channels.length; c++) {
                spiky[t * hidden + channels[c]] = (c % 2 == 0 ? outlier : -outlier) * (0.8f + 0.4f * rnd.nextFloat());
            }
        }
        float[] cos = new float[tokens * headDim / 2];
        float[] sin = new float[cos.length];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < headDim / 2; j++) {
                double a = t * Math.pow(10000, -2.0 * j / headDim);
                cos[t * headDim / 2 + j] = (float) Math.cos(a);
                sin[t * headDim / 2 + j] = (float) Math.sin(a);
            }
        }
        String[] variants = {"fp32", "fp16 (fp32 residual)", "fp16 (fp16 residual, fused)"};
        Map<String, Path> graphs = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
            for (int v = 0; v < variants.length; v++) {
                Path g = dir.resolve("decoder" + v + ".onnx");
                if (!Files.exists(g)) {
                    CheckpointWeights w = new CheckpointWeights(f, v == 0 ? WeightFormat.FP32 : WeightFormat.FP16);
                    GraphBuilder dec = new TransformerGraphs(dims, w, 8, v == 2).decoder();
                    try (ExternalDataFile data = new ExternalDataFile(dir.resolve("decoder" + v + ".weights"))) {
                        new OnnxModelWriter("bench", 1024).write(dec, g, data, Map.of());
                    }
                }
                graphs.put(variants[v], g);
            }
        }
        for (float[] input : new float[][] {plain, spiky}) {
            System.out.println(input == plain ? "inputs N(0, 1):" : "inputs N(0, 1) with 4 channels at ±" + outlier
                    + ":");
            float[] ref = null;
            for (Map.Entry<String, Path> e : graphs.entrySet()) {
                long t0 = System.nanoTime();
                float[] h = run(env, e.getValue(), input, cos, sin, tokens, hidden, layers, heads, headDim);
                double ms = (System.nanoTime() - t0) / 1e6;
                if (ref == null) {
                    ref = h;
                    double rms = 0;
                    for (float x : h) {
                        rms += (double) x * x;
                    }
                    System.out.printf("  %-22s %8.0f ms (session + run)  hidden-state rms %.3g%n", e.getKey(), ms,
                            Math.sqrt(rms / h.length));
                    continue;
                }
                double num = 0, den = 0, max = 0;
                for (int i = 0; i < h.length; i++) {
                    double d = (double) h[i] - ref[i];
                    num += d * d;
                    den += (double) ref[i] * ref[i];
                    max = Math.max(max, Math.abs(d));
                }
                System.out.printf("  %-22s %8.0f ms (session + run)  relative L2 %.3g  max |err| %.3g%n", e.getKey(),
                        ms, Math.sqrt(num / den), max);
            }
        }
    }

    private static float[] run(OrtEnvironment env, Path graph, float[] emb, float[] cos, float[] sin, int tokens,
                               int hidden, int layers, int heads, int headDim) throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(graph.toString(), so)) {
            in.put("inputs_embeds", OnnxTensor.createTensor(env, FloatBuffer.wrap(emb), new long[] {1, tokens, hidden}));
            in.put("attention_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[tokens * tokens]),
                    new long[] {1, 1, tokens, tokens}));
            in.put("rope_cos", OnnxTensor.createTensor(env, FloatBuffer.wrap(cos), new long[] {1, tokens, headDim / 2}));
            in.put("rope_sin", OnnxTensor.createTensor(env, FloatBuffer.wrap(sin), new long[] {1, tokens, headDim / 2}));
            in.put("cache_tokens", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {0}), new long[] {1}));
            for (int l = 0; l < layers; l++) {
                in.put(TransformerGraphs.pastKey(l), OnnxTensor.createTensor(env, FloatBuffer.allocate(0),
                        new long[] {1, heads, 0, headDim}));
                in.put(TransformerGraphs.pastValue(l), OnnxTensor.createTensor(env, FloatBuffer.allocate(0),
                        new long[] {1, heads, 0, headDim}));
            }
            try (OrtSession.Result r = s.run(in)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (e.getKey().equals("hidden_states")) {
                        return ((OnnxTensor) e.getValue()).getFloatBuffer().array();
                    }
                }
            }
            throw new IllegalStateException("no hidden_states");
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }
}
