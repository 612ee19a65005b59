package io.omnigen4j.cli;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelFolderException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The model {@code omnigen generate} uses when no {@code --model} is given: a small OmniGen with the real
 * architecture and file layout but <b>random weights</b>, made by the project's own {@link RandomCheckpointGenerator}
 * and exported like a real checkpoint. It needs no download, is about 36 MB and generates a 256×256 image in seconds
 * on two cores. Its pictures are noise-like: it shows that the pipeline works, not what OmniGen can draw.
 *
 * <p>It is created once in the user's cache folder ({@link #cacheRoot()}/{@value #FOLDER}). Creation happens in a
 * private temporary folder beside it that is renamed into place, so concurrent first runs never see a half-written
 * model: one rename wins, the others use the winner's folder.
 */
public final class DemoModel {

    /** Folder name inside the cache; the suffix changes whenever {@link #SPEC} or {@link #SEED} does. */
    public static final String FOLDER = "demo-model-v1";

    /** System property that overrides the cache folder (checked first). */
    public static final String CACHE_PROPERTY = "omnigen4j.cache";
    /** Environment variable that overrides the cache folder. */
    public static final String CACHE_ENV = "OMNIGEN4J_CACHE";

    /** Seed of the random weights: the same on every machine, so every demo model has the same manifest checksum. */
    static final long SEED = 240911340L;

    /**
     * OmniGen-v1's structure, scaled down: Phi-3 with LongRoPE (4096 → 131072), the full 32064-token vocabulary and
     * the 192×192 position table, so every request the real model accepts is accepted here; an SDXL-shaped VAE
     * (4 blocks, 8× downscale) with narrow layers.
     */
    static final CheckpointSpec SPEC = CheckpointSpec.builder()
            .hidden(64).layers(2).heads(4).kvHeads(4).intermediate(128)
            .longRope(4096, 131072)
            .vaeBlockOutChannels(List.of(32, 32, 64, 64)).vaeLayersPerBlock(1).vaeNormGroups(32)
            .build();

    private DemoModel() {
    }

    /**
     * The cache folder: {@value #CACHE_PROPERTY} or {@value #CACHE_ENV} when set; else {@code %LOCALAPPDATA%\omnigen4j}
     * on Windows, {@code ~/Library/Caches/omnigen4j} on macOS, {@code ${XDG_CACHE_HOME:-~/.cache}/omnigen4j} elsewhere.
     */
    public static Path cacheRoot() {
        String override = System.getProperty(CACHE_PROPERTY);
        if (override == null || override.isBlank()) {
            override = System.getenv(CACHE_ENV);
        }
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        Path home = Path.of(System.getProperty("user.home"));
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("windows")) {
            String local = System.getenv("LOCALAPPDATA");
            return (local != null && !local.isBlank() ? Path.of(local) : home.resolve("AppData").resolve("Local"))
                    .resolve("omnigen4j");
        }
        if (os.startsWith("mac")) {
            return home.resolve("Library").resolve("Caches").resolve("omnigen4j");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".cache")).resolve("omnigen4j");
    }

    /** Where the demo model lives (whether or not it exists yet). */
    public static Path location() {
        return cacheRoot().resolve(FOLDER);
    }

    /** True when {@link #location()} holds a complete model folder. */
    public static boolean exists() {
        return usable(location());
    }

    /** The demo model's folder, created first if needed; {@code log} hears one line per creation stage. */
    public static Path ensure(Consumer<String> log) throws IOException {
        return ensure(cacheRoot(), log);
    }

    static Path ensure(Path cacheRoot, Consumer<String> log) throws IOException {
        Path target = cacheRoot.toAbsolutePath().normalize().resolve(FOLDER);
        if (usable(target)) {
            return target;
        }
        Files.createDirectories(cacheRoot);
        Path work = Files.createTempDirectory(target.getParent(), "." + FOLDER + ".creating-");
        try {
            log.accept("Creating the demo model (once; about 36 MB, a few seconds) in " + target);
            Path checkpoint = RandomCheckpointGenerator.generate(SPEC, SEED, work.resolve("checkpoint"));
            Path model = work.resolve("model");
            OmniGenExporter.export(ExportOptions.builder(checkpoint, model).build());
            if (usable(target)) {
                return target; // another process finished first
            }
            if (Files.exists(target)) {
                deleteTree(target); // an incomplete folder someone left behind; a complete one never is
            }
            try {
                try {
                    Files.move(model, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(model, target);
                }
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                if (!usable(target)) {
                    throw e;
                }
            }
            return target;
        } finally {
            deleteTree(work);
        }
    }

    private static boolean usable(Path folder) {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try {
            ModelFolder.open(folder);
            return true;
        } catch (ModelFolderException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temporary folder is harmless
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
