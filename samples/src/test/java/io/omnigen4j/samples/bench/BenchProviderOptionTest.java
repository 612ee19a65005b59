package io.omnigen4j.samples.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --provider}: checked before anything is written, and passed to the model load. */
class BenchProviderOptionTest {

    @TempDir
    Path tmp;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchmarkCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return new String[]{String.valueOf(cl.execute(args)), out.toString(), err.toString()};
    }

    @Test
    void anUnknownProviderIsRejectedBeforeAnythingIsWritten() {
        Path dir = tmp.resolve("bench");
        String[] r = run("--dir", dir.toString(), "--spec", "tiny", "--quick", "--provider", "tpu");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("--provider: unknown execution provider 'tpu'"), r[2]);
        assertFalse(Files.exists(dir), "the bench folder was created before the options were checked");
    }

    @Test
    void cudaReachesTheModelLoad() {
        // This build has the CPU runtime: the CUDA provider cannot start, and the SDK says why (no fallback).
        String[] r = run("--dir", tmp.resolve("bench").toString(), "--spec", "tiny", "--quick", "--runs", "1",
                "--provider", "cuda:0");
        assertEquals("1", r[0], r[2]);
        assertTrue(r[2].contains("CUDA was requested but the ONNX Runtime jar on the classpath is the CPU build"),
                r[2]);
    }
}
