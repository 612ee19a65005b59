package io.omnigen4j.export.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DemoModel}: concurrent first runs share one complete folder, incomplete or outdated folders are replaced,
 * the cache override is honoured, and the model is the same bytes wherever it is made.
 */
class DemoModelTest {

    @TempDir
    Path cache;

    @Test
    void concurrentFirstRunsShareOneCompleteFolderAndLeaveNothingElse() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Callable<Path>> jobs = List.of(() -> DemoModel.ensure(cache, s -> { }),
                    () -> DemoModel.ensure(cache, s -> { }));
            List<Path> results = new ArrayList<>();
            for (Future<Path> f : pool.invokeAll(jobs)) {
                results.add(f.get());
            }
            assertEquals(results.get(0), results.get(1));
            Path model = cache.toAbsolutePath().resolve(DemoModel.FOLDER);
            assertEquals(model, results.get(0));
            assertTrue(Files.isRegularFile(model.resolve("manifest.json")));
            try (Stream<Path> s = Files.list(cache)) {
                assertEquals(List.of(model), s.toList(), "temporary folders left behind");
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> log = new ArrayList<>();
        DemoModel.ensure(cache, log::add);
        assertEquals(List.of(), log, "an existing demo model is reused");
    }

    @Test
    void anIncompleteFolderIsReplaced() throws Exception {
        Path broken = Files.createDirectories(cache.resolve(DemoModel.FOLDER));
        Files.writeString(broken.resolve("manifest.json"), "{}");
        List<String> log = new ArrayList<>();
        Path model = DemoModel.ensure(cache, log::add);
        assertEquals(1, log.size(), log.toString());
        assertTrue(Files.size(model.resolve("manifest.json")) > 100);
    }

    @Test
    void aFolderOfAnotherRevisionOrWithAWrongFileIsReplaced() throws Exception {
        Path model = DemoModel.ensure(cache, s -> { });
        assertTrue(DemoModel.usable(model));
        Path manifest = model.resolve("manifest.json");
        String original = Files.readString(manifest);

        Files.writeString(manifest, original.replaceFirst("\"graphs_revision\"\\s*:\\s*\\d+", "\"graphs_revision\" : 1"));
        assertFalse(DemoModel.usable(model), "a folder from an older exporter revision is not reused");
        Files.writeString(manifest, original);
        assertTrue(DemoModel.usable(model));

        Path weights = model.resolve("vae.weights");
        Files.write(weights, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        assertFalse(DemoModel.usable(model), "a file with the wrong size makes the folder incomplete");
        List<String> log = new ArrayList<>();
        assertEquals(model, DemoModel.ensure(cache, log::add));
        assertEquals(1, log.size(), "recreated");
        assertTrue(DemoModel.usable(model));
    }

    @Test
    void theSameBytesOnEveryMachine() throws Exception {
        Path a = DemoModel.ensure(cache.resolve("a"), s -> { });
        Path b = DemoModel.ensure(cache.resolve("b"), s -> { });
        assertArrayEquals(Files.readAllBytes(a.resolve("manifest.json")), Files.readAllBytes(b.resolve("manifest.json")));
    }

    @Test
    void cacheFolderHonoursTheOverride() throws Exception {
        String before = System.getProperty(DemoModel.CACHE_PROPERTY);
        try {
            System.setProperty(DemoModel.CACHE_PROPERTY, cache.toString());
            assertEquals(cache, DemoModel.cacheRoot());
            assertEquals(cache.resolve(DemoModel.FOLDER), DemoModel.location());
            assertFalse(DemoModel.exists());
            assertEquals(cache.toAbsolutePath().resolve(DemoModel.FOLDER), DemoModel.ensure());
            assertTrue(DemoModel.exists());
        } finally {
            if (before == null) {
                System.clearProperty(DemoModel.CACHE_PROPERTY);
            } else {
                System.setProperty(DemoModel.CACHE_PROPERTY, before);
            }
        }
    }
}
