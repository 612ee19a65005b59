package io.omnigen4j.sdk.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RotaryTablesTest {

    /** Builds the tables from a Phi-3 config.json (test-side; the SDK's config reader is elsewhere). */
    static RotaryTables fromConfig(JsonNode config) {
        int heads = config.get("num_attention_heads").asInt();
        int headDim = config.get("hidden_size").asInt() / heads;
        double theta = config.get("rope_theta").asDouble();
        JsonNode rs = config.get("rope_scaling");
        if (rs == null || rs.isNull()) {
            return RotaryTables.plain(headDim, theta);
        }
        return new RotaryTables(headDim, theta, floats(rs.get("short_factor")), floats(rs.get("long_factor")),
                config.get("original_max_position_embeddings").asInt(), config.get("max_position_embeddings").asInt());
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    private static RotaryTables tiny() throws IOException {
        return fromConfig(new ObjectMapper().readTree(
                Fixtures.model("tiny-omnigen-a").resolve("config.json").toFile()));
    }

    @Test
    void factorChoiceIsStrictlyGreaterThanOriginalMax() throws IOException {
        RotaryTables r = tiny();
        assertFalse(r.useLongFactors(53));
        assertFalse(r.useLongFactors(64)); // edit: cond key length exactly 64 → short
        assertTrue(r.useLongFactors(65));
        assertTrue(r.useLongFactors(140));
        assertFalse(RotaryTables.plain(16, 10000).useLongFactors(1 << 20));
    }

    @Test
    void attentionScale() throws IOException {
        assertEquals(Math.sqrt(2), tiny().attentionScale(), 1e-15); // 4096/64: sqrt(1 + ln 64 / ln 64)
        // OmniGen-v1 (spec §5.6): sqrt(1 + ln 32 / ln 4096) = sqrt(17/12)
        RotaryTables phi = new RotaryTables(96, 10000, ones(48), ones(48), 4096, 131072);
        assertEquals(1.1902380714238083, phi.attentionScale(), 1e-15);
        assertEquals(1.0, new RotaryTables(16, 10000, ones(8), ones(8), 64, 64).attentionScale());
        assertEquals(1.0, RotaryTables.plain(16, 10000).attentionScale());
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, 1f);
        return f;
    }

    @Test
    void positionZeroGivesScaleAndZero() throws IOException {
        RotaryTables r = tiny();
        for (boolean lf : new boolean[] {false, true}) {
            CosSin t = r.compute(new long[] {0, 0}, 2, 1, lf);
            for (int j = 0; j < 8; j++) {
                assertEquals((float) Math.sqrt(2), t.cos()[j], 0f);
                assertEquals(0f, t.sin()[j], 0f);
            }
        }
        CosSin plain = RotaryTables.plain(16, 10000).compute(new long[] {0}, 1, 1, 1000);
        assertEquals(1f, plain.cos()[0], 0f);
    }

    @Test
    void valuesFollowTheFormula() throws IOException {
        RotaryTables r = tiny();
        long[] pos = {0, 1, 7, 63, 139};
        CosSin t = r.compute(pos, 1, pos.length, 140);
        assertTrue(t.longFactors());
        float[] ext = r.factors(true);
        for (int p = 0; p < pos.length; p++) {
            for (int j = 0; j < 8; j++) {
                double inv = 1.0 / (ext[j] * Math.pow(10000, 2.0 * j / 16));
                double angle = inv * pos[p];
                assertEquals(Math.cos(angle) * Math.sqrt(2), t.cos()[p * 8 + j], 2e-6 * Math.max(1, pos[p] * inv));
                assertEquals(Math.sin(angle) * Math.sqrt(2), t.sin()[p * 8 + j], 2e-6 * Math.max(1, pos[p] * inv));
            }
        }
        // factor 1 for short_factor[0] = 1.0: inv_0 = 1 exactly
        assertEquals(1f, r.inverseFrequencies(false)[0], 0f);
        assertEquals((float) (1 / 1.02), r.inverseFrequencies(true)[0], 1e-7f);
    }

    @Test
    void choiceByKeyLengthAndFullLayout() throws IOException {
        RotaryTables r = tiny();
        long[] pos = {3, 9};
        assertArrayEquals(r.compute(pos, 2, 1, true).cos(), r.compute(pos, 2, 1, 65).cos());
        assertArrayEquals(r.compute(pos, 2, 1, false).sin(), r.compute(pos, 2, 1, 64).sin());
        CosSin t = r.compute(pos, 1, 2, 100);
        float[] full = t.cosFull();
        assertEquals(2 * 16, full.length);
        for (int row = 0; row < 2; row++) {
            for (int j = 0; j < 8; j++) {
                assertEquals(t.cos()[row * 8 + j], full[row * 16 + j], 0f);
                assertEquals(t.cos()[row * 8 + j], full[row * 16 + 8 + j], 0f);
            }
        }
    }

    @Test
    void rejectsBadConfig() {
        assertThrows(IllegalArgumentException.class, () -> RotaryTables.plain(15, 10000));
        assertThrows(IllegalArgumentException.class, () -> new RotaryTables(16, 10000, ones(8), null, 64, 4096));
        assertThrows(IllegalArgumentException.class, () -> new RotaryTables(16, 10000, ones(7), ones(8), 64, 4096));
        assertThrows(IllegalArgumentException.class, () -> RotaryTables.plain(16, 10000).compute(new long[3], 1, 2, 5));
    }
}
