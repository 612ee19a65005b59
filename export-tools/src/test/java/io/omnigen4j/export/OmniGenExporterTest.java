package io.omnigen4j.export;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.graphs.WeightFormat;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OmniGenExporterTest {

    @TempDir
    Path tmp;

    @Test
    void exportsTinyModelWhoseGraphsLoadAndWhoseManifestDescribesThem() throws Exception {
        Path out = tmp.resolve("model");
        List<String> progress = new ArrayList<>();
        long t0 = System.nanoTime();
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).progress(progress::add).build());
        System.out.printf("export of tiny-omnigen-a: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals("omnigen4j-model", m.get("format").asText());
        assertEquals(64, m.get("transformer").get("hidden_size").asInt());
        assertEquals(7, m.get("graphs").size());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (JsonNode g : m.get("graphs")) {
            try (OrtSession s = env.createSession(out.resolve(g.get("file").asText()).toString(),
                    new OrtSession.SessionOptions())) {
                assertEquals(g.get("inputs").size(), s.getNumInputs(), g.get("file").asText());
                assertEquals(g.get("outputs").size(), s.getNumOutputs(), g.get("file").asText());
            }
        }
        for (JsonNode f : m.get("files")) {
            Path p = out.resolve(f.get("path").asText());
            assertEquals(f.get("bytes").asLong(), Files.size(p));
            assertEquals(f.get("sha256").asText(), OmniGenExporter.sha256(p));
            System.out.printf("  %-26s %,12d bytes%n", f.get("path").asText(), f.get("bytes").asLong());
        }
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        assertTrue(progress.stream().anyMatch(l -> l.contains("writing transformer.onnx")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary folder left behind");
        }
    }

    @Test
    void refusesToOverwriteWithoutForceAndReplacesWithForce() throws Exception {
        Path out = tmp.resolve("model");
        Files.createDirectories(out);
        Files.writeString(out.resolve("old.txt"), "x");
        ExportException e = assertThrows(ExportException.class, () ->
                OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).build()));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).force(true).build());
        assertFalse(Files.exists(out.resolve("old.txt")));
        assertTrue(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void missingCheckpointPiecesAreNamed() throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        Files.createDirectories(ckpt);
        Files.copy(Fixtures.model("tiny-omnigen-a").resolve("config.json"), ckpt.resolve("config.json"));
        ExportException e = assertThrows(ExportException.class, () ->
                OmniGenExporter.export(ExportOptions.builder(ckpt, tmp.resolve("out")).build()));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        ExportException missing = assertThrows(ExportException.class, () ->
                OmniGenExporter.export(ExportOptions.builder(tmp.resolve("nope"), tmp.resolve("out")).build()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void vaeConvolutionIsAnOptionRecordedInTheVaeGraphs() throws Exception {
        Path wino = tmp.resolve("winograd");
        Path direct = tmp.resolve("direct");
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), wino).build());
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), direct)
                .vaeConvolution(VaeGraphs.Convolution.DIRECT).build());
        long winoBytes = Files.size(wino.resolve(OmniGenExporter.VAE_WEIGHTS));
        long directBytes = Files.size(direct.resolve(OmniGenExporter.VAE_WEIGHTS));
        System.out.printf("vae.weights: winograd %,d bytes, direct %,d bytes%n", winoBytes, directBytes);
        assertTrue(directBytes < winoBytes, "direct " + directBytes + " vs winograd " + winoBytes);
        assertEquals("winograd", vaeConvolution(wino.resolve("vae_encoder.onnx")));
        assertEquals("winograd", vaeConvolution(wino.resolve("vae_decoder.onnx")));
        assertEquals("direct", vaeConvolution(direct.resolve("vae_encoder.onnx")));
        assertEquals("direct", vaeConvolution(direct.resolve("vae_decoder.onnx")));
        // The transformer weights do not depend on the option.
        assertEquals(OmniGenExporter.sha256(wino.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)),
                OmniGenExporter.sha256(direct.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)));
        assertEquals(VaeGraphs.Convolution.WINOGRAD,
                ExportOptions.builder(tmp, tmp.resolve("o")).build().vaeConvolution());
    }

    /**
     * --attention-heads-per-node sets the decoder's Attention nodes per layer and is recorded in the manifest (the
     * tiny model has 4 heads: default one node per layer, 1 → four); the rest of the graphs and weights are the same.
     */
    @Test
    void attentionHeadsPerNodeIsAnOptionRecordedInTheManifest() throws Exception {
        Path ckpt = Fixtures.model("tiny-omnigen-a");
        Path whole = tmp.resolve("whole");
        Path single = tmp.resolve("single");
        OmniGenExporter.export(ExportOptions.builder(ckpt, whole).build());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, command(out, err).execute("--checkpoint", ckpt.toString(), "--out", single.toString(),
                "--attention-heads-per-node", "1"), err.toString());
        ObjectMapper json = new ObjectMapper();
        assertEquals(4, json.readTree(whole.resolve("manifest.json").toFile()).get("attention_heads_per_node").asInt());
        assertEquals(1, json.readTree(single.resolve("manifest.json").toFile()).get("attention_heads_per_node").asInt());
        assertEquals(2, attentionNodes(whole.resolve("transformer.onnx")), "2 layers × 1 node");
        assertEquals(8, attentionNodes(single.resolve("transformer.onnx")), "2 layers × 4 nodes");
        assertEquals(OmniGenExporter.sha256(whole.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)),
                OmniGenExporter.sha256(single.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExportOptions.builder(ckpt, tmp.resolve("x")).attentionHeadsPerNode(0).build());
        assertTrue(e.getMessage().contains("attention heads per node must be ≥ 1"), e.getMessage());
    }

    private static long attentionNodes(Path graph) throws Exception {
        return io.omnigen4j.export.onnx.proto.OnnxProto.ModelProto.parseFrom(Files.readAllBytes(graph)).getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Attention")).count();
    }

    @Test
    void commandLineTakesVaeConvolution() throws Exception {
        Path ckpt = Fixtures.model("tiny-omnigen-a");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int bogus = command(out, err).execute("--checkpoint", ckpt.toString(), "--out", tmp.resolve("bogus").toString(),
                "--vae-convolution", "bogus");
        assertEquals(2, bogus, err.toString());
        assertTrue(err.toString().contains("unknown VAE convolution 'bogus'"), err.toString());
        assertFalse(Files.exists(tmp.resolve("bogus")));

        Path model = tmp.resolve("direct");
        out = new StringWriter();
        err = new StringWriter();
        int ok = command(out, err).execute("--checkpoint", ckpt.toString(), "--out", model.toString(),
                "--vae-convolution", "direct");
        assertEquals(0, ok, err.toString());
        assertTrue(Files.exists(model.resolve("manifest.json")));
        assertEquals("direct", vaeConvolution(model.resolve("vae_decoder.onnx")));
        assertEquals("direct", vaeConvolution(model.resolve("vae_encoder.onnx")));
    }

    private static CommandLine command(StringWriter out, StringWriter err) {
        return new CommandLine(new ExportCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    }

    private static String vaeConvolution(Path graph) throws Exception {
        try (OrtSession s = OrtEnvironment.getEnvironment().createSession(graph.toString(),
                new OrtSession.SessionOptions())) {
            return s.getMetadata().getCustomMetadata().get("omnigen4j.vae_convolution");
        }
    }

    @Test
    void int8AndInt4AreAcceptedWithDefaultsOrSettingsAndFp16Bf16WithoutThem() {
        ExportOptions fp32 = ExportOptions.builder(tmp, tmp.resolve("o")).build();
        assertEquals(WeightFormat.FP32, fp32.transformerWeights());
        assertEquals(WeightFormat.defaults(8), ExportOptions.builder(tmp, tmp.resolve("o"))
                .precision(ExportOptions.Precision.INT8).build().transformerWeights());
        assertEquals(WeightFormat.defaults(4), ExportOptions.builder(tmp, tmp.resolve("o"))
                .precision(ExportOptions.Precision.INT4).build().transformerWeights());
        assertEquals(new WeightFormat(4, 64, true, 1, false), ExportOptions.builder(tmp, tmp.resolve("o"))
                .precision(ExportOptions.Precision.INT4).quantBlockSize(64).quantSymmetric(true)
                .quantAccuracyLevel(1).quantizeEmbedding(false).build().transformerWeights());
        assertEquals(WeightFormat.FP16, ExportOptions.builder(tmp, tmp.resolve("o"))
                .precision(ExportOptions.Precision.FP16).build().transformerWeights());
        assertEquals(WeightFormat.BF16, ExportOptions.builder(tmp, tmp.resolve("o"))
                .precision(ExportOptions.Precision.BF16).build().transformerWeights());
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP16, ExportOptions.Precision.BF16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    ExportOptions.builder(tmp, tmp.resolve("o")).precision(p).quantizeEmbedding(true).build());
            assertTrue(e.getMessage().contains("int8 and int4 only; precision is " + p.id()), e.getMessage());
        }
        IllegalArgumentException settings = assertThrows(IllegalArgumentException.class, () ->
                ExportOptions.builder(tmp, tmp.resolve("o")).quantBlockSize(64).build());
        assertTrue(settings.getMessage().contains("int8 and int4 only"), settings.getMessage());
        IllegalArgumentException block = assertThrows(IllegalArgumentException.class, () ->
                ExportOptions.builder(tmp, tmp.resolve("o")).precision(ExportOptions.Precision.INT8)
                        .quantBlockSize(48).build());
        assertTrue(block.getMessage().contains("power of two"), block.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () ->
                ExportOptions.Precision.parse("int2"));
        assertTrue(unknown.getMessage().contains("fp32, int8, int4, fp16 or bf16"), unknown.getMessage());
    }

    @Test
    void quantizedExportsLoadAndRecordTheirQuantizationInTheManifest() throws Exception {
        long fp32Bytes = 0;
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.FP32, ExportOptions.Precision.INT8,
                ExportOptions.Precision.INT4)) {
            Path out = tmp.resolve(p.id());
            List<String> progress = new ArrayList<>();
            OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).precision(p)
                    .progress(progress::add).build());
            progress.stream().filter(l -> l.startsWith("writing")).forEach(l -> System.out.println(p.id() + ": " + l));
            JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
            assertEquals(p.id(), m.get("precision").asText());
            if (p == ExportOptions.Precision.FP32) {
                assertFalse(m.has("quantization"));
                fp32Bytes = Files.size(out.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS));
            } else {
                WeightFormat d = WeightFormat.defaults(p == ExportOptions.Precision.INT8 ? 8 : 4);
                JsonNode q = m.get("quantization");
                assertEquals("MatMulNBits", q.get("scheme").asText());
                assertEquals(d.bits(), q.get("bits").asInt());
                assertEquals(d.blockSize(), q.get("block_size").asInt());
                assertEquals(d.symmetric(), q.get("symmetric").asBoolean());
                assertEquals(d.accuracyLevel(), q.get("accuracy_level").asInt());
                assertEquals("GatherBlockQuantized int" + d.bits(), q.get("embedding").asText());
                System.out.printf("%s: transformer.weights %,d bytes (fp32 %,d)%n", p.id(),
                        Files.size(out.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)), fp32Bytes);
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            for (JsonNode g : m.get("graphs")) {
                try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                     OrtSession s = env.createSession(out.resolve(g.get("file").asText()).toString(), so)) {
                    assertEquals(g.get("inputs").size(), s.getNumInputs(), p.id() + " " + g.get("file").asText());
                }
            }
        }
    }

    @Test
    void commandLineTakesPrecisionAndQuantizationSettings() throws Exception {
        Path ckpt = Fixtures.model("tiny-omnigen-a");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int fp16 = command(out, err).execute("--checkpoint", ckpt.toString(), "--out", tmp.resolve("h").toString(),
                "--precision", "fp16");
        assertEquals(0, fp16, err.toString());
        assertEquals("fp16", new ObjectMapper().readTree(tmp.resolve("h").resolve("manifest.json").toFile())
                .get("precision").asText());
        int fp8 = command(out, err).execute("--checkpoint", ckpt.toString(), "--out", tmp.resolve("h8").toString(),
                "--precision", "fp8");
        assertEquals(2, fp8, err.toString());
        assertTrue(err.toString().contains("use fp32, int8, int4, fp16 or bf16"), err.toString());
        err = new StringWriter();
        Path model = tmp.resolve("int4");
        err = new StringWriter();
        int ok = command(out, err).execute("--checkpoint", ckpt.toString(), "--out", model.toString(),
                "--precision", "int4", "--quant-block-size", "16", "--quant-symmetric", "true", "--quant-accuracy-level",
                "0", "--quant-embedding", "false");
        assertEquals(0, ok, err.toString());
        JsonNode q = new ObjectMapper().readTree(model.resolve("manifest.json").toFile()).get("quantization");
        assertEquals(4, q.get("bits").asInt());
        assertEquals(16, q.get("block_size").asInt());
        assertTrue(q.get("symmetric").asBoolean()); // int4's default is asymmetric
        assertEquals(0, q.get("accuracy_level").asInt());
        assertEquals("fp32", q.get("embedding").asText());
    }
}
