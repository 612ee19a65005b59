package io.omnigen4j.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.CheckpointValidationException.Problem;
import io.omnigen4j.export.generate.CheckpointFormat;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Export validation in both directions (issue 13): unused tensors, malformed weight files, NaN/Inf weights and
 * tokenizers, each on a generated checkpoint with one defect, each expecting the typed error with a message naming
 * the input and the problem, and nothing left in the output's parent folder.
 */
class ExportValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CheckpointSpec SPEC = CheckpointSpec.builder().build();
    private static final CheckpointSpec LONG_ROPE = CheckpointSpec.builder().longRope(4096, 131072).build();

    @TempDir
    Path tmp;

    // ---- every tensor used or explicitly ignored -------------------------------------------------------------

    @Test
    void weightsWithMoreLayersThanTheConfigAreAnErrorNamingTheUnusedTensors() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(CheckpointSpec.builder().layers(3).build(), 1, tmp.resolve("c"));
        setConfig(ckpt.resolve("config.json"), "num_hidden_layers", 2);
        CheckpointValidationException e = assertFails(ckpt, Problem.UNUSED_TENSORS, b -> { });
        assertEquals(ckpt.resolve("model.safetensors"), e.input());
        assertContains(e, ckpt.resolve("model.safetensors").toString());
        assertContains(e, "6 transformer tensor(s) would not be exported: 'llm.layers.2.");
        assertContains(e, "and 1 more");
        assertContains(e, "layers up to 2 but the config says 2");
        assertContains(e, "--allow-unused-tensors");

        List<String> progress = new ArrayList<>();
        Path out = tmp.resolve("allowed");
        OmniGenExporter.export(ExportOptions.builder(ckpt, out).allowUnusedTensors(true).progress(progress::add)
                .build());
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("warning: not exported (--allow-unused-tensors): 6"
                + " transformer tensor(s)") && l.contains("llm.layers.2.")), progress.toString());
        assertEquals(2, JSON.readTree(out.resolve("manifest.json").toFile()).get("transformer")
                .get("num_hidden_layers").asInt());
    }

    @Test
    void diffusersLayoutWithMoreLayersThanTheConfigNamesTheStoredTensors() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(CheckpointSpec.builder().layers(3).longRope(4096, 131072)
                .build(), 1, tmp.resolve("c"), CheckpointFormat.diffusers());
        setConfig(ckpt.resolve("transformer/config.json"), "num_layers", 2);
        CheckpointValidationException e = assertFails(ckpt, Problem.UNUSED_TENSORS, b -> { });
        assertEquals(ckpt.resolve("transformer/diffusion_pytorch_model.safetensors"), e.input());
        assertContains(e, "(diffusers name 'layers.2.");
        assertContains(e, "layers up to 2 but the config says 2");
        OmniGenExporter.export(ExportOptions.builder(ckpt, tmp.resolve("allowed")).allowUnusedTensors(true).build());
    }

    @Test
    void unknownTransformerAndVaeTensorsAreErrorsAndInvFreqBuffersAreIgnored() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 2, tmp.resolve("c"));
        addTensors(ckpt.resolve("model.safetensors"), Map.of("lm_head.weight", new long[] {8, 64}));
        CheckpointValidationException e = assertFails(ckpt, Problem.UNUSED_TENSORS, b -> { });
        assertContains(e, "1 transformer tensor(s) would not be exported: 'lm_head.weight'.");
        assertContains(e, "modules this exporter does not know");

        Path ckpt2 = RandomCheckpointGenerator.generate(SPEC, 2, tmp.resolve("c2"));
        addTensors(ckpt2.resolve("vae/diffusion_pytorch_model.safetensors"),
                Map.of("decoder.extra_block.weight", new long[] {4}));
        CheckpointValidationException v = assertFails(ckpt2, Problem.UNUSED_TENSORS, b -> { });
        assertEquals(ckpt2.resolve("vae/diffusion_pytorch_model.safetensors"), v.input());
        assertContains(v, "1 VAE tensor(s) would not be exported: 'decoder.extra_block.weight'");

        Path ckpt3 = RandomCheckpointGenerator.generate(SPEC, 2, tmp.resolve("c3"));
        addTensors(ckpt3.resolve("model.safetensors"), Map.of(
                "llm.layers.0.self_attn.rotary_emb.inv_freq", new long[] {8},
                "llm.layers.1.self_attn.rotary_emb.inv_freq", new long[] {8}));
        List<String> progress = new ArrayList<>();
        OmniGenExporter.export(ExportOptions.builder(ckpt3, tmp.resolve("ok")).progress(progress::add).build());
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("not exported (not needed): 2 transformer tensor(s)")
                && l.contains("rotary_emb.inv_freq")), progress.toString());
    }

    @Test
    void commandLineExitsWith2NamingTheTensorsAndAcceptsAllowUnusedTensors() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(CheckpointSpec.builder().layers(3).build(), 1, tmp.resolve("c"));
        setConfig(ckpt.resolve("config.json"), "num_hidden_layers", 2);
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ExportCommand());
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        assertEquals(2, cli.execute("--checkpoint", ckpt.toString(), "--out", tmp.resolve("m").toString()));
        assertTrue(err.toString().startsWith("export failed: " + ckpt.resolve("model.safetensors") + ": 6 transformer"
                + " tensor(s) would not be exported: 'llm.layers.2."), err.toString());
        StringWriter out = new StringWriter();
        CommandLine ok = new CommandLine(new ExportCommand());
        ok.setOut(new PrintWriter(out));
        assertEquals(0, ok.execute("--checkpoint", ckpt.toString(), "--out", tmp.resolve("m").toString(),
                "--allow-unused-tensors"));
        assertTrue(out.toString().contains("warning: not exported (--allow-unused-tensors): 6 transformer"),
                out.toString());
    }

    // ---- weight files ------------------------------------------------------------------------------------------

    @Test
    void trailingBytesAfterTheLastTensorAreRejected() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 3, tmp.resolve("c"));
        Path file = ckpt.resolve("vae/diffusion_pytorch_model.safetensors");
        Files.write(file, new byte[16], StandardOpenOption.APPEND);
        CheckpointValidationException e = assertFails(ckpt, Problem.WEIGHT_FILE, b -> { });
        assertContains(e, file + ": 16 trailing byte(s) after the data of the last tensor");
    }

    @Test
    void trailingBytesInOneShardOfAShardedCheckpointAreRejectedNamingTheShard() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 3, tmp.resolve("c"),
                CheckpointFormat.original().withMaxShardBytes(4 << 20));
        List<Path> shards;
        try (Stream<Path> s = Files.list(ckpt)) {
            shards = s.filter(p -> p.getFileName().toString().matches("model-\\d+-of-\\d+\\.safetensors")).sorted()
                    .toList();
        }
        assertTrue(shards.size() >= 3, shards.toString());
        Path second = shards.get(1);
        Files.write(second, new byte[3], StandardOpenOption.APPEND);
        CheckpointValidationException e = assertFails(ckpt, Problem.WEIGHT_FILE, b -> { });
        assertContains(e, second + ": 3 trailing byte(s)");
    }

    @Test
    void overlappingAndNonContiguousTensorsAreRejectedAtExport() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 3, tmp.resolve("c"));
        Path file = ckpt.resolve("model.safetensors");
        // Move the second tensor of the data section 4 bytes down, into the first: an overlap.
        shiftTensor(file, -4);
        CheckpointValidationException e = assertFails(ckpt, Problem.WEIGHT_FILE, b -> { });
        assertContains(e, file + ": tensors '");
        assertContains(e, "overlap in the data section");

        Path ckpt2 = RandomCheckpointGenerator.generate(SPEC, 3, tmp.resolve("c2"));
        Path file2 = ckpt2.resolve("model.safetensors");
        shiftTensor(file2, +4); // a hole before it, its end past the next one's start
        CheckpointValidationException g = assertFails(ckpt2, Problem.WEIGHT_FILE, b -> { });
        assertContains(g, file2 + ": ");
        assertTrue(g.getMessage().contains("belong to no tensor") || g.getMessage().contains("overlap"),
                g.getMessage());
    }

    // ---- NaN / Inf ---------------------------------------------------------------------------------------------

    @Test
    void nanInAnFp32WeightNamesTheTensorAndTheFirstBadElement() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 4, tmp.resolve("c"));
        Path file = ckpt.resolve("model.safetensors");
        poke(file, "llm.layers.1.mlp.down_proj.weight", 130, Float.NaN);
        poke(file, "llm.layers.1.mlp.down_proj.weight", 131, Float.POSITIVE_INFINITY);
        CheckpointValidationException e = assertFails(ckpt, Problem.NON_FINITE_WEIGHT, b -> { });
        assertEquals(file, e.input());
        // down_proj [64, 128] is written transposed: still the first element in stored order is named.
        assertContains(e, file + ": tensor 'llm.layers.1.mlp.down_proj.weight' holds NaN at element 130 (index [1, 2]"
                + " of shape [64, 128])");
    }

    @Test
    void infInABf16AndAnF16WeightIsFoundOnBothWritePaths() throws Exception {
        Path bf = RandomCheckpointGenerator.generate(SPEC, 5, tmp.resolve("bf"),
                CheckpointFormat.original().withTransformerDType(DType.BF16));
        poke(bf.resolve("model.safetensors"), "llm.layers.0.self_attn.qkv_proj.weight", 64 * 100 + 7,
                Float.POSITIVE_INFINITY); // a K row: read as its own transposed row block
        CheckpointValidationException e = assertFails(bf, Problem.NON_FINITE_WEIGHT, b -> { });
        assertContains(e, "tensor 'llm.layers.0.self_attn.qkv_proj.weight' holds +Infinity at element 6407 (index"
                + " [100, 7]");

        Path half = RandomCheckpointGenerator.generate(SPEC, 5, tmp.resolve("f16"),
                CheckpointFormat.original().withTransformerDType(DType.F16));
        poke(half.resolve("model.safetensors"), "pos_embed", 5000, Float.NEGATIVE_INFINITY); // written as stored
        CheckpointValidationException h = assertFails(half, Problem.NON_FINITE_WEIGHT, b -> { });
        assertContains(h, "tensor 'pos_embed' holds -Infinity at element 5000 (index [0, 78, 8] of shape"
                + " [1, 36864, 64])");
    }

    @Test
    void nanIsFoundInQuantizedExportsAndInTheVaeAndInTheDiffusersLayout() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 6, tmp.resolve("c"));
        poke(ckpt.resolve("model.safetensors"), "llm.layers.0.mlp.gate_up_proj.weight", 64 * 200 + 1, Float.NaN);
        for (ExportOptions.Precision p : List.of(ExportOptions.Precision.INT8, ExportOptions.Precision.INT4)) {
            CheckpointValidationException e = assertFails(ckpt, Problem.NON_FINITE_WEIGHT, b -> b.precision(p));
            assertContains(e, "tensor 'llm.layers.0.mlp.gate_up_proj.weight' holds NaN at element 12801 (index"
                    + " [200, 1]");
        }

        Path vae = RandomCheckpointGenerator.generate(SPEC, 6, tmp.resolve("v"));
        Path vaeFile = vae.resolve("vae/diffusion_pytorch_model.safetensors");
        poke(vaeFile, "decoder.conv_in.weight", 17, Float.NaN);
        for (io.omnigen4j.export.graphs.VaeGraphs.Convolution c : io.omnigen4j.export.graphs.VaeGraphs.Convolution
                .values()) {
            CheckpointValidationException e = assertFails(vae, Problem.NON_FINITE_WEIGHT,
                    b -> b.vaeConvolution(c));
            assertEquals(vaeFile, e.input());
            assertContains(e, vaeFile + ": tensor 'decoder.conv_in.weight' holds NaN at element 17");
        }

        Path diff = RandomCheckpointGenerator.generate(LONG_ROPE, 6, tmp.resolve("d"), CheckpointFormat.diffusers());
        poke(diff.resolve("transformer/diffusion_pytorch_model.safetensors"), "layers.1.self_attn.to_out.0.weight", 9,
                Float.NaN);
        CheckpointValidationException d = assertFails(diff, Problem.NON_FINITE_WEIGHT, b -> { });
        assertContains(d, "tensor 'llm.layers.1.self_attn.o_proj.weight' (diffusers name"
                + " 'layers.1.self_attn.to_out.0.weight') holds NaN at element 9");
    }

    // ---- tokenizer ---------------------------------------------------------------------------------------------

    @Test
    void tokenizerThatIsNotJsonOrAnEmptyObjectIsRejectedBeforeAnythingIsWritten() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 7, tmp.resolve("c"));
        Path tok = ckpt.resolve("tokenizer.json");
        byte[] full = Files.readAllBytes(tok);
        Files.write(tok, java.util.Arrays.copyOf(full, full.length / 2));
        CheckpointValidationException e = assertFails(ckpt, Problem.TOKENIZER, b -> { });
        assertEquals(tok, e.input());
        assertContains(e, tok + " is not valid JSON at line ");

        Files.writeString(tok, "{}");
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " has no \"model\" object");
        Files.writeString(tok, "");
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " is empty");
        Files.writeString(tok, "[1, 2]");
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " is not a JSON object but an array");
        Files.writeString(tok, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " has no vocabulary");
    }

    @Test
    void tokenizerIdsBeyondTheVocabularyOrTheEmbeddingAreRejected() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 7, tmp.resolve("c"));
        Path tok = ckpt.resolve("tokenizer.json");
        ObjectNode t = (ObjectNode) JSON.readTree(tok.toFile());
        ((ArrayNode) t.get("added_tokens")).addObject().put("id", 40000).put("content", "<|extra|>")
                .put("special", true);
        JSON.writeValue(tok.toFile(), t);
        CheckpointValidationException e = assertFails(ckpt, Problem.TOKENIZER, b -> { });
        assertContains(e, tok + " holds token id 40000 ('<|extra|>'), but the config's vocab_size is 32064");

        // A config that claims more rows than the weights have: the embedding's own row count decides.
        setConfig(ckpt.resolve("config.json"), "vocab_size", 40064);
        CheckpointValidationException rows = assertFails(ckpt, Problem.TOKENIZER, b -> { });
        assertContains(rows, tok + " holds token id 40000 ('<|extra|>'), but the token embedding"
                + " 'llm.embed_tokens.weight' has 32064 rows");
    }

    @Test
    void tokenizerWithoutOmniGensSpecialTokensIsRejected() throws Exception {
        Path ckpt = RandomCheckpointGenerator.generate(SPEC, 7, tmp.resolve("c"));
        Path tok = ckpt.resolve("tokenizer.json");
        ObjectNode original = (ObjectNode) JSON.readTree(tok.toFile());

        ObjectNode noUser = original.deepCopy();
        removeAdded(noUser, "<|user|>");
        JSON.writeValue(tok.toFile(), noUser);
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " has no added token <|user|>");

        ObjectNode noPost = original.deepCopy();
        noPost.putNull("post_processor");
        JSON.writeValue(tok.toFile(), noPost);
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }),
                tok + " has no post-processor that puts <s> in front of the text");

        // An unrelated (BERT-like WordPiece) tokenizer: small ids, but none of OmniGen's tokens.
        ObjectNode bert = JSON.createObjectNode();
        ObjectNode model = bert.putObject("model").put("type", "WordPiece");
        ObjectNode vocab = model.putObject("vocab");
        String[] pieces = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cat", "dog"};
        for (int i = 0; i < pieces.length; i++) {
            vocab.put(pieces[i], i);
        }
        JSON.writeValue(tok.toFile(), bert);
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }), tok + " has no token <s>; OmniGen's prompts"
                + " start with the BOS token <s> = 1");

        ObjectNode companions = original.deepCopy();
        JSON.writeValue(tok.toFile(), companions);
        Files.writeString(ckpt.resolve("tokenizer_config.json"), "{\"add_bos_token\": tru");
        assertContains(assertFails(ckpt, Problem.TOKENIZER, b -> { }),
                ckpt.resolve("tokenizer_config.json") + " is not valid JSON");
    }

    @Test
    void realPhi3TokenizerOfTheConformanceModelPasses() throws Exception {
        TokenizerCheck.Summary s = TokenizerCheck.check(io.omnigen4j.export.testing.Fixtures.model("tiny-omnigen-a"),
                32064);
        assertEquals(32010, s.maxId());
        assertEquals("<|user|>", s.maxIdToken());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Exports {@code ckpt} (with {@code settings}), expects the problem, and checks nothing was left behind. */
    private CheckpointValidationException assertFails(Path ckpt, Problem problem,
                                                      java.util.function.Consumer<ExportOptions.Builder> settings)
            throws IOException {
        Path parent = Files.createDirectories(tmp.resolve("out-" + problem.name().toLowerCase()));
        ExportOptions.Builder b = ExportOptions.builder(ckpt, parent.resolve("model"));
        settings.accept(b);
        ExportOptions options = b.build();
        CheckpointValidationException e = assertThrows(CheckpointValidationException.class,
                () -> OmniGenExporter.export(options));
        assertEquals(problem, e.problem(), e.getMessage());
        try (Stream<Path> s = Files.list(parent)) {
            assertEquals(List.of(), s.toList(), "nothing may be left in the output's parent folder");
        }
        return e;
    }

    private static void assertContains(Exception e, String expected) {
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    private static void setConfig(Path config, String field, int value) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(config.toFile());
        c.put(field, value);
        JSON.writeValue(config.toFile(), c);
    }

    private static void removeAdded(ObjectNode tokenizer, String content) {
        Iterator<com.fasterxml.jackson.databind.JsonNode> it = tokenizer.get("added_tokens").elements();
        while (it.hasNext()) {
            if (it.next().get("content").asText().equals(content)) {
                it.remove();
            }
        }
        ((ObjectNode) tokenizer.get("model").get("vocab")).remove(content);
    }

    /** Rewrites {@code file} with its tensors plus zero-filled F32 {@code extra} tensors. */
    private static void addTensors(Path file, Map<String, long[]> extra) throws IOException {
        Path rewritten = file.resolveSibling(file.getFileName() + ".new");
        try (SafetensorsFile src = SafetensorsFile.open(file)) {
            List<TensorSpec> specs = new ArrayList<>();
            for (TensorInfo t : src.tensors().values()) {
                specs.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
            }
            Map<String, long[]> added = new LinkedHashMap<>(extra);
            added.forEach((n, s) -> specs.add(new TensorSpec(n, DType.F32, s)));
            try (SafetensorsWriter w = SafetensorsWriter.create(rewritten, specs, src.metadata())) {
                for (TensorInfo t : src.tensors().values()) {
                    w.write(t.name(), src.data(t.name()));
                }
                for (Map.Entry<String, long[]> a : added.entrySet()) {
                    long n = 1;
                    for (long d : a.getValue()) {
                        n *= d;
                    }
                    w.writeFloats(a.getKey(), new float[(int) n]);
                }
                w.finish();
            }
        }
        Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Writes {@code value} into element {@code index} of tensor {@code name}, in the tensor's own dtype. */
    static void poke(Path file, String name, long index, float value) throws IOException {
        long dataStart;
        TensorInfo t;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            t = f.info(name);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            dataStart = 8 + len.getLong(0);
            int es = t.dtype().byteSize();
            ByteBuffer b = ByteBuffer.allocate(es).order(ByteOrder.LITTLE_ENDIAN);
            switch (t.dtype()) {
                case F32 -> b.putFloat(value);
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
                case F16 -> b.putShort(Float.isNaN(value) ? (short) 0x7E00 : value > 0 ? (short) 0x7C00 : (short) 0xFC00);
                default -> throw new IllegalArgumentException(t.dtype().toString());
            }
            b.flip();
            ch.write(b, dataStart + t.begin() + index * es);
        }
    }

    /** Moves the data_offsets of the second tensor in data order by {@code delta} bytes (same length and data). */
    private static void shiftTensor(Path file, long delta) throws IOException {
        String name;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            name = f.tensors().values().stream().sorted(java.util.Comparator.comparingLong(TensorInfo::begin))
                    .skip(1).findFirst().orElseThrow().name();
        }
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, n, java.nio.charset.StandardCharsets.UTF_8));
        ArrayNode offs = (ArrayNode) header.get(name).get("data_offsets");
        long begin = offs.get(0).asLong() + delta;
        long end = offs.get(1).asLong() + delta;
        offs.removeAll().add(begin).add(end);
        byte[] h = JSON.writeValueAsBytes(header);
        assertFalse(h.length > n, "rewritten header must fit");
        byte[] padded = new byte[n];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(h, 0, padded, 0, h.length);
        System.arraycopy(padded, 0, all, 8, n);
        Files.write(file, all);
    }
}
