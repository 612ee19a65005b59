package io.omnigen4j.export.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.CheckpointFormat;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorSpec;
import io.omnigen4j.export.safetensors.TensorStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The diffusers layout of the checkpoint: names and split checked against diffusers' conversion script, the same
 * weights exporting to byte-identical folders from both layouts (single file, shards, BF16, int8), and the errors
 * for incomplete or foreign folders.
 */
class DiffusersLayoutTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;

    /** 2 layers, 4 query heads over 2 key/value heads (so to_k/to_v are narrower than to_q), LongRoPE. */
    static CheckpointSpec spec() {
        return CheckpointSpec.builder().hidden(64).layers(2).heads(4).kvHeads(2).intermediate(96).vocab(32100)
                .longRope(64, 4096).vaeBlockOutChannels(List.of(16, 16)).vaeNormGroups(8).build();
    }

    private static Path original;
    private static Path diffusers;

    @BeforeAll
    static void generate() throws IOException {
        original = RandomCheckpointGenerator.generate(spec(), 11, shared.resolve("original"));
        diffusers = RandomCheckpointGenerator.generate(spec(), 11, shared.resolve("diffusers"),
                CheckpointFormat.diffusers());
    }

    /**
     * The diffusers key set of a 2-layer model, written out by hand from convert_omnigen_to_diffusers.py's
     * mapping_dict, its qkv split, its o_proj rename and its "drop llm." rule: pins {@link DiffusersNames}.
     */
    @Test
    void diffusersNamesAreThoseOfTheConversionScript() throws IOException {
        Set<String> expected = new TreeSet<>(List.of("patch_embedding.pos_embed",
                "patch_embedding.output_image_proj.weight", "patch_embedding.output_image_proj.bias",
                "patch_embedding.input_image_proj.weight", "patch_embedding.input_image_proj.bias",
                "norm_out.linear.weight", "norm_out.linear.bias", "proj_out.weight", "proj_out.bias",
                "time_token.linear_1.weight", "time_token.linear_1.bias", "time_token.linear_2.weight",
                "time_token.linear_2.bias", "t_embedder.linear_1.weight", "t_embedder.linear_1.bias",
                "t_embedder.linear_2.weight", "t_embedder.linear_2.bias", "embed_tokens.weight", "norm.weight"));
        for (int l = 0; l < 2; l++) {
            for (String s : List.of("input_layernorm.weight", "post_attention_layernorm.weight",
                    "self_attn.to_q.weight", "self_attn.to_k.weight", "self_attn.to_v.weight",
                    "self_attn.to_out.0.weight", "mlp.gate_up_proj.weight", "mlp.down_proj.weight")) {
                expected.add("layers." + l + "." + s);
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(diffusers.resolve("transformer/diffusion_pytorch_model.safetensors"));
             SafetensorsFile o = SafetensorsFile.open(original.resolve("model.safetensors"))) {
            assertEquals(expected, new TreeSet<>(f.names()));
            assertEquals(o.names().size() + 2 * 2, f.names().size(), "qkv_proj is three tensors per layer");
            // Every renamed tensor holds the original's bytes; q/k/v are the original rows 0..64, 64..96, 96..128.
            for (String name : o.names()) {
                List<String> d = DiffusersNames.toDiffusers(name);
                if (d.size() == 1) {
                    assertEquals(o.data(name), f.data(d.get(0)), name);
                    assertArrayEquals(o.info(name).shape(), f.info(d.get(0)).shape(), name);
                }
            }
            String qkv = "llm.layers.1.self_attn.qkv_proj.weight";
            assertArrayEquals(new long[] {128, 64}, o.info(qkv).shape());
            long[][] rows = {{0, 64}, {64, 32}, {96, 32}};
            String[] parts = {"layers.1.self_attn.to_q.weight", "layers.1.self_attn.to_k.weight",
                    "layers.1.self_attn.to_v.weight"};
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(new long[] {rows[i][1], 64}, f.info(parts[i]).shape(), parts[i]);
                assertEquals(o.slice(qkv, rows[i][0] * 64 * 4, rows[i][1] * 64 * 4), f.data(parts[i]), parts[i]);
            }
        }
    }

    @Test
    void generatorWritesTheDiffusersFoldersAndRefusesPlainRope() throws IOException {
        for (String f : List.of("model_index.json", "transformer/config.json", "tokenizer/tokenizer.json",
                "tokenizer/tokenizer_config.json", "scheduler/scheduler_config.json", "vae/config.json",
                "vae/diffusion_pytorch_model.safetensors")) {
            assertTrue(Files.isRegularFile(diffusers.resolve(f)), f);
        }
        assertFalse(Files.exists(diffusers.resolve("config.json")));
        assertEquals("OmniGenTransformer2DModel",
                JSON.readTree(diffusers.resolve("transformer/config.json").toFile()).get("_class_name").asText());
        CheckpointSpec plain = CheckpointSpec.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RandomCheckpointGenerator
                .generate(plain, 1, shared.resolve("plain-rope"), CheckpointFormat.diffusers()));
        assertTrue(e.getMessage().contains("LongRoPE"), e.getMessage());
        assertFalse(Files.exists(shared.resolve("plain-rope")));
    }

    /** The view gives the original names, shapes and bytes, including slices across the q/k/v boundaries. */
    @Test
    void viewReadsLikeTheOriginalFile() throws IOException {
        CheckpointFolder folder = CheckpointFolder.open(diffusers);
        assertEquals(SourceLayout.DIFFUSERS, folder.layout());
        assertEquals(CheckpointFolder.open(original).transformerConfig(), folder.transformerConfig());
        try (TensorStore view = folder.openTransformerWeights();
             SafetensorsFile o = SafetensorsFile.open(original.resolve("model.safetensors"))) {
            assertEquals(new TreeSet<>(o.names()), new TreeSet<>(view.names()));
            for (String name : o.names()) {
                TensorInfo a = o.info(name);
                TensorInfo b = view.info(name);
                assertEquals(a.dtype(), b.dtype(), name);
                assertArrayEquals(a.shape(), b.shape(), name);
                assertEquals(o.data(name), view.data(name), name);
            }
            String qkv = "llm.layers.0.self_attn.qkv_proj.weight";
            for (long[] r : new long[][] {{4000, 10000}, {16380, 8}, {0, 32768}, {24572, 8}}) {
                assertEquals(o.slice(qkv, r[0], r[1]), view.slice(qkv, r[0], r[1]), Arrays.toString(r));
            }
            assertTrue(view.describe(qkv).contains("layers.0.self_attn.to_k.weight"), view.describe(qkv));
        }
    }

    @Test
    void bothLayoutsExportToByteIdenticalFolders() throws IOException {
        Path a = export(original, "a", b -> { });
        Path b = export(diffusers, "b", x -> { });
        assertSameFolders(a, b);
        Path sharded = RandomCheckpointGenerator.generate(spec(), 11, shared.resolve("diffusers-sharded"),
                CheckpointFormat.diffusers().withMaxShardBytes(40_000));
        try (Stream<Path> s = Files.list(sharded.resolve("transformer"))) {
            long shards = s.filter(p -> p.getFileName().toString().matches(
                    "diffusion_pytorch_model-\\d{5}-of-\\d{5}\\.safetensors")).count();
            assertTrue(shards >= 3, shards + " shards");
        }
        assertFalse(Files.exists(sharded.resolve("transformer/diffusion_pytorch_model.safetensors")));
        assertSameFolders(a, export(sharded, "c", x -> { }));
        // Another seed changes the weights: the comparison can fail.
        Path other = RandomCheckpointGenerator.generate(spec(), 12, shared.resolve("diffusers-12"),
                CheckpointFormat.diffusers());
        assertFalse(Files.mismatch(a.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS),
                export(other, "d", x -> { }).resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)) < 0);
    }

    /** BF16 (as diffusers' conversion script saves) and shards in the original layout; int8 reads rows via the view. */
    @Test
    void bf16ShardedAndQuantizedExportsMatchToo() throws IOException {
        Path origBf16 = RandomCheckpointGenerator.generate(spec(), 11, shared.resolve("original-bf16"),
                CheckpointFormat.original().withTransformerDType(DType.BF16).withMaxShardBytes(60_000));
        assertTrue(Files.exists(origBf16.resolve("model.safetensors.index.json")));
        Path diffBf16 = RandomCheckpointGenerator.generate(spec(), 11, shared.resolve("diffusers-bf16"),
                CheckpointFormat.diffusers().withTransformerDType(DType.BF16));
        Path a = export(origBf16, "bf16-a", x -> { });
        assertSameFolders(a, export(diffBf16, "bf16-b", x -> { }));
        assertFalse(Files.mismatch(a.resolve(OmniGenExporter.TRANSFORMER_WEIGHTS),
                export(original, "f32", x -> { }).resolve(OmniGenExporter.TRANSFORMER_WEIGHTS)) < 0,
                "BF16 rounding changes the weights");
        Consumer<ExportOptions.Builder> int8 = x -> x.precision(ExportOptions.Precision.INT8);
        assertSameFolders(export(original, "q-a", int8), export(diffusers, "q-b", int8));
    }

    @Test
    void missingAndUnknownTensorsAreNamed() throws IOException {
        Path noK = copyOf(diffusers, "no-k");
        rewrite(noK.resolve("transformer/diffusion_pytorch_model.safetensors"), "layers.1.self_attn.to_k.weight", null);
        String m = exportError(noK);
        assertTrue(m.contains("missing tensor 'layers.1.self_attn.to_k.weight'"), m);
        assertTrue(m.contains("llm.layers.1.self_attn.qkv_proj.weight"), m);

        Path noDown = copyOf(diffusers, "no-down");
        rewrite(noDown.resolve("transformer/diffusion_pytorch_model.safetensors"), "layers.1.mlp.down_proj.weight",
                null);
        m = exportError(noDown);
        assertTrue(m.contains("'llm.layers.1.mlp.down_proj.weight' (diffusers name 'layers.1.mlp.down_proj.weight')"),
                m);

        Path extra = copyOf(diffusers, "extra");
        rewrite(extra.resolve("transformer/diffusion_pytorch_model.safetensors"), null,
                "layers.0.self_attn.norm_q.weight");
        m = exportError(extra);
        assertTrue(m.contains("'layers.0.self_attn.norm_q.weight'"), m);
        assertTrue(m.contains("does not have"), m);
    }

    @Test
    void diffusersConfigFieldsThatMatterAreCheckedByName() throws IOException {
        assertConfigError(n -> n.put("qk_norm", true), "'qk_norm'");
        assertConfigError(n -> n.put("flip_sin_to_cos", false), "'flip_sin_to_cos'");
        assertConfigError(n -> n.put("downscale_freq_shift", 1), "'downscale_freq_shift'");
        assertConfigError(n -> n.put("timestep_activation_fn", "gelu"), "'timestep_activation_fn'");
        assertConfigError(n -> n.put("patch_size", 1), "'patch_size'");
        assertConfigError(n -> n.put("in_channels", 16), "'in_channels'");
        assertConfigError(n -> n.putNull("rope_scaling"), "'rope_scaling'");
        assertConfigError(n -> n.remove("num_layers"), "'num_layers' is required");
        assertConfigError(n -> n.remove("rope_base"), "'rope_base' is required");
        assertConfigError(n -> n.put("num_attention_heads", 3), "'num_attention_heads'");
        assertConfigError(n -> ((ObjectNode) n.get("rope_scaling")).put("type", "yarn"), "'rope_scaling.type'");
        assertConfigError(n -> n.put("_class_name", "SD3Transformer2DModel"), "'_class_name'");
        // Diffusers ignores rope_scaling.type, so a missing one is the LongRoPE it applies anyway.
        Path noType = copyOf(diffusers, "no-type");
        editConfig(noType, n -> ((ObjectNode) n.get("rope_scaling")).remove("type"));
        assertEquals(CheckpointFolder.open(original).transformerConfig(),
                CheckpointFolder.open(noType).transformerConfig());
    }

    @Test
    void foldersOfNeitherLayoutSayWhatWasLookedForAndFound() throws IOException {
        Path empty = Files.createDirectories(shared.resolve("not-a-checkpoint"));
        Files.writeString(empty.resolve("notes.txt"), "x");
        Files.createDirectories(empty.resolve("weights"));
        String m = exportError(empty);
        assertTrue(m.contains("neither config.json nor transformer/config.json"), m);
        assertTrue(m.contains("found: notes.txt, weights/"), m);
        assertTrue(m.contains("model_index.json") && m.contains("model.safetensors"), m);

        Path indexOnly = Files.createDirectories(shared.resolve("index-only"));
        Files.copy(diffusers.resolve("model_index.json"), indexOnly.resolve("model_index.json"));
        m = exportError(indexOnly);
        assertTrue(m.contains("has model_index.json but no transformer/config.json"), m);

        Path noTokenizer = copyOf(diffusers, "no-tokenizer");
        Files.delete(noTokenizer.resolve("tokenizer/tokenizer.json"));
        Files.delete(noTokenizer.resolve("transformer/diffusion_pytorch_model.safetensors"));
        m = exportError(noTokenizer);
        assertTrue(m.contains("(diffusers layout) has no transformer/diffusion_pytorch_model.safetensors (or"
                + " transformer/diffusion_pytorch_model.safetensors.index.json), no tokenizer/tokenizer.json"), m);

        Path both = copyOf(diffusers, "both");
        Files.copy(original.resolve("config.json"), both.resolve("config.json"));
        m = exportError(both);
        assertTrue(m.contains("both config.json (original layout) and transformer/config.json"), m);

        Path otherPipeline = copyOf(diffusers, "other-pipeline");
        Files.writeString(otherPipeline.resolve("model_index.json"), "{\"_class_name\": \"FluxPipeline\"}");
        m = exportError(otherPipeline);
        assertTrue(m.contains("FluxPipeline, not an OmniGenPipeline"), m);
    }

    private void assertConfigError(Consumer<ObjectNode> edit, String expected) throws IOException {
        Path c = copyOf(diffusers, "cfg-" + Integer.toHexString(expected.hashCode()) + "-" + System.nanoTime());
        editConfig(c, edit);
        String m = exportError(c);
        assertTrue(m.contains("transformer/config.json") && m.contains(expected), m);
    }

    private static void editConfig(Path ckpt, Consumer<ObjectNode> edit) throws IOException {
        Path cfg = ckpt.resolve("transformer/config.json");
        ObjectNode n = (ObjectNode) JSON.readTree(cfg.toFile());
        edit.accept(n);
        JSON.writeValue(cfg.toFile(), n);
    }

    private static String exportError(Path ckpt) {
        Path out = shared.resolve("never-" + System.nanoTime());
        // ExportException for folder and config problems, SafetensorsException for tensors: both IOExceptions.
        IOException e = assertThrows(IOException.class,
                () -> OmniGenExporter.export(ExportOptions.builder(ckpt, out).build()));
        assertFalse(Files.exists(out));
        return e.getMessage();
    }

    private static Path export(Path ckpt, String name, Consumer<ExportOptions.Builder> options) throws IOException {
        Path out = shared.resolve("export-" + name);
        ExportOptions.Builder b = ExportOptions.builder(ckpt, out).force(true);
        options.accept(b);
        OmniGenExporter.export(b.build());
        return out;
    }

    /** Same file names, every file byte for byte (manifest.json included: it records nothing of the source). */
    private static void assertSameFolders(Path a, Path b) throws IOException {
        List<String> names = names(a);
        assertEquals(names, names(b));
        assertTrue(names.contains("manifest.json") && names.contains("transformer.onnx"), names.toString());
        for (String n : names) {
            assertEquals(-1L, Files.mismatch(a.resolve(n), b.resolve(n)), n + " differs between " + a + " and " + b);
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Path copyOf(Path src, String name) throws IOException {
        Path dst = shared.resolve(name);
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return dst;
    }

    /** Rewrites {@code file} without tensor {@code drop} and/or with a 1-D F32 tensor {@code add} of 64 zeros. */
    private static void rewrite(Path file, String drop, String add) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        Path tmp = file.resolveSibling("rewritten.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                if (!n.equals(drop)) {
                    specs.add(new TensorSpec(n, f.info(n).dtype(), f.info(n).shape()));
                }
            }
            if (add != null) {
                specs.add(new TensorSpec(add, DType.F32, new long[] {64}));
            }
            try (SafetensorsWriter w = SafetensorsWriter.create(tmp, specs)) {
                for (TensorSpec s : specs) {
                    w.write(s.name(), s.name().equals(add) ? ByteBuffer.allocate(256) : f.data(s.name()));
                }
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(drop, add);
    }
}
