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
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Phi3ConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void readsTinyModelA() throws IOException {
        Phi3Config c = Phi3Config.readFromCheckpoint(Fixtures.model("tiny-omnigen-a"));
        assertEquals(64, c.hiddenSize());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(4, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(192, c.qkvRows());
        assertEquals(128, c.intermediateSize());
        assertEquals(32064, c.vocabSize());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals("silu", c.hiddenAct());
        assertEquals(4096, c.maxPositionEmbeddings());
        assertEquals(64, c.originalMaxPositionEmbeddings());
        assertTrue(c.hasLongRope());
        assertEquals("su", c.ropeScaling().type());
        assertEquals(List.of(1.0, 1.07, 1.18, 1.35, 1.61, 2.04, 2.75, 3.9), c.ropeScaling().shortFactor());
        assertEquals(List.of(1.02, 1.45, 2.2, 3.55, 5.9, 9.8, 16.5, 27.0), c.ropeScaling().longFactor());
        assertArrayEquals(new float[] {1.02f, 1.45f, 2.2f, 3.55f, 5.9f, 9.8f, 16.5f, 27.0f},
                c.ropeScaling().longFactorF32());
        assertEquals(Math.sqrt(2), c.ropeAttentionScale(), 1e-15);
        // README: t2i cond key length 53 → short, uncond 140 → long; edit cond exactly 64 → short
        assertFalse(c.usesLongFactors(53));
        assertFalse(c.usesLongFactors(64));
        assertTrue(c.usesLongFactors(65));
        assertTrue(c.usesLongFactors(140));
    }

    @Test
    void omniGenV1ScaleIsSqrtSeventeenTwelfths() {
        List<Double> f = Collections.nCopies(48, 1.0);
        Phi3Config c = new Phi3Config(3072, 32, 32, 32, 8192, 32064, 1e-5, 10000.0, "silu", 131072, 4096,
                RopeScaling.longRope(f, f));
        assertEquals(96, c.headDim());
        assertEquals(1.1902380714238083, c.ropeAttentionScale(), 1e-15);
        assertEquals(Math.sqrt(17.0 / 12.0), c.ropeAttentionScale(), 1e-15);
    }

    @Test
    void noRopeScalingMeansScaleOneAndShortFactorsNever() throws IOException {
        Path p = variant(n -> n.putNull("rope_scaling"));
        Phi3Config c = Phi3Config.read(p);
        assertNull(c.ropeScaling());
        assertEquals(1.0, c.ropeAttentionScale());
        assertFalse(c.usesLongFactors(100_000));
        Phi3Config absent = Phi3Config.read(variant(n -> n.remove("rope_scaling")));
        assertEquals(c, absent);
    }

    @Test
    void scaleIsOneWhenMaxDoesNotExceedOriginal() throws IOException {
        Phi3Config c = Phi3Config.read(variant(n -> n.put("max_position_embeddings", 64)));
        assertEquals(1.0, c.ropeAttentionScale());
    }

    @Test
    void jsonRoundTripUsesConfigFieldNames() throws IOException {
        Phi3Config c = Phi3Config.readFromCheckpoint(Fixtures.model("tiny-omnigen-a"));
        ObjectNode j = c.toJson();
        assertEquals(64, j.get("hidden_size").intValue());
        assertEquals("su", j.get("rope_scaling").get("type").textValue());
        assertEquals(8, j.get("rope_scaling").get("short_factor").size());
        assertFalse(j.has("head_dim"), "derived values are not serialised");
        assertFalse(j.has("headDim"));
        assertEquals(12, j.size(), j.toString());
        assertEquals(c, Phi3Config.fromJson(j, "manifest"));
        assertEquals(c, Phi3Config.fromJson(JSON.readTree(JSON.writeValueAsString(c)), "manifest"));

        Phi3Config none = Phi3Config.read(variant(n -> n.putNull("rope_scaling")));
        assertTrue(none.toJson().get("rope_scaling").isNull());
        assertEquals(none, Phi3Config.fromJson(none.toJson(), "manifest"));
    }

    @Test
    void kvHeadsDefaultToAttentionHeads() throws IOException {
        assertEquals(4, Phi3Config.read(variant(n -> n.remove("num_key_value_heads"))).numKeyValueHeads());
        assertEquals(2, Phi3Config.read(variant(n -> n.put("num_key_value_heads", 2))).numKeyValueHeads());
        assertError(variant(n -> n.put("num_key_value_heads", 3)), "num_key_value_heads",
                "must be positive and divide num_attention_heads 4, got 3");
    }

    @Test
    void ropeTypeLongropeAndRopeTypeKeyAreAccepted() throws IOException {
        assertEquals("longrope", Phi3Config.read(variant(n -> rope(n).put("type", "longrope"))).ropeScaling().type());
        Phi3Config c = Phi3Config.read(variant(n -> {
            rope(n).remove("type");
            rope(n).put("rope_type", "longrope");
        }));
        assertEquals("longrope", c.ropeScaling().type());
    }

    @Test
    void unsupportedRopeTypesAreErrorsNamingTheField() throws IOException {
        for (String t : List.of("yarn", "linear", "dynamic", "default")) {
            assertError(variant(n -> rope(n).put("type", t)), "rope_scaling.type",
                    "\"" + t + "\" is not supported; only LongRoPE");
        }
        assertError(variant(n -> {
            rope(n).remove("type");
            rope(n).put("rope_type", "yarn");
        }), "rope_scaling.rope_type", "\"yarn\" is not supported");
        assertError(variant(n -> rope(n).remove("type")), "rope_scaling.type", "is required but missing");
        assertError(variant(n -> rope(n).put("factor", 2.0)), "rope_scaling.factor", "is not supported");
        assertError(variant(n -> rope(n).put("rope_type", "longrope")), "rope_scaling.rope_type", "contradicts type \"su\"");
        assertError(variant(n -> n.put("rope_scaling", "su")), "rope_scaling", "must be an object or null");
    }

    @Test
    void wrongFactorCountIsAnError() throws IOException {
        assertError(variant(n -> ((ArrayNode) rope(n).get("short_factor")).remove(0)), "rope_scaling.short_factor",
                "must have head_dim/2 = 8 entries, got 7");
        assertError(variant(n -> ((ArrayNode) rope(n).get("long_factor")).add(30.0)), "rope_scaling.long_factor",
                "must have head_dim/2 = 8 entries, got 9");
        assertError(variant(n -> ((ArrayNode) rope(n).get("long_factor")).set(3, JSON.getNodeFactory().numberNode(-1.0))),
                "rope_scaling.long_factor[3]", "must be a positive number");
        assertError(variant(n -> ((ArrayNode) rope(n).get("long_factor")).set(3, JSON.getNodeFactory().textNode("x"))),
                "rope_scaling.long_factor[3]", "must be a number");
        assertError(variant(n -> rope(n).remove("long_factor")), "rope_scaling.long_factor", "is required but missing");
    }

    @Test
    void missingFileIsAnError() {
        Path missing = dir.resolve("nowhere").resolve("config.json");
        ConfigException e = assertThrows(ConfigException.class, () -> Phi3Config.read(missing));
        assertTrue(e.getMessage().startsWith(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertNull(e.field());
    }

    @Test
    void badJsonIsAnError() throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, "{\"hidden_size\": 64,");
        ConfigException e = assertThrows(ConfigException.class, () -> Phi3Config.read(p));
        assertTrue(e.getMessage().contains("is not valid JSON"), e.getMessage());
        Files.writeString(p, "[1]");
        ConfigException e2 = assertThrows(ConfigException.class, () -> Phi3Config.read(p));
        assertTrue(e2.getMessage().contains("must hold a JSON object"), e2.getMessage());
    }

    @Test
    void missingRequiredFieldsAreErrors() throws IOException {
        for (String f : List.of("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "vocab_size", "rms_norm_eps", "rope_theta", "hidden_act", "max_position_embeddings",
                "original_max_position_embeddings")) {
            assertError(variant(n -> n.remove(f)), f, "is required but missing");
            assertError(variant(n -> n.putNull(f)), f, "is required but missing");
        }
    }

    @Test
    void nonSiluActivationIsAnError() throws IOException {
        assertError(variant(n -> n.put("hidden_act", "gelu")), "hidden_act", "must be \"silu\"");
    }

    @Test
    void shapeRulesAreEnforced() throws IOException {
        assertError(variant(n -> n.put("num_attention_heads", 5)), "num_attention_heads",
                "must be positive and divide hidden_size 64, got 5");
        assertError(variant(n -> {
            n.put("hidden_size", 60);
            n.put("num_attention_heads", 4);
        }), "num_attention_heads", "odd head_dim 15");
        assertError(variant(n -> n.put("hidden_size", 64.5)), "hidden_size", "must be an integer, got 64.5");
        assertError(variant(n -> n.put("rms_norm_eps", 0)), "rms_norm_eps", "must be a positive number");
        assertError(variant(n -> n.put("rope_theta", "10000")), "rope_theta", "must be a number");
        assertError(variant(n -> n.put("model_type", "llama")), "model_type", "must be \"phi3\"");
        assertError(variant(n -> n.put("original_max_position_embeddings", 1)), "original_max_position_embeddings",
                "must be at least 2 with LongRoPE");
    }

    @Test
    void constructorRejectsInvalidValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Phi3Config(64, 2, 4, 4,
                128, 32064, 1e-5, 10000, "relu", 4096, 64, null));
        assertTrue(e.getMessage().contains("field 'hidden_act'"), e.getMessage());
    }

    private static ObjectNode rope(ObjectNode n) {
        return (ObjectNode) n.get("rope_scaling");
    }

    private Path variant(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(Fixtures.model("tiny-omnigen-a").resolve("config.json").toFile());
        edit.accept(n);
        Path d = Files.createTempDirectory(dir, "cfg");
        Path p = d.resolve("config.json");
        JSON.writeValue(p.toFile(), n);
        return p;
    }

    private static void assertError(Path p, String field, String detail) {
        ConfigException e = assertThrows(ConfigException.class, () -> Phi3Config.read(p));
        assertEquals(field, e.field(), e.getMessage());
        assertEquals(p.toString(), e.source());
        assertTrue(e.getMessage().startsWith(p + ": field '" + field + "' "), e.getMessage());
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in: " + e.getMessage());
    }
}
