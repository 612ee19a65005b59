package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.image.RgbImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyGenerationTest {

    @TempDir
    Path work;

    @Test
    void generatesAndWritesAPngOfTheRequestedSize() throws Exception {
        Path png = TinyGeneration.run(work, 32, 64);
        RgbImage image = new DesktopImageCodec().decode(Files.readAllBytes(png));
        assertEquals(32, image.width());
        assertEquals(64, image.height());
    }

    @Test
    void theBomPicksTheOnnxRuntimeTheSdkWasBuiltWith() {
        String expected = "onnxruntime-" + System.getProperty("expected.onnxruntime.version") + ".jar";
        assertTrue(Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                        .anyMatch(p -> p.endsWith(File.separator + expected)),
                () -> "no " + expected + " on " + System.getProperty("java.class.path"));
    }
}
