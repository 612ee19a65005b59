package io.omnigen4j.sdk;

import io.omnigen4j.export.manifest.SampledDigest;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelFolderException;
import io.omnigen4j.sdk.model.ModelManifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OmniGen#load} on broken model folders: missing folder, no manifest, wrong format or version, a file
 * missing or truncated → {@link ModelFolderException} naming the problem and the fix; a same-size corruption between
 * the sampled windows is found by {@link ModelFolder#verifyChecksums()} (hostile folders: UntrustedModelFolderTest).
 */
class ModelFolderTest {

    private Path copy;

    @AfterEach
    void cleanUp() {
        if (copy != null) {
            TinyModel.deleteTree(copy.getParent());
        }
    }

    private Path damagedCopy() throws Exception {
        copy = TinyModel.copy();
        return copy;
    }

    private static ModelFolderException loadFails(Path folder, String... fragments) {
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> OmniGen.load(folder).close());
        String msg = e.getMessage().toLowerCase(Locale.ROOT);
        for (String f : fragments) {
            assertTrue(msg.contains(f.toLowerCase(Locale.ROOT)), "message should contain '" + f + "': "
                    + e.getMessage());
        }
        return e;
    }

    /** Replaces the first match of {@code regex} in the manifest. */
    private static void editManifest(Path folder, String regex, String to) throws Exception {
        Path m = folder.resolve(ModelManifest.FILE_NAME);
        String json = Files.readString(m, StandardCharsets.UTF_8);
        String edited = json.replaceFirst(regex, to);
        assertTrue(!edited.equals(json), "manifest has no match for " + regex);
        Files.writeString(m, edited, StandardCharsets.UTF_8);
    }

    @Test
    void intactCopyLoadsAndVerifies() throws Exception {
        Path folder = damagedCopy();
        try (OmniGen omnigen = OmniGen.load(folder)) {
            assertDoesNotThrow(() -> omnigen.folder().verifyChecksums());
            assertEquals(ModelManifest.SUPPORTED_VERSION, omnigen.manifest().formatVersion());
        }
    }

    @Test
    void missingFolder() throws Exception {
        Path missing = Files.createTempDirectory("og-missing").resolve("no-such-model");
        try {
            loadFails(missing, "no-such-model", "does not exist", "export");
        } finally {
            TinyModel.deleteTree(missing.getParent());
        }
    }

    @Test
    void folderWithoutManifest() throws Exception {
        Path folder = damagedCopy();
        Files.delete(folder.resolve(ModelManifest.FILE_NAME));
        loadFails(folder, "has no manifest.json", "not an exported", "export");
    }

    @Test
    void unreadableManifest() throws Exception {
        Path folder = damagedCopy();
        Files.writeString(folder.resolve(ModelManifest.FILE_NAME), "{ not json", StandardCharsets.UTF_8);
        loadFails(folder, "manifest.json", "cannot be read");
    }

    @Test
    void unsupportedFormatVersion() throws Exception {
        Path folder = damagedCopy();
        editManifest(folder, "\"format_version\"\\s*:\\s*1", "\"format_version\": 2");
        loadFails(folder, "format version 2", "not supported", "supports 1", "re-export");
    }

    @Test
    void foreignFormat() throws Exception {
        Path folder = damagedCopy();
        editManifest(folder, "\"format\"\\s*:\\s*\"omnigen4j-model\"", "\"format\": \"something-else\"");
        loadFails(folder, "format is 'something-else'", "expected 'omnigen4j-model'");
    }

    @Test
    void missingFile() throws Exception {
        Path folder = damagedCopy();
        Files.delete(folder.resolve("vae.weights"));
        loadFails(folder, "vae.weights", "missing or has the wrong size", "re-export or copy it again");
    }

    /** A folder from an exporter with separate prefill and step graphs is named as such, before ORT opens it. */
    @Test
    void olderGraphsRevisionIsRejectedWithAHint() throws Exception {
        Path folder = damagedCopy();
        editManifest(folder, "\"graphs_revision\"\\s*:\\s*6", "\"graphs_revision\" : 2");
        loadFails(folder, "graphs revision 2", "older exporter", "export the checkpoint again");
    }

    /** Revision 3 (one decoder graph, attention not yet in head groups) has the same inputs and outputs: it loads. */
    @Test
    void revisionThreeStillLoads() throws Exception {
        Path folder = damagedCopy();
        editManifest(folder, "\"graphs_revision\"\\s*:\\s*6", "\"graphs_revision\" : 3");
        assertDoesNotThrow(() -> OmniGen.load(folder).close());
    }

    @Test
    void missingGraph() throws Exception {
        Path folder = damagedCopy();
        Files.delete(folder.resolve("transformer.onnx"));
        loadFails(folder, "transformer.onnx", "missing");
    }

    @Test
    void truncatedFile() throws Exception {
        Path folder = damagedCopy();
        Path weights = folder.resolve("transformer.weights");
        long size = Files.size(weights);
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(size / 2);
        }
        loadFails(folder, "transformer.weights", "wrong size", "manifest: " + size + " bytes");
    }

    @Test
    void corruptedFileIsFoundByChecksums() throws Exception {
        Path folder = damagedCopy();
        Path weights = folder.resolve("vae.weights");
        // Between the 8th and 9th of the 16 windows the default load check hashes (sample_sha256).
        long between = (Files.size(weights) - SampledDigest.WINDOW) * 7 / (SampledDigest.WINDOWS - 1)
                + SampledDigest.WINDOW + 100;
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.seek(between);
            int b = f.read();
            f.seek(between);
            f.write(b ^ 0x40);
        }
        // Same size, and outside the sampled windows: loading does not hash the whole file, so it succeeds…
        try (OmniGen omnigen = OmniGen.load(folder)) {
            ModelFolderException e = assertThrows(ModelFolderException.class, () -> omnigen.folder().verifyChecksums());
            // …and the explicit check names the file.
            assertTrue(e.getMessage().contains("checksum of vae.weights does not match"), e.getMessage());
            assertTrue(e.getMessage().contains("re-export or copy it again"), e.getMessage());
        }
        // ModelFolder.open alone (no sessions) finds it the same way.
        ModelFolder opened = ModelFolder.open(folder);
        assertThrows(ModelFolderException.class, opened::verifyChecksums);
    }
}
