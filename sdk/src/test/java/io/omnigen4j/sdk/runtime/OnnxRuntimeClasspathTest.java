package io.omnigen4j.sdk.runtime;

import io.omnigen4j.sdk.OmniGenException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two-runtime check, with fake jars laid out like ONNX Runtime's (its entry class and the native libraries that
 * tell the CPU build from the CUDA one): no real onnxruntime_gpu is needed.
 */
class OnnxRuntimeClasspathTest {

    @TempDir
    Path dir;

    /** A jar with ONNX Runtime's entry class and the given native entries (a few bytes each). */
    private Path fakeRuntime(String name, String... natives) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os)) {
            jos.putNextEntry(new JarEntry(OnnxRuntimeClasspath.MARKER));
            jos.write(new byte[]{(byte) 0xCA, (byte) 0xFE});
            for (String n : natives) {
                jos.putNextEntry(new JarEntry("ai/onnxruntime/native/" + n));
                jos.write(1);
            }
        }
        return jar;
    }

    private Path cpuJar() throws IOException {
        return fakeRuntime("onnxruntime-1.29.0.jar", "linux-x64/libonnxruntime.so",
                "linux-x64/libonnxruntime4j_jni.so");
    }

    private Path gpuJar() throws IOException {
        return fakeRuntime("onnxruntime_gpu-1.29.0.jar", "linux-x64/libonnxruntime.so",
                "linux-x64/libonnxruntime_providers_cuda.so", "win-x64/onnxruntime_providers_cuda.dll");
    }

    private static URLClassLoader loader(Path... entries) throws IOException {
        URL[] urls = new URL[entries.length];
        for (int i = 0; i < entries.length; i++) {
            urls[i] = entries[i].toUri().toURL();
        }
        return new URLClassLoader(urls, null);   // no parent: only the fake entries are visible
    }

    @Test
    void bothJarsFailInEitherOrderNamingBothAndTheExclusion() throws Exception {
        Path cpu = cpuJar();
        Path gpu = gpuJar();
        for (Path[] order : new Path[][]{{cpu, gpu}, {gpu, cpu}}) {
            try (URLClassLoader cl = loader(order)) {
                List<OnnxRuntimeClasspath.Copy> copies = OnnxRuntimeClasspath.find(cl);
                assertEquals(2, copies.size(), copies.toString());
                assertEquals(order[0].toString(), copies.get(0).location());
                assertEquals(order[1].toString(), copies.get(1).location());
                OmniGenException e = assertThrows(OmniGenException.class, () -> OnnxRuntimeClasspath.check(cl));
                String m = e.getMessage();
                assertTrue(m.contains(cpu.toString()) && m.contains(gpu.toString()), m);
                assertTrue(m.contains("CPU build, com.microsoft.onnxruntime:onnxruntime)"), m);
                assertTrue(m.contains("CUDA build, com.microsoft.onnxruntime:onnxruntime_gpu)"), m);
                assertTrue(m.contains("<exclusion> of com.microsoft.onnxruntime:onnxruntime"), m);
                assertTrue(m.contains("omnigen4j-sdk-gpu"), m);
            }
        }
    }

    @Test
    void flavourComesFromTheNativeLibraries() throws Exception {
        try (URLClassLoader cl = loader(cpuJar())) {
            assertEquals(List.of(new OnnxRuntimeClasspath.Copy(dir.resolve("onnxruntime-1.29.0.jar").toString(),
                    OnnxRuntimeClasspath.Flavour.CPU)), OnnxRuntimeClasspath.find(cl));
            OnnxRuntimeClasspath.check(cl);   // one runtime: passes
        }
        try (URLClassLoader cl = loader(gpuJar())) {
            assertEquals(OnnxRuntimeClasspath.Flavour.GPU, OnnxRuntimeClasspath.find(cl).get(0).flavour());
            OnnxRuntimeClasspath.check(cl);
        }
    }

    @Test
    void classesFolderAndJarAreTwoCopiesToo() throws Exception {
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes.resolve("ai/onnxruntime/native/linux-x64"));
        Files.write(classes.resolve(OnnxRuntimeClasspath.MARKER), new byte[]{1});
        Files.write(classes.resolve("ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so"), new byte[]{1});
        try (URLClassLoader cl = loader(classes, cpuJar())) {
            List<OnnxRuntimeClasspath.Copy> copies = OnnxRuntimeClasspath.find(cl);
            assertEquals(new OnnxRuntimeClasspath.Copy(classes.toString(), OnnxRuntimeClasspath.Flavour.GPU),
                    copies.get(0));
            assertEquals(OnnxRuntimeClasspath.Flavour.CPU, copies.get(1).flavour());
            assertThrows(OmniGenException.class, () -> OnnxRuntimeClasspath.check(cl));
        }
    }

    @Test
    void noRuntimeSaysWhichArtifactToDependOn() throws Exception {
        try (URLClassLoader cl = loader(dir)) {
            OmniGenException e = assertThrows(OmniGenException.class, () -> OnnxRuntimeClasspath.check(cl));
            assertTrue(e.getMessage().contains("not on the classpath"), e.getMessage());
            assertTrue(e.getMessage().contains("omnigen4j-sdk-gpu"), e.getMessage());
        }
    }

    @Test
    void twoCpuCopiesAreAConflictWithoutTheGpuAdvice() throws Exception {
        Path a = cpuJar();
        Path b = Files.copy(a, dir.resolve("onnxruntime-1.28.0.jar"));
        try (URLClassLoader cl = loader(a, b)) {
            OmniGenException e = assertThrows(OmniGenException.class, () -> OnnxRuntimeClasspath.check(cl));
            assertTrue(e.getMessage().contains("2 times"), e.getMessage());
            assertTrue(e.getMessage().contains("remove the duplicate"), e.getMessage());
        }
    }

    @Test
    void thisBuildsClasspathHasExactlyTheCpuRuntime() throws Exception {
        List<OnnxRuntimeClasspath.Copy> copies = OnnxRuntimeClasspath.find(OnnxRuntimeClasspath.class.getClassLoader());
        assertEquals(1, copies.size(), copies.toString());
        assertEquals(OnnxRuntimeClasspath.Flavour.CPU, copies.get(0).flavour(), copies.toString());
        assertTrue(copies.get(0).location().contains("onnxruntime"), copies.toString());
        OnnxRuntimeClasspath.check();
    }
}
