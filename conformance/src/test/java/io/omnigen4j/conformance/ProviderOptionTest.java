package io.omnigen4j.conformance;

import io.omnigen4j.sdk.runtime.ExecutionProvider;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --provider}: parsed, passed to the model load, and (this build has the CPU runtime) CUDA fails clearly. */
class ProviderOptionTest {

    @Test
    void anUnknownProviderIsAUsageError() {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            exit = ConformanceCommand.execute("--fixtures", FixtureFiles.shared().toString(), "--provider", "tpu");
        } finally {
            System.setErr(old);
        }
        assertEquals(2, exit);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("unknown execution provider 'tpu'"), buf::toString);
    }

    @Test
    void cudaReachesTheModelLoadAndFailsTheCaseNamingTheCpuJar() {
        RunOptions o = RunOptions.of(FixtureFiles.shared()).withCases(List.of("t2i"))
                .withProvider(ExecutionProvider.cuda(0));
        assertEquals(ExecutionProvider.cuda(0), o.withThreads(1).withStages(List.of("step")).provider(),
                "the withers keep the provider");
        Report r = ConformanceRunner.run(o);
        assertEquals(false, r.allPassed());
        assertTrue(r.toTable().contains("CPU build"), r.toTable());
    }
}
