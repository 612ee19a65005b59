package io.omnigen4j.sdk.prompt;

import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DJL's library load through the SDK: no JVM-wide property is left behind, the CPU flavour is chosen on a machine
 * that looks like a CUDA machine, and DJL's "Failed to detect GPU count" warning does not appear where a CUDA
 * runtime without a working driver is installed. The last two run in fresh JVMs with a fake {@code libcudart.so}
 * (built with the system C compiler; skipped without one) found first through {@code jna.library.path}.
 */
class DjlNativeTest {

    private static final String GPU_WARNING = "Failed to detect GPU count";

    @TempDir
    Path tmp;

    private static Path tokenizer() throws IOException {
        return Fixtures.model("tiny-omnigen-a").resolve("tokenizer.json");
    }

    @Test
    void loadingLeavesTheSystemPropertiesAsTheyWere() throws Exception {
        String flavor = System.getProperty(DjlNative.FLAVOR);
        String optOut = System.getProperty(DjlNative.OPT_OUT);
        try (PromptTokenizer t = PromptTokenizer.open(tokenizer())) {
            assertTrue(t.encode("a cat").length > 1);
        }
        assertEquals(flavor, System.getProperty(DjlNative.FLAVOR));
        assertEquals(optOut, System.getProperty(DjlNative.OPT_OUT));
    }

    @Test
    void withPropertySetsOnlyForTheBodyAndRespectsTheUser() throws Exception {
        String name = "omnigen4j.test." + System.nanoTime();
        assertEquals("x", DjlNative.withProperty(name, "x", () -> System.getProperty(name)));
        assertNull(System.getProperty(name));
        assertThrows(IllegalStateException.class, () -> DjlNative.withProperty(name, "x", () -> {
            throw new IllegalStateException("boom");
        }));
        assertNull(System.getProperty(name), "restored after a failure too");
        System.setProperty(name, "user");
        try {
            assertEquals("user", DjlNative.withProperty(name, "x", () -> System.getProperty(name)));
            assertEquals("user", System.getProperty(name));
        } finally {
            System.clearProperty(name);
        }
    }

    @Test
    void djlStillHasTheLoggingSwitchTheSdkTurnsOff() {
        Boolean before = DjlNative.cudaLogging(false);
        assertNotNull(before, "ai.djl.util.cuda.CudaUtils.logging is gone: after a DJL upgrade, find another way to"
                + " keep the GPU probe quiet (see DjlNative)");
        assertEquals(Boolean.FALSE, DjlNative.cudaLogging(before));
    }

    @Test
    void noGpuWarningWhereCudaIsInstalledWithoutADriver() throws Exception {
        Path lib = fakeCudart("broken");
        Run plain = probe("plain", lib, Map.of());
        assertTrue(plain.err.contains(GPU_WARNING), "the control must reproduce DJL's warning:\n" + plain.err);
        Run sdk = probe("sdk", lib, Map.of());
        assertFalse(sdk.err.contains(GPU_WARNING), sdk.err);
        assertTrue(sdk.out.contains("RUST_FLAVOR=null"), sdk.out);
        assertTrue(sdk.out.contains("OPT_OUT_TRACKING=null"), sdk.out);
        assertEquals(line(plain.out, "ids="), line(sdk.out, "ids="));
    }

    @Test
    void cpuLibraryOnAMachineThatLooksLikeACudaMachine() throws Exception {
        Path lib = fakeCudart("gpu");
        Path cache = tmp.resolve("djl-cache");
        Run sdk = probe("sdk", lib, Map.of("DJL_CACHE_DIR", cache.toString()));
        assertTrue(sdk.out.contains("RUST_FLAVOR=null"), sdk.out);
        List<String> flavours = new ArrayList<>();
        try (Stream<Path> s = Files.list(cache.resolve("tokenizers"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("tmp")).forEach(flavours::add);
        }
        assertEquals(1, flavours.size(), flavours.toString());
        assertTrue(flavours.get(0).contains("-cpu-"), "DJL extracted " + flavours.get(0) + ", not the CPU library");
    }

    private record Run(String out, String err) {
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("");
    }

    /**
     * A libcudart.so whose cudaGetDeviceCount fails as without a driver ({@code broken}: error 35) or reports one
     * CUDA 12.2 GPU of compute capability 8.0 ({@code gpu}).
     */
    private Path fakeCudart(String mode) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "fake libcudart.so is Linux-only");
        Path dir = Files.createDirectories(tmp.resolve("cudart-" + mode));
        boolean gpu = mode.equals("gpu");
        Path c = dir.resolve("cudart.c");
        Files.writeString(c, String.join("\n",
                "int cudaGetDeviceCount(int *n) { *n = " + (gpu ? 1 : 0) + "; return " + (gpu ? 0 : 35) + "; }",
                "const char *cudaGetErrorString(int e) { return \"CUDA driver version is insufficient\"; }",
                "int cudaRuntimeGetVersion(int *v) { *v = 12020; return 0; }",
                "int cudaDeviceGetAttribute(int *v, int a, int d) { *v = a == 75 ? 8 : 0; return 0; }",
                ""));
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-o", dir.resolve("libcudart.so").toString(),
                    c.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no C compiler (cc) to build the fake libcudart.so: " + e.getMessage());
            throw e;
        }
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, ccOut);
        return dir;
    }

    private static Run probe(String mode, Path cudartDir, Map<String, String> props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djna.library.path=" + cudartDir);
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DjlLoadProbe.class.getName());
        cmd.add(mode);
        cmd.add(tokenizer().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(DjlNative.FLAVOR);
        pb.environment().remove(DjlNative.OPT_OUT);
        Path err = Files.createTempFile("djl-probe", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
            String errText = Files.readString(err);
            assertEquals(0, p.exitValue(), out + errText);
            return new Run(out, errText);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
