package io.omnigen4j.export.staging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A hidden folder beside a target, where a model folder is written before it is renamed into place, and the
 * cleaning of such folders that a killed process left behind.
 *
 * <p><b>Permissions.</b> The folder is made with {@link Files#createDirectory}, which honours the process's umask
 * (typically {@code rwxr-xr-x}), not with {@code Files.createTempDirectory}, whose {@code rwx------} the final rename
 * would keep.
 *
 * <p><b>Ownership.</b> It is named {@code .<target>.<purpose>-<pid>-<16 hex digits>} and holds a lock file
 * ({@value #LOCK_FILE}, with the owner's pid) that its owner keeps locked ({@link FileChannel#lock()}) until it
 * {@link #close closes} the folder. The operating system releases the lock when the owner dies, however it dies.
 *
 * <p><b>Cleaning</b> ({@link #removeStale}): a sibling whose name has that form for the same purpose is deleted
 * when its lock file can be locked (its owner is gone), or, when it has no lock file (created by an older version,
 * or killed in the instant between creating the folder and its lock file) or the file system does not support
 * locks, when nothing in it changed for {@link #UNLOCKED_STALE_AFTER}. A folder whose lock is held (a running
 * export, in this process or another) is never touched, nor anything whose name does not match, nor what a
 * symbolic link points to.
 */
public final class StagingFolder implements AutoCloseable {

    /** The lock file inside a staging folder. */
    public static final String LOCK_FILE = ".owner.lock";
    /** How long a staging folder without a usable lock must be untouched before it counts as abandoned. */
    public static final Duration UNLOCKED_STALE_AFTER = Duration.ofHours(24);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StagingFolder(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Creates a staging folder beside {@code target} and locks it.
     *
     * @param target  the folder that will be renamed from it (absolute; its parent must exist)
     * @param purpose a short word naming the writer ({@code export}, {@code creating}): letters, digits, dashes
     * @return the locked folder; {@link #close()} releases the lock and deletes the lock file
     * @throws IOException when the parent cannot be written
     */
    public static StagingFolder create(Path target, String purpose) throws IOException {
        checkPurpose(purpose);
        Path abs = target.toAbsolutePath().normalize();
        Path parent = Objects.requireNonNull(abs.getParent(), "target has no parent folder");
        Path dir = null;
        for (int attempt = 0; dir == null; attempt++) {
            Path candidate = parent.resolve("." + abs.getFileName() + "." + purpose + "-" + ProcessHandle.current().pid()
                    + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong()));
            try {
                dir = Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = tryLockOrNull(ch);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
            return new StagingFolder(dir, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            deleteTree(dir);
            throw e;
        }
    }

    /** An exclusive lock, or null where the file system has none (then cleaning falls back to the age rule). */
    private static FileLock tryLockOrNull(FileChannel ch) {
        try {
            return ch.tryLock();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The folder.
     *
     * @return its absolute path
     */
    public Path path() {
        return dir;
    }

    /**
     * Deletes the lock file (still locked, so no cleaner can take the folder for abandoned meanwhile), then
     * releases the lock. Call it before renaming the folder into place; the folder itself stays.
     *
     * @throws IOException when the lock file cannot be deleted
     */
    @Override
    public void close() throws IOException {
        if (!lockChannel.isOpen()) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(LOCK_FILE));
        } finally {
            lockChannel.close(); // releases the lock too
        }
    }

    /**
     * Deletes the staging folders for {@code purpose} in {@code parent} that their owners abandoned (see the class
     * comment for the rule). Never fails: a folder that cannot be deleted is reported and left.
     *
     * @param parent  the folder to look in
     * @param purpose the purpose used with {@link #create}
     * @param log     hears one line per folder removed or left
     * @return the folders removed
     */
    public static List<Path> removeStale(Path parent, String purpose, Consumer<String> log) {
        checkPurpose(purpose);
        Pattern ours = Pattern.compile("\\..+\\." + Pattern.quote(purpose) + "-(\\d+-[0-9a-f]{16}|\\d+)");
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return removed;
        }
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent)) {
            for (Path p : s) {
                if (ours.matcher(p.getFileName().toString()).matches()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    candidates.add(p);
                }
            }
        } catch (IOException e) {
            log.accept("could not look for abandoned temporary folders in " + parent + ": " + e.getMessage());
            return removed;
        }
        for (Path p : candidates) {
            String why = abandoned(p);
            if (why == null) {
                continue;
            }
            try {
                deleteTree(p);
                removed.add(p);
                log.accept("removed abandoned temporary folder " + p + " (" + why + ")");
            } catch (IOException e) {
                log.accept("could not remove abandoned temporary folder " + p + ": " + e.getMessage());
            }
        }
        return removed;
    }

    /** Why {@code dir} is abandoned, or null when it may belong to a running process. */
    private static String abandoned(Path dir) {
        Path lockFile = dir.resolve(LOCK_FILE);
        boolean lockUnsupported = false;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            Object keyBefore = fileKey(lockFile);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return null; // held by this JVM: an export running in another thread
            } catch (IOException | UnsupportedOperationException e) {
                lock = null;
                lockUnsupported = true;
            }
            if (!lockUnsupported) {
                if (lock == null) {
                    return null; // held by another process
                }
                // An owner that finished deletes the lock file before unlocking: locking a deleted file proves
                // nothing, so the file must still be the one at the path.
                Object keyAfter = fileKey(lockFile);
                lock.release();
                if (keyAfter == null || !keyAfter.equals(keyBefore)) {
                    return null;
                }
                return "its owner " + owner(lockFile) + "is no longer running";
            }
        } catch (NoSuchFileException e) {
            // no lock file: fall through to the age rule
        } catch (IOException e) {
            lockUnsupported = true;
        }
        Instant newest = newestChange(dir);
        if (newest == null || newest.isAfter(Instant.now().minus(UNLOCKED_STALE_AFTER))) {
            return null;
        }
        return (lockUnsupported ? "its lock cannot be checked" : "it has no lock file") + " and nothing in it changed"
                + " since " + newest;
    }

    private static Object fileKey(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.fileKey() != null ? a.fileKey() : a.creationTime();
        } catch (IOException e) {
            return null;
        }
    }

    private static String owner(Path lockFile) {
        try {
            String s = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            return s.matches("pid \\d+") ? "(" + s + ") " : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Latest modification time of the folder and everything in it (links not followed); null if unreadable. */
    private static Instant newestChange(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            FileTime newest = FileTime.fromMillis(0);
            for (Path p : (Iterable<Path>) s::iterator) {
                FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                if (t.compareTo(newest) > 0) {
                    newest = t;
                }
            }
            return newest.toInstant();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Deletes {@code root} and everything in it; symbolic links are deleted, never followed.
     *
     * @param root a folder (or file); nothing happens when it does not exist
     * @throws IOException when something cannot be deleted
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void checkPurpose(String purpose) {
        if (purpose == null || !purpose.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("purpose must be letters, digits or dashes, got " + purpose);
        }
    }
}
