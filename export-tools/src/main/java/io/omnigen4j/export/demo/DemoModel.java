package io.omnigen4j.export.demo;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.manifest.ManifestModel;
import io.omnigen4j.export.staging.StagingFolder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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
 * The demo model: a small OmniGen with the real architecture and file layout but <b>random weights</b>, made by the
 * project's own {@link RandomCheckpointGenerator} and exported like a real checkpoint. It needs no download, is about
 * 36 MB and generates a 256×256 image in seconds on two cores. Its pictures are noise-like: it shows that the
 * pipeline works, not what OmniGen can draw. {@code omnigen generate} uses it when no {@code --model} is given;
 * a program gets its folder with {@code OmniGen.load(DemoModel.ensure())}.
 *
 * <p>It is created once in the user's cache folder ({@link #cacheRoot()}/{@value #FOLDER}). Creation happens in a
 * hidden staging folder beside it (normal permissions; removed by a later creation if the process was killed) whose
 * model is renamed into place, so concurrent first runs (threads or processes) never see a half-written model: one
 * rename wins, the others use the winner's folder. A folder counts as complete
 * when its {@code manifest.json} was written by this exporter version's format and graphs revision and every file
 * it lists is there with the listed size; anything else in its place is replaced.
 */
public final class DemoModel {

    /** Folder name inside the cache; the suffix changes whenever {@link #SPEC} or {@link #SEED} does. */
    public static final String FOLDER = "demo-model-v1";

    /** System property that overrides the cache folder (checked first). */
    public static final String CACHE_PROPERTY = "omnigen4j.cache";
    /** Environment variable that overrides the cache folder. */
    public static final String CACHE_ENV = "OMNIGEN4J_CACHE";

    /** Seed of the random weights: the same on every machine, so every demo model has the same manifest checksum. */
    public static final long SEED = 240911340L;

    /**
     * OmniGen-v1's structure, scaled down: Phi-3 with LongRoPE (4096 → 131072), the full 32064-token vocabulary and
     * the 192×192 position table, so every request the real model accepts is accepted here; an SDXL-shaped VAE
     * (4 blocks, 8× downscale) with narrow layers.
     */
    public static final CheckpointSpec SPEC = CheckpointSpec.builder()
            .hidden(64).layers(2).heads(4).kvHeads(4).intermediate(128)
            .longRope(4096, 131072)
            .vaeBlockOutChannels(List.of(32, 32, 64, 64)).vaeLayersPerBlock(1).vaeNormGroups(32)
            .build();

    private DemoModel() {
    }

    /**
     * The cache folder: {@value #CACHE_PROPERTY} or {@value #CACHE_ENV} when set; else {@code %LOCALAPPDATA%\omnigen4j}
     * on Windows, {@code ~/Library/Caches/omnigen4j} on macOS, {@code ${XDG_CACHE_HOME:-~/.cache}/omnigen4j} elsewhere.
     * @return the cache folder (it may not exist yet)
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

    /**
     * Where the demo model lives (whether or not it exists yet).
     * @return {@link #cacheRoot()}/{@value #FOLDER}
     */
    public static Path location() {
        return cacheRoot().resolve(FOLDER);
    }

    /**
     * True when {@link #location()} holds a complete model folder.
     * @return whether the demo model is ready to load
     */
    public static boolean exists() {
        return usable(location());
    }

    /**
     * The demo model's folder in {@link #cacheRoot()}, created first if needed (a few seconds, once).
     *
     * @return the model folder, ready for {@code OmniGen.load}
     * @throws IOException when the cache folder cannot be written (set {@value #CACHE_ENV} to another folder)
     */
    public static Path ensure() throws IOException {
        return ensure(cacheRoot(), line -> { });
    }

    /**
     * As {@link #ensure()}; {@code log} hears one line when the model has to be created.
     *
     * @param log hears one line when the model has to be created
     * @return the model folder, ready for {@code OmniGen.load}
     * @throws IOException when the cache folder cannot be written (set {@value #CACHE_ENV} to another folder)
     */
    public static Path ensure(Consumer<String> log) throws IOException {
        return ensure(cacheRoot(), log);
    }

    /**
     * The demo model's folder {@value #FOLDER} inside {@code cacheRoot}, created first if needed.
     *
     * @param cacheRoot the cache folder to use instead of {@link #cacheRoot()}; created if missing
     * @param log       hears one line when the model has to be created
     * @return the model folder, ready for {@code OmniGen.load}
     * @throws IOException when {@code cacheRoot} cannot be written
     */
    public static Path ensure(Path cacheRoot, Consumer<String> log) throws IOException {
        Path target = cacheRoot.toAbsolutePath().normalize().resolve(FOLDER);
        if (usable(target)) {
            return target;
        }
        Files.createDirectories(cacheRoot);
        // Normal permissions (umask), locked while in use; what a killed creation left is removed first.
        StagingFolder.removeStale(target.getParent(), "creating", log);
        StagingFolder staging = StagingFolder.create(target, "creating");
        Path work = staging.path();
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
            try {
                staging.close();
            } finally {
                deleteTree(work);
            }
        }
    }

    /**
     * True when {@code folder} holds a complete model folder of this exporter: its manifest has this version's format
     * and graphs revision and every listed file has the listed size. Cheap (no hashing).
     */
    static boolean usable(Path folder) {
        Path manifest = folder.resolve("manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return false;
        }
        try {
            JsonNode m = new ObjectMapper().readTree(manifest.toFile());
            if (!ManifestModel.FORMAT.equals(m.path("format").asText())
                    || m.path("format_version").asInt(-1) != ManifestModel.FORMAT_VERSION
                    || m.path("graphs_revision").asInt(-1) != ManifestModel.GRAPHS_REVISION
                    || !m.path("files").isArray() || m.path("files").isEmpty()) {
                return false;
            }
            for (JsonNode f : m.path("files")) {
                Path p = folder.resolve(f.path("path").asText(""));
                if (!p.normalize().startsWith(folder.normalize()) || !Files.isRegularFile(p)
                        || Files.size(p) != f.path("bytes").asLong(-1)) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false; // unreadable or malformed: not a usable model, it is recreated
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
