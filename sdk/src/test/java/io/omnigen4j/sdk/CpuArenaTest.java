package io.omnigen4j.sdk;

import io.omnigen4j.sdk.runtime.ModelSessions;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.model.ModelManifest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU memory arena setting: AUTO by model size, and the same images with and without the arena. */
class CpuArenaTest {

    @Test
    void autoKeepsTheArenaForSmallModelsOnly() {
        assertEquals(RuntimeOptions.CpuArena.AUTO, RuntimeOptions.defaults().cpuArena());
        long limit = RuntimeOptions.Builder.LARGE_MODEL_BYTES;
        assertTrue(RuntimeOptions.CpuArena.AUTO.enabledFor(limit));
        assertFalse(RuntimeOptions.CpuArena.AUTO.enabledFor(limit + 1));
        assertTrue(RuntimeOptions.CpuArena.ON.enabledFor(Long.MAX_VALUE));
        assertFalse(RuntimeOptions.CpuArena.OFF.enabledFor(0));
        assertThrows(NullPointerException.class, () -> RuntimeOptions.builder().cpuArena(null));
    }

    @Test
    void transformerWeightBytesCountTheDecoderDataFiles() throws Exception {
        ModelManifest m = ModelManifest.read(TinyModel.folder());
        long bytes = ModelSessions.transformerWeightBytes(m);
        long expected = m.files().stream().filter(f -> f.path().equals("transformer.weights"))
                .mapToLong(ModelManifest.FileEntry::bytes).sum();
        assertTrue(expected > 0);
        assertEquals(expected, bytes);
    }

    @Test
    void imagesAreIdenticalWithAndWithoutTheArena() throws Exception {
        GenerationRequest req = GenerationRequest.builder().prompt("an arena test").size(64, 64).steps(2).seed(5)
                .build();
        byte[] on;
        byte[] off;
        try (OmniGen og = OmniGen.load(TinyModel.folder(), RuntimeOptions.builder()
                .cpuArena(RuntimeOptions.CpuArena.ON).conditionCacheEntries(0).build())) {
            on = og.generate(req).image().toByteArray();
        }
        try (OmniGen og = OmniGen.load(TinyModel.folder(), RuntimeOptions.builder()
                .cpuArena(RuntimeOptions.CpuArena.OFF).conditionCacheEntries(0).build())) {
            off = og.generate(req).image().toByteArray();
        }
        assertArrayEquals(on, off);
    }
}
