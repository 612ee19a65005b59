package io.omnigen4j.export.staging;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Staging folders (issue 13): created with the umask's permissions instead of 0700, and what a killed export left is
 * removed by the next one, while the folder of a running export (in this JVM or another process) is never touched.
 */
class StagingFolderTest {

    @TempDir
    Path tmp;

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    @Test
    void exportedModelFolderAndFilesHaveTheUmasksPermissionsNotOwnerOnly() throws Exception {
        assumeTrue(posix(), "POSIX permissions only");
        // What the umask gives a new folder and file here (the exporter must give the same).
        Set<PosixFilePermission> dirDefault = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("ref")));
        Set<PosixFilePermission> fileDefault = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref.f")));
        Path out = tmp.resolve("model");
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), out).build());
        assertEquals(PosixFilePermissions.toString(dirDefault),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        try (Stream<Path> s = Files.list(out)) {
            for (Path f : s.toList()) {
                assertEquals(PosixFilePermissions.toString(fileDefault),
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
        assertFalse(Files.exists(out.resolve(StagingFolder.LOCK_FILE)), "the lock file is not part of the model");
        // Meaningful only where the umask lets others read: then 0700 (createTempDirectory) would fail above.
        assumeTrue(dirDefault.contains(PosixFilePermission.OTHERS_READ), "umask 077 here");
    }

    @Test
    void stagingFolderHasDefaultPermissionsAndALockedOwnerFile() throws Exception {
        Path target = tmp.resolve("out");
        StagingFolder s = StagingFolder.create(target, "export");
        try {
            assertTrue(s.path().getFileName().toString().matches("\\.out\\.export-" + ProcessHandle.current().pid()
                    + "-[0-9a-f]{16}"), s.path().toString());
            assertEquals("pid " + ProcessHandle.current().pid() + "\n",
                    Files.readString(s.path().resolve(StagingFolder.LOCK_FILE)));
            if (posix()) {
                Set<PosixFilePermission> ref = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("r")));
                assertEquals(ref, Files.getPosixFilePermissions(s.path()));
            }
            // Held in this JVM (another thread's export): never removed.
            assertEquals(List.of(), StagingFolder.removeStale(tmp, "export", l -> { }));
            assertTrue(Files.isDirectory(s.path()));
            s.close();
            assertFalse(Files.exists(s.path().resolve(StagingFolder.LOCK_FILE)));
            assertTrue(Files.isDirectory(s.path()), "close() keeps the folder for the rename");
        } finally {
            s.close();
        }
    }

    @Test
    void folderOfAKilledProcessIsRemovedAndOneOfARunningProcessIsNot() throws Exception {
        Path target = tmp.resolve("model");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StagingFolderHolder.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        Path held;
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertNotNull(line, "child JVM printed nothing");
            held = Path.of(line);
            Files.writeString(held.resolve("transformer.weights"), "partial");
            List<String> log = new ArrayList<>();
            assertEquals(List.of(), StagingFolder.removeStale(tmp, "export", log::add));
            assertTrue(Files.isDirectory(held), "a running export's folder must stay");
            assertEquals(List.of(), log);
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        List<String> log = new ArrayList<>();
        assertEquals(List.of(held), StagingFolder.removeStale(tmp, "export", log::add));
        assertFalse(Files.exists(held));
        assertEquals(1, log.size());
        assertTrue(log.get(0).startsWith("removed abandoned temporary folder " + held + " (its owner (pid "
                + child.pid() + ") is no longer running)"), log.toString());
    }

    @Test
    void foldersWithoutALockAreRemovedOnlyWhenUntouchedForADayAndOthersAreNeverTouched() throws Exception {
        // As Files.createTempDirectory named them in earlier versions: no pid, no lock file.
        Path legacyFresh = Files.createDirectories(tmp.resolve(".model.export-1234567890123"));
        Files.writeString(legacyFresh.resolve("transformer.weights"), "x");
        Path legacyOld = Files.createDirectories(tmp.resolve(".other.export-987654321"));
        Path inner = Files.writeString(legacyOld.resolve("transformer.weights"), "x");
        FileTime old = FileTime.from(Instant.now().minus(StagingFolder.UNLOCKED_STALE_AFTER).minusSeconds(60));
        Files.setLastModifiedTime(inner, old);
        Files.setLastModifiedTime(legacyOld, old);
        // Not ours: another name, another purpose, a plain file with our pattern, a link to a folder.
        Path unrelated = Files.createDirectories(tmp.resolve(".model.backup"));
        Path otherPurpose = Files.createDirectories(tmp.resolve(".model.creating-12-0123456789abcdef"));
        Path file = Files.writeString(tmp.resolve(".x.export-55-0123456789abcdef"), "file");
        for (Path p : List.of(unrelated, otherPurpose, file)) {
            Files.setLastModifiedTime(p, old);
        }
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "keep");
        Path link = tmp.resolve(".y.export-66-0123456789abcdef");
        boolean linked = true;
        try {
            Files.createSymbolicLink(link, outside);
        } catch (UnsupportedOperationException | java.io.IOException e) {
            linked = false;
        }

        List<String> log = new ArrayList<>();
        assertEquals(List.of(legacyOld), StagingFolder.removeStale(tmp, "export", log::add));
        assertTrue(log.get(0).contains("it has no lock file and nothing in it changed since"), log.toString());
        assertTrue(Files.isDirectory(legacyFresh));
        assertTrue(Files.isDirectory(unrelated));
        assertTrue(Files.isDirectory(otherPurpose));
        assertTrue(Files.isRegularFile(file));
        assertTrue(Files.exists(outside.resolve("keep")));
        if (linked) {
            assertTrue(Files.isSymbolicLink(link));
        }
    }

    @Test
    void exportRemovesWhatAKilledExportLeftBesideItsOutput() throws Exception {
        // A killed export: folder and lock file there, nobody holding the lock.
        Path stale = Files.createDirectories(tmp.resolve(".previous.export-" + Long.MAX_VALUE / 3 + "-0123456789abcdef"));
        Files.writeString(stale.resolve(StagingFolder.LOCK_FILE), "pid 424242\n");
        Files.writeString(stale.resolve("transformer.weights"), "partial");
        List<String> progress = new ArrayList<>();
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), tmp.resolve("model"))
                .progress(progress::add).build());
        assertFalse(Files.exists(stale));
        assertTrue(progress.stream().anyMatch(l -> l.equals("removed abandoned temporary folder " + stale
                + " (its owner (pid 424242) is no longer running)")), progress.toString());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(tmp.resolve("model")), s.toList());
        }
    }

    @Test
    void demoModelCreationRemovesWhatAKilledCreationLeft() throws Exception {
        Path cache = tmp.resolve("cache");
        Path stale = Files.createDirectories(cache.resolve("." + DemoModel.FOLDER + ".creating-77-0123456789abcdef"));
        Files.writeString(stale.resolve(StagingFolder.LOCK_FILE), "pid 77\n");
        Files.createDirectories(stale.resolve("checkpoint"));
        List<String> log = new ArrayList<>();
        Path model = DemoModel.ensure(cache, log::add);
        assertFalse(Files.exists(stale));
        assertTrue(log.stream().anyMatch(l -> l.startsWith("removed abandoned temporary folder " + stale)), log.toString());
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(model), s.toList());
        }
        if (posix()) {
            Set<PosixFilePermission> ref = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("r")));
            assertEquals(ref, Files.getPosixFilePermissions(model));
        }
    }
}
