package com.example.gpuconsumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.OmniGenException;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NoCpuRuntimeTest {

    @Test
    void theCpuOnnxRuntimeJarIsNotOnTheClasspath() throws Exception {
        String cp = System.getProperty("java.class.path");
        assertFalse(Arrays.stream(cp.split(File.pathSeparator))
                        .anyMatch(p -> new File(p).getName().startsWith("onnxruntime-")),
                () -> "the CPU onnxruntime jar is on the classpath: " + cp);
        assertNull(getClass().getClassLoader().getResource("ai/onnxruntime/OnnxRuntime.class"),
                "ONNX Runtime classes are on the classpath although onnxruntime_gpu is excluded");
        // The SDK (through the GPU artifact) and the imaging module are both there.
        Class.forName("io.omnigen4j.sdk.OmniGen");
        Class.forName("io.omnigen4j.imaging.DesktopImageCodec");
    }

    @Test
    void loadingWithoutARuntimeSaysWhichArtifactToDependOn() {
        OmniGenException e = assertThrows(OmniGenException.class, () -> OmniGen.load(Path.of("no-model-needed")));
        assertTrue(e.getMessage().contains("ONNX Runtime is not on the classpath"), e.getMessage());
        assertTrue(e.getMessage().contains("omnigen4j-sdk-gpu"), e.getMessage());
    }
}
