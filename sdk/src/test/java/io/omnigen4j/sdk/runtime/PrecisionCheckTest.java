package io.omnigen4j.sdk.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What loading a model of each precision on each provider says before ONNX Runtime is asked to. */
class PrecisionCheckTest {

    @Test
    void bf16OnTheCpuIsAnErrorNamingTheFix() {
        ProviderUnavailableException e = assertThrows(ProviderUnavailableException.class,
                () -> ModelSessions.precisionCheck("bf16", ExecutionProvider.CPU, false));
        for (String part : new String[] {"--precision bf16", "no bfloat16 MatMul", "ORT_NOT_IMPLEMENTED",
                "Export with --precision fp32/int8 for the CPU, or use the CUDA provider"}) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
        assertTrue(!e.getMessage().contains("fell back"), e.getMessage());
        ProviderUnavailableException fallback = assertThrows(ProviderUnavailableException.class,
                () -> ModelSessions.precisionCheck("bf16", ExecutionProvider.CPU, true));
        assertTrue(fallback.getMessage().contains("CUDA was requested but unavailable"), fallback.getMessage());
    }

    @Test
    void fp16OnTheCpuIsAWarning() throws Exception {
        String w = ModelSessions.precisionCheck("fp16", ExecutionProvider.CPU, false);
        assertTrue(w != null && w.contains("--precision fp16") && w.contains("slowly")
                && w.contains("use the CUDA provider"), w);
    }

    @Test
    void nothingToSayOtherwise() throws Exception {
        for (String p : new String[] {null, "fp32", "int8", "int4"}) {
            assertNull(ModelSessions.precisionCheck(p, ExecutionProvider.CPU, false), p);
        }
        for (String p : new String[] {"fp32", "int8", "int4", "fp16", "bf16"}) {
            assertNull(ModelSessions.precisionCheck(p, ExecutionProvider.cuda(0), false), p);
        }
    }
}
