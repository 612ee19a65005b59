package io.omnigen4j.export.generate;

import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.VaeConfig;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorSpec;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomCheckpointGeneratorTest {

    private static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors");

    @TempDir
    Path dir;

    static CheckpointSpec tinySpec() {
        return CheckpointSpec.builder()
                .hidden(32).layers(2).heads(2).intermediate(64)
                .longRope(64, 4096)
                .vaeBlockOutChannels(List.of(32, 32)).vaeLayersPerBlock(1).vaeNormGroups(8)
                .build();
    }

    /** tiny-omnigen-a's dimensions, with its LongRoPE factors. */
    static CheckpointSpec fixtureASpec() throws IOException {
        Phi3Config ref = Phi3Config.readFromCheckpoint(Fixtures.model("tiny-omnigen-a"));
        return CheckpointSpec.builder()
                .hidden(64).layers(2).heads(4).kvHeads(4).intermediate(128)
                .longRope(64, 4096, ref.ropeScaling().shortFactor(), ref.ropeScaling().longFactor())
                .vaeBlockOutChannels(List.of(32, 32, 64, 64)).vaeLayersPerBlock(2).vaeNormGroups(32)
                .build();
    }

    @Test
    void tinyCheckpointIsCompleteAndReadable() throws IOException {
        CheckpointSpec spec = tinySpec();
        Path out = RandomCheckpointGenerator.generate(spec, 7, dir.resolve("tiny"));
        for (String f : FILES) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(spec.transformer(), Phi3Config.readFromCheckpoint(out));
        assertEquals(spec.vae(), VaeConfig.readFromCheckpoint(out));
        assertEquals(8, spec.transformer().ropeScaling().shortFactor().size());
        try (SafetensorsFile m = SafetensorsFile.open(out.resolve("model.safetensors"));
             SafetensorsFile v = SafetensorsFile.open(out.resolve("vae/diffusion_pytorch_model.safetensors"))) {
            assertEquals(shapes(CheckpointLayout.transformer(spec.transformer(), 4)), shapes(m));
            assertEquals(shapes(CheckpointLayout.vae(spec.vae(), false)), shapes(v));
            assertEquals("7", m.metadata().get("seed"));
            assertEquals("pt", v.metadata().get("format"));
            assertArrayEquals(new long[] {1, 36864, 32}, m.info("pos_embed").shape());
            assertArrayEquals(new long[] {32064, 32}, m.info("llm.embed_tokens.weight").shape());
            assertArrayEquals(new long[] {96, 32}, m.info("llm.layers.1.self_attn.qkv_proj.weight").shape());
            // transformer key names depend only on the depth: same set as the fixture (also 2 layers)
            try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
                assertEquals(ref.names(), m.names());
            }
            // the VAE: conv_shortcut nowhere (all widths 32); one downsampler/upsampler with two blocks
            assertTrue(v.names().stream().noneMatch(n -> n.contains("conv_shortcut")));
            assertTrue(v.contains("encoder.down_blocks.0.downsamplers.0.conv.weight"));
            assertFalse(v.contains("encoder.down_blocks.1.downsamplers.0.conv.weight"));
            assertTrue(v.contains("decoder.up_blocks.1.resnets.1.conv2.weight"));
            assertFalse(v.contains("decoder.up_blocks.1.resnets.2.conv2.weight"));
            assertTrue(v.contains("encoder.mid_block.attentions.0.to_out.0.weight"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("tiny"), s.map(p -> p.getFileName().toString()).toList(), "no temp folder left");
        }
    }

    @Test
    void fixtureDimensionsGiveTheFixtureKeysAndShapes() throws IOException {
        Path ref = Fixtures.model("tiny-omnigen-a");
        CheckpointSpec spec = fixtureASpec();
        Path out = RandomCheckpointGenerator.generate(spec, 1, dir.resolve("a"));
        assertEquals(Phi3Config.readFromCheckpoint(ref), Phi3Config.readFromCheckpoint(out));
        assertEquals(VaeConfig.readFromCheckpoint(ref), VaeConfig.readFromCheckpoint(out));
        for (String f : List.of("model.safetensors", "vae/diffusion_pytorch_model.safetensors")) {
            try (SafetensorsFile a = SafetensorsFile.open(ref.resolve(f)); SafetensorsFile b = SafetensorsFile.open(out.resolve(f))) {
                assertEquals(shapes(a), shapes(b), f);
                assertEquals(List.copyOf(a.names()), List.copyOf(b.names()), f + ": same (sorted) order");
                for (TensorInfo t : a.tensors().values()) {
                    assertEquals(t.begin(), b.info(t.name()).begin(), "same offsets: " + t.name());
                }
            }
        }
    }

    @Test
    void posEmbedMatchesTheReference() throws IOException {
        try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.model("tiny-omnigen-a").resolve("model.safetensors"))) {
            float[] expected = ref.floats("pos_embed");
            SinCosPositionTable table = new SinCosPositionTable(64, 192);
            float[] ours = new float[expected.length];
            table.fill(0, ours, ours.length);
            double max = 0;
            for (int i = 0; i < ours.length; i++) {
                max = Math.max(max, Math.abs(ours[i] - expected[i]));
            }
            assertTrue(max <= 1e-6, "max |diff| " + max);
        }
    }

    @Test
    void sameSeedGivesIdenticalBytesAndOtherSeedsDiffer() throws IOException {
        Path a = RandomCheckpointGenerator.generate(tinySpec(), 42, dir.resolve("a"));
        Path b = RandomCheckpointGenerator.generate(tinySpec(), 42, dir.resolve("b"));
        Path c = RandomCheckpointGenerator.generate(tinySpec(), 43, dir.resolve("c"));
        for (String f : FILES) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        try (SafetensorsFile x = SafetensorsFile.open(a.resolve("model.safetensors"));
             SafetensorsFile y = SafetensorsFile.open(c.resolve("model.safetensors"))) {
            assertFalse(java.util.Arrays.equals(x.floats("llm.layers.0.self_attn.qkv_proj.weight"),
                    y.floats("llm.layers.0.self_attn.qkv_proj.weight")));
            assertArrayEquals(x.floats("pos_embed"), y.floats("pos_embed"), "pos_embed is not random");
        }
    }

    @Test
    void initialisationFollowsTheFixtureRecipe() throws IOException {
        Path out = RandomCheckpointGenerator.generate(fixtureASpec(), 3, dir.resolve("init"));
        try (SafetensorsFile m = SafetensorsFile.open(out.resolve("model.safetensors"));
             SafetensorsFile v = SafetensorsFile.open(out.resolve("vae/diffusion_pytorch_model.safetensors"))) {
            assertStats(m.floats("llm.embed_tokens.weight"), 0, 1, 0.01);
            assertStats(m.floats("llm.layers.0.self_attn.qkv_proj.weight"), 0, 1.6 / 8, 0.01);
            assertStats(m.floats("llm.layers.0.mlp.down_proj.weight"), 0, 1 / Math.sqrt(128), 0.01);
            assertStats(m.floats("time_token.mlp.0.weight"), 0, 1 / 16.0, 0.01);
            assertStats(v.floats("decoder.conv_out.weight"), 0, 0.6 / Math.sqrt(32 * 9), 0.01);
            assertStats(v.floats("encoder.conv_in.weight"), 0, 1 / Math.sqrt(27), 0.03);
            float[] norms = concat(m.floats("llm.layers.0.input_layernorm.weight"), m.floats("llm.norm.weight"),
                    v.floats("decoder.mid_block.resnets.0.norm1.weight"), v.floats("encoder.conv_norm_out.weight"));
            assertStats(norms, 1, 0.1, 0.03);
            float[] biases = concat(m.floats("x_embedder.proj.bias"), m.floats("final_layer.adaLN_modulation.1.bias"),
                    v.floats("encoder.mid_block.attentions.0.to_q.bias"), v.floats("decoder.conv_in.bias"));
            assertStats(biases, 0, 0.05, 0.012);
            for (String name : m.names()) {
                if (!name.equals("pos_embed")) {
                    for (float f : m.floats(name)) {
                        assertTrue(f != 0 && Float.isFinite(f), name);
                    }
                }
            }
        }
    }

    @Test
    void tensorsAreIndependentOfEachOthersOrder() throws IOException {
        TensorSpec t = TensorSpec.of("encoder.conv_in.weight", io.omnigen4j.export.safetensors.DType.F32, 8, 3, 3, 3);
        float[] whole = new float[216];
        WeightInit.source(t, 5).fill(0, whole, 216);
        float[] again = new float[216];
        WeightInit.source(t, 5).fill(0, again, 216);
        assertArrayEquals(whole, again);
        assertNotEquals(WeightInit.seedFor(5, "a"), WeightInit.seedFor(5, "b"));
        assertNotEquals(WeightInit.seedFor(5, "a"), WeightInit.seedFor(6, "a"));
    }

    @Test
    void legacyAttentionNamesAndNoRopeScaling() throws IOException {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(32).layers(1).heads(2).intermediate(64)
                .noRopeScaling(4096)
                .vaeBlockOutChannels(List.of(16, 32)).vaeLayersPerBlock(1).vaeNormGroups(8)
                .legacyVaeAttentionNames(true).build();
        Path out = RandomCheckpointGenerator.generate(spec, 9, dir.resolve("legacy"));
        Phi3Config c = Phi3Config.readFromCheckpoint(out);
        assertEquals(null, c.ropeScaling());
        assertEquals(1.0, c.ropeAttentionScale());
        try (SafetensorsFile v = SafetensorsFile.open(out.resolve("vae/diffusion_pytorch_model.safetensors"))) {
            Pattern attn = Pattern.compile("(en|de)coder\\.mid_block\\.attentions\\.0\\.(\\w+(\\.0)?)\\.weight");
            TreeSet<String> projections = v.names().stream().map(attn::matcher).filter(java.util.regex.Matcher::matches)
                    .map(mt -> mt.group(2)).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(List.of("group_norm", "key", "proj_attn", "query", "value")), projections);
            // widths 16 → 32: shortcut in encoder down block 1 and decoder up block 1 (32 → 16)
            assertArrayEquals(new long[] {32, 16, 1, 1}, v.info("encoder.down_blocks.1.resnets.0.conv_shortcut.weight").shape());
            assertArrayEquals(new long[] {16, 32, 1, 1}, v.info("decoder.up_blocks.1.resnets.0.conv_shortcut.weight").shape());
            assertEquals(2, v.names().stream().filter(n -> n.endsWith("conv_shortcut.weight")).count());
        }
    }

    @Test
    void refusesNonEmptyTargetButFillsAnEmptyOne() throws IOException {
        Path busy = Files.createDirectories(dir.resolve("busy"));
        Files.writeString(busy.resolve("keep.txt"), "x");
        assertThrows(DirectoryNotEmptyException.class, () -> RandomCheckpointGenerator.generate(tinySpec(), 1, busy));
        assertEquals("x", Files.readString(busy.resolve("keep.txt")));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        RandomCheckpointGenerator.generate(tinySpec(), 1, empty);
        assertTrue(Files.isRegularFile(empty.resolve("model.safetensors")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(new TreeSet<>(List.of("busy", "empty")),
                    s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new)));
        }
    }

    @Test
    void generatedFolderHasOrdinaryPermissions() throws IOException {
        Path out = RandomCheckpointGenerator.generate(tinySpec(), 1, dir.resolve("perm"));
        Path plain = Files.createDirectory(dir.resolve("plain"));
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out));
        }
    }

    @Test
    void specValidation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CheckpointSpec.builder().hidden(30).heads(3).build());
        assertTrue(e.getMessage().contains("multiple of 4") || e.getMessage().contains("head_dim"), e.getMessage());
        IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                () -> CheckpointSpec.builder().vaeBlockOutChannels(List.of(32, 36)).vaeNormGroups(8).build());
        assertTrue(g.getMessage().contains("block_out_channels[1]"), g.getMessage());
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                () -> CheckpointSpec.builder().vocab(1000).build());
        assertTrue(v.getMessage().contains("must exceed the largest tokenizer id 32010"), v.getMessage());
        assertEquals(List.of(1.0, 1.4142, 2.0, 2.8284, 4.0), CheckpointSpec.defaultFactors(5, 4.0));
    }

    private static Map<String, List<Long>> shapes(List<TensorSpec> specs) {
        Map<String, List<Long>> m = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            m.put(s.name(), java.util.Arrays.stream(s.shape()).boxed().toList());
        }
        return m;
    }

    private static Map<String, List<Long>> shapes(SafetensorsFile f) {
        Map<String, List<Long>> m = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors().values()) {
            m.put(t.name(), java.util.Arrays.stream(t.shape()).boxed().toList());
        }
        return m;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Mean and standard deviation within {@code tol} (relative for the std). */
    private static void assertStats(float[] x, double mean, double std, double tol) {
        double s = 0;
        double s2 = 0;
        for (float f : x) {
            s += f;
        }
        double mu = s / x.length;
        for (float f : x) {
            s2 += (f - mu) * (f - mu);
        }
        double sd = Math.sqrt(s2 / x.length);
        assertEquals(mean, mu, Math.max(tol, 4 * std / Math.sqrt(x.length)), "mean");
        assertEquals(std, sd, std * Math.max(0.05, 5 / Math.sqrt(x.length)), "std");
    }
}
