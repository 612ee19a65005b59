package io.omnigen4j.sdk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvCacheAdviceTest {

    /** OmniGen-v1 (32 layers, 32 × 96) keeps 786 432 bytes per condition token: a 1024² edit's two image branches. */
    @Test
    void kvBytesOfTheRealModel() {
        assertEquals(786_432L, KvCacheAdvice.kvBytes(32, 32, 96, 1));
        assertEquals(6_546_259_968L, KvCacheAdvice.kvBytes(32, 32, 96, 4162 * 2));
    }

    @Test
    void warnsOnlyAboveHalfOfTheAvailableMemory() {
        assertEquals(Optional.empty(), KvCacheAdvice.warning(4_000_000_000L, 8_000_000_000L));
        String w = KvCacheAdvice.warning(6_546_259_968L, 8_000_000_000L).orElseThrow();
        assertTrue(w.contains("about 6.5 GB and 8.0 GB") && w.contains("kvCache(false)")
                && w.contains("--kv-cache off"), w);
        assertEquals(Optional.empty(), KvCacheAdvice.warning(1, 0), "unknown availability: no advice");
    }

    @Test
    void readsMemAvailableAndToleratesOtherFormats(@TempDir Path tmp) throws Exception {
        Path meminfo = tmp.resolve("meminfo");
        Files.writeString(meminfo, "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n");
        assertEquals(OptionalLong.of(20_000_000L * 1024), KvCacheAdvice.availableBytes(meminfo));
        Files.writeString(meminfo, "MemAvailable: lots\n");
        assertEquals(OptionalLong.empty(), KvCacheAdvice.availableBytes(meminfo));
        assertEquals(OptionalLong.empty(), KvCacheAdvice.availableBytes(tmp.resolve("missing")));
    }
}
