package io.omnigen4j.sdk;

import ai.onnxruntime.OrtException;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.ProviderUnavailableException;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ExecutionProvider#parse} and CUDA with the CPU runtime jar (what the build has): a clear
 * {@link ProviderUnavailableException} naming the cause and the fix, or, with {@code fallbackToCpu}, a logged
 * warning and a working CPU model.
 */
class ExecutionProviderTest {

    @Test
    void parse() {
        assertEquals(ExecutionProvider.CPU, ExecutionProvider.parse("cpu"));
        assertEquals(ExecutionProvider.CPU, ExecutionProvider.parse(" CPU "));
        assertEquals(ExecutionProvider.cuda(0), ExecutionProvider.parse("cuda"));
        assertEquals(ExecutionProvider.cuda(0), ExecutionProvider.parse("CUDA:0"));
        assertEquals(new ExecutionProvider(ExecutionProvider.Kind.CUDA, 3), ExecutionProvider.parse("cuda:3"));
        for (ExecutionProvider p : new ExecutionProvider[] {ExecutionProvider.CPU, ExecutionProvider.cuda(2)}) {
            assertEquals(p, ExecutionProvider.parse(p.toString()), "toString round trip");
        }
        assertEquals("cuda:2", ExecutionProvider.cuda(2).toString());
    }

    @Test
    void parseRejectsWithTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecutionProvider.parse("gpu"));
        assertTrue(e.getMessage().contains("'gpu'") && e.getMessage().contains("cpu, cuda or cuda:N"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.parse("cuda:x"));
        assertTrue(e.getMessage().contains("cuda:x") && e.getMessage().contains("cuda:0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.parse("cuda:-1"));
        assertTrue(e.getMessage().contains("≥ 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.parse(""));
        assertThrows(IllegalArgumentException.class, () -> ExecutionProvider.cuda(-1));
    }

    @Test
    void runtimeOptionsValidate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.builder().intraOpThreads(-1).build());
        assertTrue(e.getMessage().contains("intraOpThreads"));
        RuntimeOptions d = RuntimeOptions.defaults();
        assertEquals(ExecutionProvider.CPU, d.provider());
        assertEquals(false, d.fallbackToCpu());
    }

    @Test
    void cudaWithTheCpuJarFailsWithCauseAndFix() throws Exception {
        RuntimeOptions cuda = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).build();
        ProviderUnavailableException e = assertThrows(ProviderUnavailableException.class,
                () -> OmniGen.load(TinyModel.folder(), cuda));
        String m = e.getMessage();
        assertTrue(m.contains("CUDA was requested"), m);
        assertTrue(m.contains("CPU build"), m);
        assertTrue(m.contains("omnigen4j-sdk-gpu"), m);
        assertInstanceOf(OrtException.class, e.getCause());
        String cause = e.getCause().getMessage();
        assertTrue(cause.contains("Failed to find CUDA shared provider"), cause);
    }

    @Test
    void cudaWithFallbackLoadsOnCpuAndWarns() throws Exception {
        RuntimeOptions cuda = RuntimeOptions.builder().provider(ExecutionProvider.cuda(0)).fallbackToCpu(true).build();
        // slf4j-simple writes to the current System.err (not cached by default).
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        OmniGen omnigen;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            omnigen = OmniGen.load(TinyModel.folder(), cuda);
        } finally {
            System.setErr(original);
        }
        try (omnigen) {
            assertEquals(ExecutionProvider.CPU, omnigen.provider());
            String log = captured.toString(StandardCharsets.UTF_8);
            assertTrue(log.contains("WARN") && log.contains("CPU build") && log.contains("Falling back to the CPU"),
                    "expected a fallback warning, got: " + log);
            GenerationResult r = omnigen.generate(GenerationRequest.builder().prompt("a cat").size(32, 32).steps(2)
                    .seed(1).build());
            assertEquals(32, r.image().width());
        }
    }

    @Test
    void cpuProviderIsReported() throws Exception {
        try (OmniGen omnigen = OmniGen.load(TinyModel.folder())) {
            assertEquals(ExecutionProvider.CPU, omnigen.provider());
        }
    }
}
