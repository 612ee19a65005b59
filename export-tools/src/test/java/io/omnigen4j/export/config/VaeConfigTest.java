package io.omnigen4j.export.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void readsTinyModelA() throws IOException {
        VaeConfig c = VaeConfig.readFromCheckpoint(Fixtures.model("tiny-omnigen-a"));
        assertEquals(3, c.inChannels());
        assertEquals(3, c.outChannels());
        assertEquals(4, c.latentChannels());
        assertEquals(List.of(32, 32, 64, 64), c.blockOutChannels());
        assertEquals(2, c.layersPerBlock());
        assertEquals(32, c.normNumGroups());
        assertEquals("silu", c.actFn());
        assertEquals(List.of("DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"),
                c.downBlockTypes());
        assertEquals(4, c.upBlockTypes().size());
        assertEquals(0.13025, c.scalingFactor());
        assertNull(c.shiftFactor());
        assertTrue(c.midBlockAddAttention());
        assertTrue(c.useQuantConv());
        assertTrue(c.usePostQuantConv());
        assertEquals(64, c.sampleSize());
        assertEquals(4, c.blockCount());
        assertEquals(8, c.downsampleFactor());
    }

    @Test
    void jsonRoundTrip() throws IOException {
        VaeConfig c = VaeConfig.readFromCheckpoint(Fixtures.model("tiny-omnigen-a"));
        ObjectNode j = c.toJson();
        assertTrue(j.get("shift_factor").isNull());
        assertEquals(0.13025, j.get("scaling_factor").doubleValue());
        assertEquals(15, j.size(), j.toString());
        assertFalse(j.has("downsample_factor"));
        assertEquals(c, VaeConfig.fromJson(j, "manifest"));
        VaeConfig shifted = VaeConfig.read(variant(n -> n.put("shift_factor", 0.1159)));
        assertEquals(0.1159, shifted.shiftFactor());
        assertEquals(shifted, VaeConfig.fromJson(shifted.toJson(), "manifest"));
    }

    @Test
    void olderDiffusersConfigsGetDiffusersDefaults() throws IOException {
        // the public SDXL VAE config predates these fields
        VaeConfig c = VaeConfig.read(variant(n -> {
            for (String f : List.of("act_fn", "shift_factor", "mid_block_add_attention", "use_quant_conv",
                    "use_post_quant_conv", "sample_size", "latents_mean", "latents_std", "force_upcast")) {
                n.remove(f);
            }
        }));
        assertEquals("silu", c.actFn());
        assertNull(c.shiftFactor());
        assertTrue(c.midBlockAddAttention());
        assertTrue(c.useQuantConv());
        assertTrue(c.usePostQuantConv());
        assertEquals(32, c.sampleSize());
    }

    @Test
    void optionalSwitchesAreRead() throws IOException {
        VaeConfig c = VaeConfig.read(variant(n -> {
            n.put("mid_block_add_attention", false);
            n.put("use_quant_conv", false);
            n.put("use_post_quant_conv", false);
        }));
        assertFalse(c.midBlockAddAttention());
        assertFalse(c.useQuantConv());
        assertFalse(c.usePostQuantConv());
        assertError(variant(n -> n.put("use_quant_conv", "yes")), "use_quant_conv", "must be true or false");
    }

    @Test
    void nonSiluActivationIsAnError() throws IOException {
        assertError(variant(n -> n.put("act_fn", "gelu")), "act_fn", "must be \"silu\"");
    }

    @Test
    void wrongBlockTypesAreErrors() throws IOException {
        assertError(variant(n -> ((ArrayNode) n.get("down_block_types")).set(2,
                JSON.getNodeFactory().textNode("AttnDownEncoderBlock2D"))), "down_block_types[2]",
                "must be \"DownEncoderBlock2D\", got \"AttnDownEncoderBlock2D\"");
        assertError(variant(n -> ((ArrayNode) n.get("up_block_types")).remove(0)), "up_block_types",
                "must have one entry per block_out_channels entry (4), got 3");
    }

    @Test
    void channelsMustSuitGroupNorm() throws IOException {
        assertError(variant(n -> ((ArrayNode) n.get("block_out_channels")).set(1, JSON.getNodeFactory().numberNode(48))),
                "block_out_channels[1]", "must be a positive multiple of norm_num_groups 32 (GroupNorm), got 48");
        assertError(variant(n -> n.putArray("block_out_channels")), "block_out_channels", "must not be empty");
    }

    @Test
    void missingRequiredFieldsAreErrors() throws IOException {
        for (String f : List.of("in_channels", "out_channels", "latent_channels", "block_out_channels",
                "layers_per_block", "norm_num_groups", "down_block_types", "up_block_types", "scaling_factor")) {
            assertError(variant(n -> n.remove(f)), f, "is required but missing");
        }
    }

    @Test
    void otherRulesAreEnforced() throws IOException {
        assertError(variant(n -> n.put("_class_name", "AutoencoderTiny")), "_class_name", "must be \"AutoencoderKL\"");
        assertError(variant(n -> n.put("scaling_factor", -1)), "scaling_factor", "must be a positive number");
        assertError(variant(n -> n.put("shift_factor", "x")), "shift_factor", "must be a number");
        assertError(variant(n -> n.put("layers_per_block", 0)), "layers_per_block", "must be positive");
    }

    @Test
    void missingFileIsAnError() {
        ConfigException e = assertThrows(ConfigException.class, () -> VaeConfig.readFromCheckpoint(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("vae/config.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("missing; the VAE configuration cannot be read without it"), e.getMessage());
    }

    private Path variant(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(Fixtures.model("tiny-omnigen-a").resolve("vae/config.json").toFile());
        edit.accept(n);
        Path d = Files.createTempDirectory(dir, "vae");
        Path p = d.resolve("config.json");
        JSON.writeValue(p.toFile(), n);
        return p;
    }

    private static void assertError(Path p, String field, String detail) {
        ConfigException e = assertThrows(ConfigException.class, () -> VaeConfig.read(p));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(p + ": field '" + field + "' "), e.getMessage());
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in: " + e.getMessage());
    }
}
