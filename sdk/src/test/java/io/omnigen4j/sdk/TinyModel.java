package io.omnigen4j.sdk;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.image.RgbImage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * The fixture model tiny-omnigen-a exported once per test JVM into a temp folder (deleted at exit), plus copies for
 * tests that damage a folder, and the edit case's input image.
 */
final class TinyModel {
    private static Path exported;

    private TinyModel() {
    }

    /** The exported model folder; do not modify it (use {@link #copy()}). */
    static synchronized Path folder() throws IOException {
        if (exported == null) {
            Path root = Files.createTempDirectory("og-sdk-tests");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    deleteTree(root);
                } catch (RuntimeException ignored) {
                    // Best effort at exit.
                }
            }));
            Path dir = root.resolve("tiny-omnigen-a");
            OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), dir).build());
            exported = dir;
        }
        return exported;
    }

    /** A fresh copy of the exported folder, for a test to damage; delete it with {@link #deleteTree}. */
    static Path copy() throws IOException {
        Path src = folder();
        Path dst = Files.createTempDirectory("og-sdk-copy").resolve("model");
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = dst.resolve(f.getFileName().toString());
                Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
                to.toFile().setWritable(true);
            }
        }
        return dst;
    }

    /** The edit case's input image as the reference decoded it (75×100 RGB). */
    static RgbImage editInput() throws IOException {
        try (SafetensorsFile t = SafetensorsFile.open(Fixtures.caseDir("edit").resolve("tensors.safetensors"))) {
            String key = "preprocess.0.decoded_rgb";
            int[] s = t.info(key).intShape();
            return RgbImage.of(s[1], s[0], t.bytes(key));
        }
    }

    /** A w×h image with a deterministic pattern. */
    static RgbImage pattern(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 31 + (i / 3) / Math.max(1, w));
        }
        return RgbImage.of(w, h, rgb);
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    file.toFile().setWritable(true);
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
