package io.omnigen4j.samples.scripts;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code scripts/gpu-check.sh} on a machine without a GPU (CI): it must stop in seconds with a list of what is
 * missing and write nothing, and {@code --dry-run} must show the commands it would run. Skipped where bash is absent.
 */
class GpuCheckScriptTest {

    private static Path script;
    private static String bash;

    @TempDir
    Path tmp;

    @BeforeAll
    static void locate() {
        bash = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "bash")).filter(Files::isExecutable).map(Path::toString).findFirst().orElse(null);
        assumeTrue(bash != null, "bash is not installed");
        // Tests run in the samples module folder; the script is in the repository's scripts/.
        script = Path.of("").toAbsolutePath().getParent().resolve("scripts/gpu-check.sh");
        assertTrue(Files.isRegularFile(script), "missing " + script);
    }

    record Result(int exit, String out, String err) {
    }

    /** Runs the script with {@code path} as PATH (and LD_LIBRARY_PATH pointing at an empty folder). */
    private Result run(String path, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bash, script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("PATH", path);
        Path noLibs = Files.createDirectories(tmp.resolve("no-libs"));
        pb.environment().put("LD_LIBRARY_PATH", noLibs.toString());
        pb.environment().putAll(env);
        Path out = tmp.resolve("stdout.txt");
        Path err = tmp.resolve("stderr.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("gpu-check.sh did not finish within 120 s");
        }
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(s < 60, "took " + s + " s: the checks must come before any long work");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /** The caller's PATH without any folder that holds an nvidia-smi. */
    private static String pathWithoutNvidiaSmi() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
                .filter(d -> !Files.exists(Path.of(d, "nvidia-smi"))).collect(Collectors.joining(File.pathSeparator));
    }

    /** A folder with a fake nvidia-smi that reports one GPU whose driver supports CUDA {@code cuda}. */
    private Path fakeNvidiaSmi(String cuda) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("fake-driver"));
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\n"
                + "case \"$*\" in\n"
                + "  *--query-gpu*) echo '0, NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB' ;;\n"
                + "  *) echo '| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: " + cuda + "     |' ;;\n"
                + "esac\n");
        assertTrue(smi.toFile().setExecutable(true));
        return dir;
    }

    private static boolean loaderHasCudnn() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "ldconfig -p 2>/dev/null | grep -q libcudnn.so.9 || "
                + "/sbin/ldconfig -p 2>/dev/null | grep -q libcudnn.so.9").start();
        return p.waitFor() == 0;
    }

    @Test
    void bashSyntaxIsValid() throws Exception {
        Process p = new ProcessBuilder(bash, "-n", script.toString()).redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), msg);
    }

    @Test
    void withoutAGpuItStopsAtOnceNamingWhatIsMissingAndWritesNothing() throws Exception {
        Path out = tmp.resolve("results");
        Result r = run(pathWithoutNvidiaSmi(), Map.of(), "--out", out.toString(), "--skip-real");
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("this machine cannot run the GPU check"), r.err());
        assertTrue(r.err().contains("nvidia-smi is not on the PATH"), r.err());
        assertTrue(r.err().contains("Running on a GPU"), r.err());
        assertFalse(r.out().contains("[build]") || r.out().contains("mvn -B"), r.out());
        assertFalse(Files.exists(out), "results folder created although nothing ran");
    }

    @Test
    void aGpuWithoutCudaLibrariesNamesEachLibrary() throws Exception {
        assumeFalse(loaderHasCudnn(), "this machine has cuDNN 9 installed");
        Path fake = fakeNvidiaSmi("12.4");
        Result r = run(fake + File.pathSeparator + pathWithoutNvidiaSmi(), Map.of(), "--skip-real",
                "--out", tmp.resolve("results").toString());
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.out().contains("GPU(s): 0, NVIDIA H100"), r.out());
        assertFalse(r.err().contains("nvidia-smi is not on the PATH"), r.err());
        assertTrue(r.err().contains("libcudnn.so.9"), r.err());
        assertTrue(r.err().contains("libcudart.so.12"), r.err());
        assertTrue(r.err().contains("libcublasLt.so.12"), r.err());
    }

    @Test
    void aDriverOlderThanCuda12IsNamed() throws Exception {
        Path fake = fakeNvidiaSmi("11.8");
        Result r = run(fake + File.pathSeparator + pathWithoutNvidiaSmi(), Map.of(), "--skip-real",
                "--out", tmp.resolve("results").toString());
        assertEquals(3, r.exit(), r.err());
        assertTrue(r.err().contains("supports CUDA 11.8 at most"), r.err());
    }

    @Test
    void dryRunPrintsTheCommandsAndRunsNothing() throws Exception {
        Path out = tmp.resolve("results");
        Path fixtures = Files.createDirectories(tmp.resolve("fixtures"));
        Result r = run(pathWithoutNvidiaSmi(), Map.of(), "--dry-run", "--out", out.toString(), "--steps", "7",
                "--device", "1", "--fixtures", fixtures.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("nvidia-smi is not on the PATH"), r.err());   // still reported
        String o = r.out();
        assertTrue(o.contains("[build] mvn") && o.contains("-Pgpu"), o);
        assertTrue(o.contains("[cuda-smoke]") && o.contains("--provider cuda:1"), o);
        assertTrue(o.contains("[bench]") && o.contains("--size 1024") && o.contains("--steps 7"), o);
        assertTrue(o.contains("[real]") && o.contains("--spec real"), o);
        assertTrue(o.contains("[traffic] nvidia-smi dmon"), o);
        assertTrue(o.contains("[conformance]") && o.contains("--fixtures " + fixtures), o);
        assertFalse(Files.exists(out), "a dry run wrote the results folder");

        Result skip = run(pathWithoutNvidiaSmi(), Map.of(), "--dry-run", "--skip-real", "--out", out.toString());
        assertEquals(0, skip.exit(), skip.err());
        assertFalse(skip.out().contains("[real]"), skip.out());
        assertTrue(skip.out().contains("[bench]") && skip.out().contains("--steps 50"), skip.out());
    }

    @Test
    void badArgumentsExitWithTwo() throws Exception {
        Result r = run(pathWithoutNvidiaSmi(), Map.of(), "--steps", "0");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--steps must be a whole number"), r.err());
        Result u = run(pathWithoutNvidiaSmi(), Map.of(), "--frobnicate");
        assertEquals(2, u.exit(), u.err());
        assertTrue(u.err().contains("unknown option '--frobnicate'"), u.err());
    }
}
