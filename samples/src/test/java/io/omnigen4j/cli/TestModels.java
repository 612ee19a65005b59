package io.omnigen4j.cli;

import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.sdk.image.RgbImage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One demo-model cache per test JVM, in a temporary folder (never the user's cache), shared by the test classes so
 * the model is created once. Deleted when the JVM exits.
 */
public final class TestModels {
    private static Path cacheRoot;

    private TestModels() {
    }

    /** The test cache folder, also set as {@value DemoModel#CACHE_PROPERTY} so the CLI uses it. */
    public static synchronized Path cacheRoot() {
        if (cacheRoot == null) {
            try {
                cacheRoot = Files.createTempDirectory("omnigen4j-test-cache");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path root = cacheRoot;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
            System.setProperty(DemoModel.CACHE_PROPERTY, root.toString());
        }
        return cacheRoot;
    }

    /** The demo model in the test cache, created on first use. */
    public static synchronized Path demoModel() throws IOException {
        return DemoModel.ensure(cacheRoot(), line -> { });
    }

    /** A smooth colour gradient, so inputs are valid images without fixture files. */
    public static RgbImage gradient(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                rgb[i] = (byte) (255 * x / Math.max(1, width - 1));
                rgb[i + 1] = (byte) (255 * y / Math.max(1, height - 1));
                rgb[i + 2] = (byte) 128;
            }
        }
        return RgbImage.of(width, height, rgb);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
