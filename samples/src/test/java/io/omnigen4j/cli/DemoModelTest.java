package io.omnigen4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void cacheFolderHonoursTheOverride() {
        String before = System.getProperty(DemoModel.CACHE_PROPERTY);
        try {
            System.setProperty(DemoModel.CACHE_PROPERTY, cache.toString());
            assertEquals(cache, DemoModel.cacheRoot());
            assertEquals(cache.resolve(DemoModel.FOLDER), DemoModel.location());
        } finally {
            if (before == null) {
                System.clearProperty(DemoModel.CACHE_PROPERTY);
            } else {
                System.setProperty(DemoModel.CACHE_PROPERTY, before);
            }
        }
    }

    @Test
    void progressClock() {
        assertEquals("0:00", ProgressBar.clock(java.time.Duration.ofMillis(400)));
        assertEquals("1:05", ProgressBar.clock(java.time.Duration.ofSeconds(65)));
        assertEquals("1:01:01", ProgressBar.clock(java.time.Duration.ofSeconds(3661)));
    }
}
