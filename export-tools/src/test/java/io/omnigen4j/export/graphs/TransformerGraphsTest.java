package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the exported transformer graphs of tiny-omnigen-a on the recorded inputs of every public case and compares
 * the raw per-branch outputs at steps 0 and 1 with the reference (atol 2e-4 + rtol 1e-4, the fixtures README's
 * bound). Prefill K/V are checked through the step outputs they feed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransformerGraphsTest {

    static final float MASKED = -Float.MAX_VALUE;
    static final int HIDDEN = 64, LAYERS = 2, HEADS = 4, HEAD_DIM = 16, ORIG_MAX = 64, MAX_POS = 4096;
    static final float[] SHORT = {1.0f, 1.07f, 1.18f, 1.35f, 1.61f, 2.04f, 2.75f, 3.9f};
    static final float[] LONG = {1.02f, 1.45f, 2.2f, 3.55f, 5.9f, 9.8f, 16.5f, 27.0f};

    OrtEnvironment env;
    Map<String, OrtSession> sessions = new HashMap<>();
    Path dir;

    @BeforeAll
    void export() throws Exception {
        dir = Files.createTempDirectory("og-transformer");
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        env = OrtEnvironment.getEnvironment();
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"));
             ExternalDataFile data = new ExternalDataFile(dir.resolve("transformer.weights"))) {
            TransformerGraphs tg = new TransformerGraphs(dims, new CheckpointWeights(f));
            OnnxModelWriter writer = new OnnxModelWriter("test", 1024);
            for (GraphBuilder g : tg.all()) {
                writer.write(g, dir.resolve(g.name() + ".onnx"), data, Map.of());
            }
        }
        for (String n : List.of(TransformerGraphs.TOKEN_EMBED, TransformerGraphs.IMAGE_EMBED, TransformerGraphs.STEP_EMBED,
                TransformerGraphs.DECODER, TransformerGraphs.STEP_HEAD)) {
            sessions.put(n, env.createSession(dir.resolve(n + ".onnx").toString(), new OrtSession.SessionOptions()));
        }
    }

    @AfterAll
    void close() throws Exception {
        for (OrtSession s : sessions.values()) {
            s.close();
        }
    }

    /**
     * Each projection is its own MatMul on a row block of the fused checkpoint weight (no Split), and the decoder
     * is the only graph that holds decoder-layer weights: prefill and steps share one copy.
     */
    @Test
    void projectionsAreSeparateMatMulsAndOnlyTheDecoderHoldsLayerWeights() throws Exception {
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
            TransformerGraphs tg = new TransformerGraphs(dims, new CheckpointWeights(f));
            GraphBuilder decoder = tg.decoder();
            assertTrue(decoder.nodes().stream().noneMatch(n -> n.name().startsWith("layer") && n.opType().equals("Split")),
                    "a Split in a decoder layer");
            // q, k, v, o, gate, up, down per layer
            long matMuls = decoder.nodes().stream()
                    .filter(n -> n.name().startsWith("layer") && n.opType().equals("MatMul")).count();
            assertEquals(7L * LAYERS, matMuls);
            String qkv = "llm.layers.0.self_attn.qkv_proj.weight";
            int q = HEADS * HEAD_DIM;
            assertArrayEquals(new long[] {HIDDEN, q}, decoder.initializers().get(qkv + "[0:" + q + "].T").data().shape());
            assertArrayEquals(new long[] {HIDDEN, q},
                    decoder.initializers().get(qkv + "[" + 2 * q + ":" + 3 * q + "].T").data().shape());
            for (GraphBuilder g : tg.all()) {
                if (g.name().equals(TransformerGraphs.DECODER)) {
                    continue;
                }
                assertTrue(g.initializers().keySet().stream().noneMatch(n -> n.startsWith("llm.layers.")),
                        g.name() + " holds decoder-layer weights");
            }
        }
    }

    /**
     * Every decoder node is an ancestor of {@code hidden_states}: a node only on the way to a present K/V output
     * would be a leaf that ONNX Runtime schedules after the last layer, keeping every layer's new K/V allocated until
     * the end of the run (about 3 GB for OmniGen-v1 at 1024²).
     */
    @Test
    void everyDecoderNodeFeedsTheHiddenStates() throws Exception {
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
            for (int perNode : new int[] {HEADS, 1}) {
                GraphBuilder decoder = new TransformerGraphs(dims, new CheckpointWeights(f), perNode).decoder();
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
                assertEquals(List.of(), stray, "nodes that do not feed hidden_states (" + perNode + " heads per node)");
                for (int l = 0; l < LAYERS; l++) {
                    assertTrue(reached.contains(producer.get(TransformerGraphs.presentKey(l))), "present_key_" + l);
                    assertTrue(reached.contains(producer.get(TransformerGraphs.presentValue(l))), "present_value_" + l);
                }
            }
        }
    }

    /**
     * Attention in head groups (here 4 groups of one head, as OmniGen-v1's 32 heads run in 4 groups of 8) gives the
     * same hidden states and K/V as one Attention node over all heads, with a past and a padding-style mask.
     */
    @Test
    void headGroupedAttentionMatchesOneNode() throws Exception {
        TransformerDims dims = new TransformerDims(HIDDEN, LAYERS, HEADS, HEADS, 128, 32064, 1e-5f, 192, 2, 4);
        Path gdir = Files.createTempDirectory("og-heads");
        Map<Integer, Map<String, float[]>> results = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"));
             ExternalDataFile data = new ExternalDataFile(gdir.resolve("w"))) {
            java.util.Random rnd = new java.util.Random(7);
            int b = 2, s = 5, past = 3, cache = 2;
            float[] emb = randoms(rnd, b * s * HIDDEN);
            float[] cos = randoms(rnd, b * s * HEAD_DIM / 2), sin = randoms(rnd, b * s * HEAD_DIM / 2);
            float[] mask = new float[b * s * (past + s)];
            mask[0] = MASKED; // row 0 of batch 0 does not see past token 0
            float[][] pk = new float[LAYERS][], pv = new float[LAYERS][];
            for (int l = 0; l < LAYERS; l++) {
                pk[l] = randoms(rnd, b * HEADS * past * HEAD_DIM);
                pv[l] = randoms(rnd, b * HEADS * past * HEAD_DIM);
            }
            for (int perNode : new int[] {HEADS, 1}) {
                TransformerGraphs tg = new TransformerGraphs(dims, new CheckpointWeights(f), perNode);
                assertEquals(HEADS / perNode, tg.attentionGroups());
                GraphBuilder dec = tg.decoder();
                assertEquals((long) LAYERS * HEADS / perNode,
                        dec.nodes().stream().filter(n -> n.opType().equals("Attention")).count());
                Path file = gdir.resolve("dec" + perNode + ".onnx");
                new OnnxModelWriter("test", 1024).write(dec, file, data, Map.of());
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("inputs_embeds", tensor(emb, b, s, HIDDEN));
                in.put("attention_mask", tensor(mask, b, 1, s, past + s));
                in.put("rope_cos", tensor(cos, b, s, HEAD_DIM / 2));
                in.put("rope_sin", tensor(sin, b, s, HEAD_DIM / 2));
                in.put("cache_tokens", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {cache}), new long[] {1}));
                for (int l = 0; l < LAYERS; l++) {
                    in.put(TransformerGraphs.pastKey(l), tensor(pk[l], b, HEADS, past, HEAD_DIM));
                    in.put(TransformerGraphs.pastValue(l), tensor(pv[l], b, HEADS, past, HEAD_DIM));
                }
                Map<String, float[]> out = new HashMap<>();
                try (OrtSession sess = env.createSession(file.toString(), new OrtSession.SessionOptions());
                     OrtSession.Result r = sess.run(in)) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        out.put(e.getKey(), ((OnnxTensor) e.getValue()).getFloatBuffer().array());
                    }
                } finally {
                    closeAll(in);
                }
                assertEquals(b * HEADS * cache * HEAD_DIM, out.get(TransformerGraphs.presentKey(0)).length);
                results.put(perNode, out);
            }
        }
        for (String k : results.get(HEADS).keySet()) {
            assertClose(results.get(1).get(k), results.get(HEADS).get(k), 1e-6, 1e-6, k);
        }
        assertEquals(2, TransformerGraphs.attentionGroups(32, 8, 16), "GQA: groups divide the kv heads");
        assertEquals(4, TransformerGraphs.attentionGroups(32, 32, 8));
        assertEquals(1, TransformerGraphs.attentionGroups(8, 8, 8));
    }

    static float[] randoms(java.util.Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    static List<String> cases() {
        return Fixtures.PUBLIC_CASES;
    }

    /** One forward group: the rows of one model call (a branch in separate mode, all branches when batched). */
    record Group(String prefix, String llmPrefix, String step1Prefix, int[] branches) {
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rawOutputsMatchReference(String name) throws Exception {
        Path caseDir = Fixtures.caseDir(name);
        JsonNode cj = new ObjectMapper().readTree(caseDir.resolve("case.json").toFile());
        boolean kv = cj.get("pipeline_args").get("use_kv_cache").asBoolean();
        boolean separate = cj.get("pipeline_args").get("separate_cfg_infer").asBoolean();
        int nBranch = cj.get("n_branch").asInt();
        int nPrompt = cj.get("n_prompt").asInt();
        List<Group> groups = new ArrayList<>();
        if (separate) {
            for (int g = 0; g < nBranch; g++) {
                groups.add(new Group("processor.branch." + g + ".", "step.%d.llm.branch." + g + ".",
                        "step.1.branch." + g + ".", new int[] {g}));
            }
        } else {
            int[] all = new int[nBranch];
            for (int g = 0; g < nBranch; g++) {
                all[g] = g;
            }
            groups.add(new Group("processor.", "step.%d.llm.", "step.1.", all));
        }
        double worst = 0;
        try (SafetensorsFile t = SafetensorsFile.open(caseDir.resolve("tensors.safetensors"))) {
            int[] zShape = t.info("step.0.z_in").intShape();
            int lh = zShape[2], lw = zShape[3];
            int n = (lh / 2) * (lw / 2);
            long[] posIndex = posIndex(lh / 2, lw / 2);
            for (Group grp : groups) {
                int[] mShape = t.info(grp.prefix + "attention_mask").intShape();
                int rows = mShape[0], s = mShape[1], c = s - n - 1;
                float[] mask01 = t.floats(grp.prefix + "attention_mask");
                long[] pos = t.longs(grp.prefix + "position_ids");
                float[] embeds = t.floats(String.format(grp.llmPrefix, 0) + "inputs_embeds");
                boolean longFactors = s > ORIG_MAX;
                worst = Math.max(worst, checkEmbeddings(t, cj, grp, embeds, rows, s, c, separate));
                // Prefill on the condition part of the recorded step-0 LLM input.
                float[] condEmb = sliceRows(embeds, rows, s, HIDDEN, 0, c);
                float[] prefillMask = additive(mask01, rows, s, s, 0, c, 0, c, false, n);
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("inputs_embeds", tensor(condEmb, rows, c, HIDDEN));
                in.put("attention_mask", tensor(prefillMask, rows, 1, c, c));
                float[][] rope = rope(pos, rows, s, 0, c, longFactors);
                in.put("rope_cos", tensor(rope[0], rows, c, HEAD_DIM / 2));
                in.put("rope_sin", tensor(rope[1], rows, c, HEAD_DIM / 2));
                in.put("cache_tokens", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {c}), new long[] {1}));
                for (int l = 0; l < LAYERS; l++) {
                    in.put(TransformerGraphs.pastKey(l), tensor(new float[0], rows, HEADS, 0, HEAD_DIM));
                    in.put(TransformerGraphs.pastValue(l), tensor(new float[0], rows, HEADS, 0, HEAD_DIM));
                }
                Map<String, float[]> cache = new HashMap<>();
                try (OrtSession.Result r = sessions.get(TransformerGraphs.DECODER).run(in)) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        cache.put(e.getKey(), ((OnnxTensor) e.getValue()).getFloatBuffer().array());
                    }
                } finally {
                    closeAll(in);
                }
                assertEquals(rows * HEADS * c * HEAD_DIM, cache.get(TransformerGraphs.presentKey(LAYERS - 1)).length);
                for (int step = 0; step < 2; step++) {
                    float[] z = t.floats("step." + step + ".z_in");
                    float sigma = t.floats("step." + step + ".timestep")[0];
                    float[] zRows = repeat(z, rows / nPrompt);
                    float[] ts = new float[rows];
                    java.util.Arrays.fill(ts, sigma);
                    float[] mask;
                    if (kv && step == 1) {
                        float[] m1 = t.floats(grp.step1Prefix + "attention_mask");
                        mask = additive(m1, rows, n + 1, s, 0, n + 1, 0, s, false, n);
                    } else {
                        // Step 0 with the cache: the reference's new tokens see only the condition keys.
                        mask = additive(mask01, rows, s, s, c, s, 0, s, kv && step == 0, n);
                    }
                    float[][] rp = rope(pos, rows, s, c, s, longFactors);
                    Map<String, OnnxTensor> sin = new HashMap<>();
                    sin.put("latents", tensor(zRows, rows, 4, lh, lw));
                    sin.put("timestep", tensor(ts, rows));
                    sin.put("pos_index", OnnxTensor.createTensor(env, LongBuffer.wrap(posIndex), new long[] {n}));
                    sin.put("attention_mask", tensor(mask, rows, 1, n + 1, s));
                    sin.put("rope_cos", tensor(rp[0], rows, n + 1, HEAD_DIM / 2));
                    sin.put("rope_sin", tensor(rp[1], rows, n + 1, HEAD_DIM / 2));
                    for (int l = 0; l < LAYERS; l++) {
                        sin.put(TransformerGraphs.pastKey(l), tensor(cache.get(TransformerGraphs.presentKey(l)), rows, HEADS, c, HEAD_DIM));
                        sin.put(TransformerGraphs.pastValue(l), tensor(cache.get(TransformerGraphs.presentValue(l)), rows, HEADS, c, HEAD_DIM));
                    }
                    float[] out;
                    try {
                        out = step(sin);
                    } finally {
                        closeAll(sin);
                    }
                    int per = out.length / grp.branches.length;
                    for (int bi = 0; bi < grp.branches.length; bi++) {
                        float[] expected = t.floats("step." + step + ".raw." + grp.branches[bi]);
                        float[] actual = java.util.Arrays.copyOfRange(out, bi * per, (bi + 1) * per);
                        double err = maxErr(actual, expected);
                        worst = Math.max(worst, err);
                        System.out.printf("%s step %d branch %d: max abs err %.3g%n", name, step, grp.branches[bi], err);
                        assertClose(actual, expected, 2e-4, 1e-4, name + " step " + step + " branch " + grp.branches[bi]);
                    }
                }
            }
        }
        System.out.printf("%s: worst raw-output error %.3g%n", name, worst);
    }

    /** step_embed → transformer (condition as past, no K/V kept) → step_head, as the SDK runs a step. */
    float[] step(Map<String, OnnxTensor> in) throws Exception {
        Map<String, OnnxTensor> embedIn = Map.of("latents", in.get("latents"), "timestep", in.get("timestep"),
                "pos_index", in.get("pos_index"));
        try (OrtSession.Result e = sessions.get(TransformerGraphs.STEP_EMBED).run(embedIn);
             OnnxTensor none = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {0}), new long[] {1})) {
            Map<String, OnnxTensor> dec = new HashMap<>(in);
            dec.keySet().removeAll(List.of("latents", "timestep", "pos_index"));
            dec.put("inputs_embeds", (OnnxTensor) e.get("inputs_embeds").orElseThrow());
            dec.put("cache_tokens", none);
            try (OrtSession.Result d = sessions.get(TransformerGraphs.DECODER).run(dec)) {
                OnnxTensor pk = (OnnxTensor) d.get(TransformerGraphs.presentKey(0)).orElseThrow();
                assertEquals(0L, pk.getInfo().getShape()[2], "a step keeps no K/V");
                Map<String, OnnxTensor> head = Map.of("hidden_states", (OnnxTensor) d.get("hidden_states").orElseThrow(),
                        "time_emb", (OnnxTensor) e.get("time_emb").orElseThrow(), "latents", in.get("latents"));
                try (OrtSession.Result h = sessions.get(TransformerGraphs.STEP_HEAD).run(head)) {
                    return ((OnnxTensor) h.get(0)).getFloatBuffer().array();
                }
            }
        }
    }

    private int encodeCounter;

    /**
     * token_embed on the recorded ids must give the recorded LLM input on text rows; image_embed on the recorded
     * VAE latent must give it on each image span (separate mode: branch 0's images, then branch 2's).
     */
    double checkEmbeddings(SafetensorsFile t, JsonNode cj, Group grp, float[] embeds, int rows, int s, int c,
                           boolean separate) throws Exception {
        if (grp.branches[0] == 0) {
            encodeCounter = 0;
        }
        long[] ids = t.longs(grp.prefix + "input_ids");
        float[] tok;
        try (OnnxTensor idT = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {rows, c});
             OrtSession.Result r = sessions.get(TransformerGraphs.TOKEN_EMBED).run(Map.of("input_ids", idT))) {
            tok = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
        }
        boolean[][] isImage = new boolean[rows][c];
        double worst = 0;
        JsonNode spans = separate ? cj.get("image_spans").get(grp.branches[0]) : cj.get("image_spans");
        for (int row = 0; row < rows; row++) {
            JsonNode rowSpans = spans == null ? null : spans.get(String.valueOf(row));
            if (rowSpans == null) {
                continue;
            }
            for (JsonNode span : rowSpans) {
                int a = span.get(0).asInt(), b = span.get(1).asInt();
                int n = encodeCounter++;
                float[] lat = t.floats("vae_encode." + n + ".latent");
                int[] ls = t.info("vae_encode." + n + ".latent").intShape();
                int hp = ls[2] / 2, wp = ls[3] / 2;
                assertTrue(hp * wp == b - a, "span length matches image tokens");
                float[] img;
                try (OnnxTensor lt = tensor(lat, 1, 4, ls[2], ls[3]);
                     OnnxTensor pt = OnnxTensor.createTensor(env, LongBuffer.wrap(posIndex(hp, wp)), new long[] {hp * wp});
                     OrtSession.Result r = sessions.get(TransformerGraphs.IMAGE_EMBED).run(Map.of("latents", lt, "pos_index", pt))) {
                    img = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
                }
                float[] expected = java.util.Arrays.copyOfRange(embeds, (row * s + a) * HIDDEN, (row * s + b) * HIDDEN);
                double err = maxErr(img, expected);
                worst = Math.max(worst, err);
                assertClose(img, expected, 2e-4, 1e-4, "image_embed row " + row + " span " + a);
                for (int k = a; k < b; k++) {
                    isImage[row][k] = true;
                }
            }
        }
        for (int row = 0; row < rows; row++) {
            for (int k = 0; k < c; k++) {
                if (isImage[row][k]) {
                    continue;
                }
                for (int h = 0; h < HIDDEN; h++) {
                    float a = tok[(row * c + k) * HIDDEN + h], e = embeds[(row * s + k) * HIDDEN + h];
                    if (a != e) {
                        throw new AssertionError("token_embed row " + row + " pos " + k + " differs: " + a + " vs " + e);
                    }
                }
            }
        }
        return worst;
    }

    static long[] posIndex(int hp, int wp) {
        int top = (192 - hp) / 2, left = (192 - wp) / 2;
        long[] idx = new long[hp * wp];
        for (int r = 0; r < hp; r++) {
            for (int c = 0; c < wp; c++) {
                idx[r * wp + c] = (long) (top + r) * 192 + left + c;
            }
        }
        return idx;
    }

    /** Rows [r0,r1) × cols [c0,c1) of a [B,R,C] 0/1 mask as an additive mask; compat masks the last n+1 columns. */
    static float[] additive(float[] m, int b, int rowsTotal, int colsTotal, int r0, int r1, int c0, int c1,
                            boolean maskNewColumns, int n) {
        int rows = r1 - r0, cols = c1 - c0;
        float[] out = new float[b * rows * cols];
        for (int bb = 0; bb < b; bb++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    float v = m[(bb * rowsTotal + r0 + r) * colsTotal + c0 + c];
                    boolean newCol = maskNewColumns && (c0 + c) >= colsTotal - (n + 1);
                    out[(bb * rows + r) * cols + c] = (v != 0f && !newCol) ? 0f : MASKED;
                }
            }
        }
        return out;
    }

    static float[][] rope(long[] pos, int b, int s, int t0, int t1, boolean longFactors) {
        int half = HEAD_DIM / 2;
        float[] ext = longFactors ? LONG : SHORT;
        float a = (float) Math.sqrt(1 + Math.log((double) MAX_POS / ORIG_MAX) / Math.log(ORIG_MAX));
        float[] inv = new float[half];
        for (int j = 0; j < half; j++) {
            float expo = (float) (2 * j) / (float) HEAD_DIM;
            float base = (float) Math.pow(10000.0, expo);
            inv[j] = 1f / (ext[j] * base);
        }
        int len = t1 - t0;
        float[] cos = new float[b * len * half], sin = new float[b * len * half];
        for (int bb = 0; bb < b; bb++) {
            for (int k = 0; k < len; k++) {
                float p = pos[bb * s + t0 + k];
                for (int j = 0; j < half; j++) {
                    float th = inv[j] * p;
                    cos[(bb * len + k) * half + j] = (float) Math.cos(th) * a;
                    sin[(bb * len + k) * half + j] = (float) Math.sin(th) * a;
                }
            }
        }
        return new float[][] {cos, sin};
    }

    static float[] sliceRows(float[] x, int b, int s, int h, int from, int to) {
        float[] out = new float[b * (to - from) * h];
        for (int bb = 0; bb < b; bb++) {
            System.arraycopy(x, (bb * s + from) * h, out, bb * (to - from) * h, (to - from) * h);
        }
        return out;
    }

    static float[] repeat(float[] x, int times) {
        float[] out = new float[x.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(x, 0, out, i * x.length, x.length);
        }
        return out;
    }

    OnnxTensor tensor(float[] v, long... shape) throws Exception {
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
    }

    static void closeAll(Map<String, OnnxTensor> m) {
        m.values().forEach(OnnxTensor::close);
    }

    static double maxErr(float[] a, float[] e) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - e[i]));
        }
        return m;
    }

    static void assertClose(float[] a, float[] e, double atol, double rtol, String what) {
        assertTrue(a.length == e.length, what + ": length " + a.length + " vs " + e.length);
        for (int i = 0; i < a.length; i++) {
            double tol = atol + rtol * Math.abs(e[i]);
            if (!(Math.abs((double) a[i] - e[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + a[i] + ", expected " + e[i]
                        + " (max abs err " + maxErr(a, e) + ")");
            }
        }
    }
}
