package io.omnigen4j.export.graphs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxModelWriter;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;
import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the exported VAE encoder and decoder of tiny-omnigen-a in ONNX Runtime (CPU) against the recorded
 * conformance tensors of every public case with both convolution algorithms (Winograd and direct), and checks the
 * GroupNorm formulation, the convolution choice per layer, and legacy attention key names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaeGraphsTest {

    private static final String MODEL = "tiny-omnigen-a";
    private static final float SCALING_FACTOR = 0.13025f;
    private static final VaeGraphs.Dims DIMS =
            new VaeGraphs.Dims(3, 3, 4, new int[] {32, 32, 64, 64}, 2, 32, true, true, true);

    @TempDir
    static Path dir;

    private OrtEnvironment env;
    private SafetensorsFile vae;
    /** The default graphs (Winograd), used by the tests that do not name an algorithm. */
    private OrtSession encoder;
    private OrtSession decoder;
    private final Map<VaeGraphs.Convolution, OrtSession> encoders = new EnumMap<>(VaeGraphs.Convolution.class);
    private final Map<VaeGraphs.Convolution, OrtSession> decoders = new EnumMap<>(VaeGraphs.Convolution.class);

    /** Every public case with every convolution algorithm. */
    static Stream<Arguments> casesAndConvolutions() {
        return Fixtures.PUBLIC_CASES.stream()
                .flatMap(c -> Arrays.stream(VaeGraphs.Convolution.values()).map(a -> Arguments.of(c, a)));
    }

    private static Path vaeFile() {
        return Fixtures.model(MODEL).resolve("vae").resolve("diffusion_pytorch_model.safetensors");
    }

    @BeforeAll
    void exportGraphs() throws Exception {
        env = OrtEnvironment.getEnvironment();
        vae = SafetensorsFile.open(vaeFile());
        for (VaeGraphs.Convolution c : VaeGraphs.Convolution.values()) {
            Path out = Files.createDirectories(dir.resolve("modern-" + c.name().toLowerCase(java.util.Locale.ROOT)));
            encoders.put(c, session(VaeGraphs.encoder(vae, DIMS, c), out));
            decoders.put(c, session(VaeGraphs.decoder(vae, DIMS, c), out));
        }
        encoder = encoders.get(VaeGraphs.Convolution.WINOGRAD);
        decoder = decoders.get(VaeGraphs.Convolution.WINOGRAD);
    }

    @AfterAll
    void close() throws Exception {
        try (SafetensorsFile v = vae;
             OrtSession e1 = encoders.get(VaeGraphs.Convolution.WINOGRAD);
             OrtSession d1 = decoders.get(VaeGraphs.Convolution.WINOGRAD);
             OrtSession e2 = encoders.get(VaeGraphs.Convolution.DIRECT);
             OrtSession d2 = decoders.get(VaeGraphs.Convolution.DIRECT)) {
            // closes all five
        }
    }

    /** Writes the graph with its weights in an external data file beside it and opens it in ORT (CPU). */
    private OrtSession session(GraphBuilder g, Path folder) throws IOException, OrtException {
        Path model = folder.resolve(g.name() + ".onnx");
        try (ExternalDataFile data = new ExternalDataFile(folder.resolve(g.name() + ".onnx.data"))) {
            new OnnxModelWriter("test", 1024).write(g, model, data, Map.of());
        }
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            return env.createSession(model.toString(), opts);
        }
    }

    // ---- conformance --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesAndConvolutions")
    void encoderMatchesRecordedPosteriorAndLatent(String caseName, VaeGraphs.Convolution conv) throws Exception {
        OrtSession encoder = encoders.get(conv);
        try (SafetensorsFile t = SafetensorsFile.open(Fixtures.caseDir(caseName).resolve("tensors.safetensors"))) {
            int calls = 0;
            for (int n = 0; t.contains("vae_encode." + n + ".pixel_values"); n++, calls++) {
                String p = "vae_encode." + n + ".";
                TensorInfo pi = t.info(p + "pixel_values");
                float[] moments = run(encoder, VaeGraphs.ENCODER_INPUT, t.floats(p + "pixel_values"), pi.shape());
                float[] mean = t.floats(p + "posterior_mean");
                float[] logvar = t.floats(p + "posterior_logvar");
                long[] ps = t.info(p + "posterior_mean").shape();
                assertArrayEquals(new long[] {pi.dim(0), 4, pi.dim(2) / 8, pi.dim(3) / 8}, ps);
                float[] gotMean = channels(moments, ps, 0, 4);
                float[] gotLogvar = channels(moments, ps, 4, 8);
                float[] eps = t.floats(p + "eps");
                float[] latent = new float[gotMean.length];
                for (int i = 0; i < latent.length; i++) {
                    float std = (float) Math.exp(0.5f * gotLogvar[i]);
                    latent[i] = (gotMean[i] + std * eps[i]) * SCALING_FACTOR;
                }
                double eMean = maxAbs(gotMean, mean);
                double eLogvar = maxAbs(gotLogvar, logvar);
                double eLatent = maxAbs(latent, t.floats(p + "latent"));
                System.out.printf("VAE encoder %s %s #%d %s: max|Δmean| %.3g, max|Δlogvar| %.3g,"
                                + " max|Δlatent| %.3g%n",
                        conv, caseName, n, Arrays.toString(pi.shape()), eMean, eLogvar, eLatent);
                String what = conv + " " + caseName + " #" + n;
                assertTrue(eMean <= 1e-4, what + " mean error " + eMean);
                assertTrue(eLogvar <= 1e-4, what + " logvar error " + eLogvar);
                assertTrue(eLatent <= 1e-4, what + " latent error " + eLatent);
            }
            if (calls == 0) {
                System.out.printf("VAE encoder %s %s: no encode calls recorded%n", conv, caseName);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casesAndConvolutions")
    void decoderMatchesRecordedOutput(String caseName, VaeGraphs.Convolution conv) throws Exception {
        OrtSession decoder = decoders.get(conv);
        try (SafetensorsFile t = SafetensorsFile.open(Fixtures.caseDir(caseName).resolve("tensors.safetensors"))) {
            TensorInfo in = t.info("vae_decode.input");
            float[] got = run(decoder, VaeGraphs.DECODER_INPUT, t.floats("vae_decode.input"), in.shape());
            float[] want = t.floats("vae_decode.output");
            assertEquals(want.length, got.length);
            double err = maxAbs(got, want);
            System.out.printf("VAE decoder %s %s %s: max|Δ| %.3g%n", conv, caseName, Arrays.toString(in.shape()),
                    err);
            assertTrue(err <= 1e-3, conv + " " + caseName + " decoder error " + err);
        }
    }

    @Test
    void bothAlgorithmsAgreeOnShapesThatAreNotMultiplesOfTheTile() throws Exception {
        // Latent 3×5 and 5×7 (decoder activations 3×5 … 24×40 and 5×7 … 40×56): every Winograd conv needs a crop.
        Random r = new Random(5);
        for (long[] zs : new long[][] {{2, 4, 3, 5}, {1, 4, 5, 7}}) {
            float[] z = new float[(int) (zs[0] * zs[1] * zs[2] * zs[3])];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) r.nextGaussian();
            }
            float[] direct = run(decoders.get(VaeGraphs.Convolution.DIRECT), VaeGraphs.DECODER_INPUT, z, zs);
            float[] wino = run(decoders.get(VaeGraphs.Convolution.WINOGRAD), VaeGraphs.DECODER_INPUT, z, zs);
            double err = maxAbs(wino, direct);
            double scale = 0;
            for (float v : direct) {
                scale = Math.max(scale, Math.abs(v));
            }
            System.out.printf("VAE decoder %s: max|WINOGRAD - DIRECT| %.3g (max|DIRECT| %.3g)%n",
                    Arrays.toString(zs), err, scale);
            assertTrue(scale > 0.1, "decoder output is (nearly) all zeros");
            assertTrue(err <= 1e-3, "Winograd vs direct decoder " + err);
        }
    }

    @Test
    void convolutionChoiceShowsInTheGraphs() throws Exception {
        GraphBuilder direct = VaeGraphs.decoder(vae, DIMS, VaeGraphs.Convolution.DIRECT);
        GraphBuilder wino = VaeGraphs.decoder(vae, DIMS, VaeGraphs.Convolution.WINOGRAD);
        // Direct: MatMul only in the attention projections, no Winograd initializers, no ConvTranspose.
        List<GraphBuilder.Node> directMatMuls = nodes(direct, "MatMul");
        assertEquals(4, directMatMuls.size(), "q, k, v and out projections of the mid-block attention");
        assertTrue(directMatMuls.stream().allMatch(n -> n.name().contains(".attentions.")),
                directMatMuls.toString());
        assertTrue(direct.initializers().keySet().stream().noneMatch(k -> k.startsWith("winograd.")
                || k.endsWith("#winograd")), "DIRECT graph has Winograd initializers");
        assertTrue(nodes(direct, "ConvTranspose").isEmpty());
        assertTrue(direct.initializers().containsKey("decoder.mid_block.resnets.0.conv1.weight"));

        // Winograd: one ConvTranspose and one MatMul per 3×3 conv with ≥ 16 channels in and out.
        // Decoder of 4 blocks, 2 layers: mid block 2 resnets + 4 up blocks × 3 resnets, 2 convs each,
        // plus 3 upsampler convs = 2·(2 + 12) + 3 = 31.
        int winogradConvs = 2 * (2 + 4 * (DIMS.layersPerBlock() + 1)) + 3;
        assertEquals(winogradConvs, nodes(wino, "ConvTranspose").size());
        assertEquals(winogradConvs + 4, nodes(wino, "MatMul").size());
        assertEquals(winogradConvs, wino.initializers().keySet().stream().filter(k -> k.endsWith("#winograd")).count());
        assertEquals(List.of("winograd.input_transform.32", "winograd.input_transform.64"),
                wino.initializers().keySet().stream().filter(k -> k.startsWith("winograd.input_transform.")).sorted()
                        .toList());
        assertTrue(wino.initializers().containsKey("decoder.mid_block.resnets.0.conv1.weight#winograd"));
        assertArrayEquals(new long[] {36, 64, 64},
                wino.initializers().get("decoder.mid_block.resnets.0.conv1.weight#winograd").data().shape());
        assertTrue(!wino.initializers().containsKey("decoder.mid_block.resnets.0.conv1.weight"));
        assertTrue(wino.initializers().containsKey("decoder.up_blocks.0.upsamplers.0.conv.weight#winograd"));

        // conv_in (4 → 64) and conv_out (32 → 3) have too few channels: a plain Conv in both graphs.
        for (GraphBuilder g : List.of(direct, wino)) {
            for (String w : List.of("decoder.conv_in.weight", "decoder.conv_out.weight")) {
                assertTrue(g.initializers().containsKey(w), g.name() + " " + w);
                assertTrue(!g.initializers().containsKey(w + "#winograd"), g.name() + " " + w);
                assertTrue(nodes(g, "Conv").stream().anyMatch(n -> n.inputs().size() > 1 && n.inputs().get(1).equals(w)),
                        g.name() + ": no Conv reads " + w);
            }
        }
        // The encoder's conv_in (3 → 32), conv_out (64 → 8) and stride-2 downsamplers stay direct as well.
        GraphBuilder enc = VaeGraphs.encoder(vae, DIMS, VaeGraphs.Convolution.WINOGRAD);
        for (String w : List.of("encoder.conv_in.weight", "encoder.conv_out.weight",
                "encoder.down_blocks.0.downsamplers.0.conv.weight")) {
            assertTrue(enc.initializers().containsKey(w), w);
        }
        assertTrue(enc.initializers().containsKey("encoder.down_blocks.0.resnets.0.conv1.weight#winograd"));
        // The two-argument overloads are the Winograd graphs.
        assertEquals(wino.initializers().keySet(), VaeGraphs.decoder(vae, DIMS).initializers().keySet());
        assertEquals(enc.initializers().keySet(), VaeGraphs.encoder(vae, DIMS).initializers().keySet());
    }

    @Test
    void convolutionNamesParse() {
        assertEquals(VaeGraphs.Convolution.WINOGRAD, VaeGraphs.Convolution.parse("winograd"));
        assertEquals(VaeGraphs.Convolution.DIRECT, VaeGraphs.Convolution.parse("DIRECT"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeGraphs.Convolution.parse("fft"));
        assertTrue(e.getMessage().contains("unknown VAE convolution 'fft'"), e.getMessage());
    }

    private static List<GraphBuilder.Node> nodes(GraphBuilder g, String opType) {
        return g.nodes().stream().filter(n -> n.opType().equals(opType)).toList();
    }

    @Test
    void outputShapesFollowTheInput() throws Exception {
        float[] z = new float[2 * 4 * 3 * 5];
        long[] shape = outputShape(decoder, VaeGraphs.DECODER_INPUT, z, new long[] {2, 4, 3, 5});
        assertArrayEquals(new long[] {2, 3, 24, 40}, shape);
        float[] x = new float[3 * 3 * 16 * 40];
        assertArrayEquals(new long[] {3, 8, 2, 5},
                outputShape(encoder, VaeGraphs.ENCODER_INPUT, x, new long[] {3, 3, 16, 40}));
    }

    @Test
    void logvarIsClampedInsideTheGraph() throws Exception {
        // A copy whose quant_conv bias pushes mean channel 0 up by 100, logvar channel 0 up and channel 1 down by 100.
        float[] bias = vae.floats("quant_conv.bias");
        bias[0] += 100;
        bias[4] += 100;
        bias[5] -= 100;
        Path copy = dir.resolve("clamp.safetensors");
        writeCopy(vaeFile(), copy, UnaryOperator.identity(), name -> false, Map.of("quant_conv.bias", bias));
        Path folder = Files.createDirectories(dir.resolve("clamp"));
        try (SafetensorsFile f = SafetensorsFile.open(copy);
             OrtSession enc = session(VaeGraphs.encoder(f, DIMS), folder);
             SafetensorsFile t = SafetensorsFile.open(Fixtures.caseDir("edit").resolve("tensors.safetensors"))) {
            long[] ps = t.info("vae_encode.0.pixel_values").shape();
            float[] moments = run(enc, VaeGraphs.ENCODER_INPUT, t.floats("vae_encode.0.pixel_values"), ps);
            int hw = (int) (ps[2] / 8 * ps[3] / 8);
            for (int i = 0; i < hw; i++) {
                assertTrue(moments[i] > 30, "mean channel 0 must not be clamped: " + moments[i]);
                assertEquals(VaeGraphs.LOGVAR_MAX, moments[4 * hw + i]);
                assertEquals(VaeGraphs.LOGVAR_MIN, moments[5 * hw + i]);
            }
            float[] plain = run(encoder, VaeGraphs.ENCODER_INPUT, t.floats("vae_encode.0.pixel_values"), ps);
            // Untouched channels are unchanged.
            assertArrayEquals(Arrays.copyOfRange(plain, hw, 4 * hw), Arrays.copyOfRange(moments, hw, 4 * hw));
            assertArrayEquals(Arrays.copyOfRange(plain, 6 * hw, 8 * hw), Arrays.copyOfRange(moments, 6 * hw, 8 * hw));
        }
    }

    @Test
    void optionalPartsCanBeLeftOut() throws Exception {
        // No mid attention, no quant/post-quant conv: the graphs skip those weights and still run.
        VaeGraphs.Dims bare = new VaeGraphs.Dims(3, 3, 4, new int[] {32, 32, 64, 64}, 2, 32, false, false, false);
        GraphBuilder e = VaeGraphs.encoder(vae, bare);
        GraphBuilder d = VaeGraphs.decoder(vae, bare);
        assertTrue(e.nodes().stream().noneMatch(n -> n.opType().equals("Attention")));
        assertTrue(e.initializers().keySet().stream().noneMatch(k -> k.startsWith("quant_conv")));
        assertTrue(d.initializers().keySet().stream().noneMatch(k -> k.startsWith("post_quant_conv")));
        Path folder = Files.createDirectories(dir.resolve("bare"));
        try (OrtSession es = session(e, folder); OrtSession ds = session(d, folder)) {
            assertArrayEquals(new long[] {1, 8, 2, 3},
                    outputShape(es, VaeGraphs.ENCODER_INPUT, new float[3 * 16 * 24], new long[] {1, 3, 16, 24}));
            assertArrayEquals(new long[] {1, 3, 16, 24},
                    outputShape(ds, VaeGraphs.DECODER_INPUT, new float[4 * 2 * 3], new long[] {1, 4, 2, 3}));
        }
    }

    // ---- GroupNorm formulation ----------------------------------------------------------------------------------

    @Test
    void groupNormFormulationMatchesPlainGroupNorm() throws Exception {
        checkGroupNorm(2, 64, 5, 7, 32, 1);
        checkGroupNorm(1, 12, 4, 3, 4, 2);
        checkGroupNorm(3, 32, 9, 1, 32, 3);
    }

    private void checkGroupNorm(int b, int c, int h, int w, int groups, long seed) throws Exception {
        Random r = new Random(seed);
        float[] x = new float[b * c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 + 2 * r.nextGaussian());
        }
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = (float) (1 + 0.3 * r.nextGaussian());
            beta[i] = (float) (0.2 * r.nextGaussian());
        }
        GraphBuilder g = new GraphBuilder("gn");
        Value in = g.input("x", OnnxType.FLOAT, "batch", c, "height", "width");
        Value y = Ops.groupNorm(g, in, g.weight("gamma", TensorData.ofFloats(gamma, c, 1, 1)),
                g.weight("beta", TensorData.ofFloats(beta, c, 1, 1)), groups, VaeGraphs.NORM_EPS);
        g.output(y, "y", OnnxType.FLOAT, "batch", c, "height", "width");
        Path folder = Files.createDirectories(dir.resolve("gn" + seed));
        float[] got;
        try (OrtSession s = session(g, folder)) {
            got = run(s, "x", x, new long[] {b, c, h, w});
        }
        // Plain GroupNorm in double: per (batch, group) mean and biased variance over C/G·H·W values.
        float[] want = new float[x.length];
        int per = c / groups * h * w;
        for (int bi = 0; bi < b; bi++) {
            for (int gi = 0; gi < groups; gi++) {
                int base = (bi * groups + gi) * per;
                double mean = 0;
                for (int i = 0; i < per; i++) {
                    mean += x[base + i];
                }
                mean /= per;
                double var = 0;
                for (int i = 0; i < per; i++) {
                    double dlt = x[base + i] - mean;
                    var += dlt * dlt;
                }
                var /= per;
                double inv = 1 / Math.sqrt(var + VaeGraphs.NORM_EPS);
                for (int i = 0; i < per; i++) {
                    int ch = gi * (c / groups) + i / (h * w);
                    want[base + i] = (float) ((x[base + i] - mean) * inv * gamma[ch] + beta[ch]);
                }
            }
        }
        double err = maxAbs(got, want);
        System.out.printf("GroupNorm [%d,%d,%d,%d] G=%d: max|Δ| %.3g%n", b, c, h, w, groups, err);
        assertTrue(err <= 1e-5, "GroupNorm error " + err);
    }

    // ---- key spellings and errors -------------------------------------------------------------------------------

    @Test
    void legacyAttentionKeyNamesGiveTheSameGraphs() throws Exception {
        Map<String, String> legacy = Map.of(".to_q.", ".query.", ".to_k.", ".key.", ".to_v.", ".value.",
                ".to_out.0.", ".proj_attn.");
        Path copy = dir.resolve("legacy.safetensors");
        // Encoder attention weights also in the old conv-shaped [C, C, 1, 1] form; decoder ones as [C, C].
        writeCopy(vaeFile(), copy, name -> {
            for (Map.Entry<String, String> e : legacy.entrySet()) {
                if (name.contains(".attentions.0" + e.getKey())) {
                    return name.replace(e.getKey(), e.getValue());
                }
            }
            return name;
        }, name -> name.startsWith("encoder.mid_block.attentions.0.") && name.endsWith(".weight")
                && !name.contains("group_norm"));
        Path folder = Files.createDirectories(dir.resolve("legacy"));
        try (SafetensorsFile f = SafetensorsFile.open(copy)) {
            assertTrue(f.contains("encoder.mid_block.attentions.0.proj_attn.weight"));
            assertArrayEquals(new long[] {64, 64, 1, 1}, f.info("encoder.mid_block.attentions.0.query.weight").shape());
            try (OrtSession enc = session(VaeGraphs.encoder(f, DIMS), folder);
                 OrtSession dec = session(VaeGraphs.decoder(f, DIMS), folder);
                 SafetensorsFile t = SafetensorsFile.open(Fixtures.caseDir("edit").resolve("tensors.safetensors"))) {
                float[] px = t.floats("vae_encode.0.pixel_values");
                long[] ps = t.info("vae_encode.0.pixel_values").shape();
                assertArrayEquals(run(encoder, VaeGraphs.ENCODER_INPUT, px, ps),
                        run(enc, VaeGraphs.ENCODER_INPUT, px, ps));
                float[] z = t.floats("vae_decode.input");
                long[] zs = t.info("vae_decode.input").shape();
                assertArrayEquals(run(decoder, VaeGraphs.DECODER_INPUT, z, zs),
                        run(dec, VaeGraphs.DECODER_INPUT, z, zs));
            }
        }
    }

    @Test
    void missingWeightNamesKeyAndFile() throws Exception {
        String key = "decoder.up_blocks.1.resnets.2.conv2.bias";
        Path copy = dir.resolve("missing.safetensors");
        writeCopy(vaeFile(), copy, name -> name.equals(key) ? null : name, name -> false);
        try (SafetensorsFile f = SafetensorsFile.open(copy)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> VaeGraphs.decoder(f, DIMS));
            assertTrue(e.getMessage().contains(key) && e.getMessage().contains(copy.toString()), e.getMessage());
            VaeGraphs.encoder(f, DIMS); // the encoder does not need it
        }
    }

    @Test
    void missingAttentionNamesBothSpellings() throws Exception {
        Path copy = dir.resolve("noattn.safetensors");
        writeCopy(vaeFile(), copy, name -> name.startsWith("encoder.mid_block.attentions.0.to_q.") ? null : name,
                name -> false);
        try (SafetensorsFile f = SafetensorsFile.open(copy)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> VaeGraphs.encoder(f, DIMS));
            String m = e.getMessage();
            assertTrue(m.contains("encoder.mid_block.attentions.0.to_q.weight")
                    && m.contains("encoder.mid_block.attentions.0.query.weight") && m.contains(copy.toString()), m);
        }
    }

    @Test
    void wrongDimsAreReportedAsShapeMismatch() throws Exception {
        VaeGraphs.Dims wrong = new VaeGraphs.Dims(3, 3, 4, new int[] {32, 64, 64, 64}, 2, 32, true, true, true);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> VaeGraphs.encoder(vae, wrong));
        assertTrue(e.getMessage().contains("has shape"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new VaeGraphs.Dims(3, 3, 4, new int[] {32, 48}, 2, 32, true, true, true));
        assertEquals(8, DIMS.downsampleFactor());
        assertEquals(DIMS, new VaeGraphs.Dims(3, 3, 4, new int[] {32, 32, 64, 64}, 2, 32, true, true, true));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private float[] run(OrtSession s, String input, float[] data, long[] shape) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
             OrtSession.Result r = s.run(Map.of(input, t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    private long[] outputShape(OrtSession s, String input, float[] data, long[] shape) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
             OrtSession.Result r = s.run(Map.of(input, t))) {
            return ((OnnxTensor) r.get(0)).getInfo().getShape();
        }
    }

    /** Channels [from, to) of an NCHW tensor with the batch and spatial sizes of {@code halfShape}. */
    private static float[] channels(float[] nchw, long[] halfShape, int from, int to) {
        int b = (int) halfShape[0];
        int hw = (int) (halfShape[2] * halfShape[3]);
        int total = nchw.length / (b * hw);
        float[] out = new float[b * (to - from) * hw];
        int k = 0;
        for (int bi = 0; bi < b; bi++) {
            for (int c = from; c < to; c++) {
                System.arraycopy(nchw, (bi * total + c) * hw, out, k, hw);
                k += hw;
            }
        }
        return out;
    }

    private static double maxAbs(float[] a, float[] b) {
        assertEquals(b.length, a.length, "element count");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (!(d <= m)) {
                m = d; // NaN propagates as a failure
            }
        }
        return m;
    }

    /**
     * Writes a copy of a safetensors file by hand (8-byte LE header length, JSON header, data), renaming tensors
     * ({@code rename} returns null to drop one) and viewing the chosen 2-D tensors as [rows, cols, 1, 1].
     */
    private static void writeCopy(Path src, Path dst, UnaryOperator<String> rename,
                                  java.util.function.Predicate<String> toConvShape) throws IOException {
        writeCopy(src, dst, rename, toConvShape, Map.of());
    }

    /** As above, also replacing the values of the named F32 tensors (same element count). */
    private static void writeCopy(Path src, Path dst, UnaryOperator<String> rename,
                                  java.util.function.Predicate<String> toConvShape, Map<String, float[]> values)
            throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            Map<String, Object> header = new LinkedHashMap<>();
            List<byte[]> blobs = new ArrayList<>();
            long offset = 0;
            for (TensorInfo info : f.tensors().values()) {
                String name = rename.apply(info.name());
                if (name == null) {
                    continue;
                }
                long[] shape = info.shape();
                if (toConvShape.test(name) && shape.length == 2) {
                    shape = new long[] {shape[0], shape[1], 1, 1};
                }
                byte[] bytes = f.bytes(info.name());
                float[] replaced = values.get(info.name());
                if (replaced != null) {
                    assertEquals(bytes.length, replaced.length * 4, info.name());
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(replaced);
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("dtype", info.dtype().name());
                entry.put("shape", shape);
                entry.put("data_offsets", new long[] {offset, offset + bytes.length});
                header.put(name, entry);
                blobs.add(bytes);
                offset += bytes.length;
            }
            byte[] json = new ObjectMapper().writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8;
            byte[] head = Arrays.copyOf(json, padded);
            Arrays.fill(head, json.length, padded, (byte) ' ');
            try (OutputStream os = Files.newOutputStream(dst)) {
                os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                os.write(head);
                for (byte[] b : blobs) {
                    os.write(b);
                }
            }
        }
    }
}
