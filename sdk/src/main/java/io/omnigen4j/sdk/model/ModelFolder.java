package io.omnigen4j.sdk.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An exported model folder and its manifest, checked as untrusted input before anything else reads it.
 * {@link #open(Path, IntegrityCheck)} validates, in this order, without starting ONNX Runtime:
 * <ol>
 *   <li>every manifest field the SDK uses is present with its type (a missing or malformed one is named by its
 *       path, e.g. {@code transformer.hidden_size});</li>
 *   <li>every path in the manifest (graphs, weight files, tokenizer files, the file list) is a plain relative path
 *       without {@code ..}, and its real path (symbolic links resolved) lies inside the folder's real path; so does
 *       {@code manifest.json} itself;</li>
 *   <li>every listed file is present with the size the manifest records, and hashed per {@link IntegrityCheck};</li>
 *   <li>every graph's external-data references name one of that graph's data files in the manifest, with offset and
 *       length inside the file and a length matching the tensor's shape and type;</li>
 *   <li>every graph has the inputs and outputs the SDK uses, with the element types and the sizes the manifest's
 *       configuration implies (hidden size, layers, K/V heads, head size, latent channels), and agrees with the
 *       manifest's record of its inputs and outputs.</li>
 * </ol>
 * The paths handed out ({@link #graph}, {@link #tokenizerFile}) are the checked real paths. The folder is assumed
 * not to change while it is being loaded (a file swapped between the check and ONNX Runtime's open is not caught).
 */
public final class ModelFolder {

    /** manifest.json is read into memory; a real one is about 20 kB. */
    static final long MAX_MANIFEST_BYTES = 16L << 20;

    private final Path path;
    private final Path root;
    private final ModelManifest manifest;
    /** Checked real path of every listed file, by its manifest path. */
    private final Map<String, Path> files;

    private ModelFolder(Path path, Path root, ModelManifest manifest, Map<String, Path> files) {
        this.path = path;
        this.root = root;
        this.manifest = manifest;
        this.files = files;
    }

    /**
     * Opens and validates a model folder with the default {@link IntegrityCheck#SAMPLED} check.
     *
     * @param path the model folder
     * @return the checked folder
     * @throws ModelFolderException naming the manifest field, file or graph and what is wrong with it
     */
    public static ModelFolder open(Path path) throws ModelFolderException {
        return open(path, IntegrityCheck.SAMPLED);
    }

    /**
     * Opens and validates a model folder (see the class comment for what is checked).
     *
     * @param integrity how much of the files' content is hashed against the manifest's checksums
     * @param path the model folder
     * @return the checked folder
     * @throws ModelFolderException naming the manifest field, file or graph and what is wrong with it
     */
    public static ModelFolder open(Path path, IntegrityCheck integrity) throws ModelFolderException {
        Objects.requireNonNull(integrity, "integrity");
        Path p = path.toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw new ModelFolderException("model folder " + p + " does not exist; export a checkpoint first"
                    + " (omnigen export --checkpoint DIR --out " + p + ")");
        }
        Path root;
        try {
            root = p.toRealPath();
        } catch (IOException e) {
            throw new ModelFolderException("model folder " + p + " cannot be read: " + e.getMessage(), e);
        }
        Path manifestPath = p.resolve(ModelManifest.FILE_NAME);
        if (!Files.exists(manifestPath, LinkOption.NOFOLLOW_LINKS)) {
            throw new ModelFolderException(p + " has no " + ModelManifest.FILE_NAME + "; it is not an exported"
                    + " OmniGen4J model folder (export one with: omnigen export --checkpoint DIR --out DIR)");
        }
        Path manifestFile = confine(root, p, ModelManifest.FILE_NAME, "the manifest");
        String shown = p.resolve(ModelManifest.FILE_NAME).toString();
        ModelManifest m = new ManifestParser(shown).parse(readJson(manifestFile, shown));
        checkStructure(shown, m);
        GraphContract.checkConfig(shown, m);
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, ModelManifest.FileEntry> entries = new HashMap<>();
        for (int i = 0; i < m.files().size(); i++) {
            ModelManifest.FileEntry f = m.files().get(i);
            String field = "files[" + i + "].path";
            syntax(shown, field, f.path());
            if (entries.putIfAbsent(f.path(), f) != null) {
                throw new ModelFolderException(shown + ": " + field + " '" + f.path() + "' is listed twice");
            }
            files.put(f.path(), confineListed(root, p, f));
        }
        for (Map.Entry<String, String> ref : references(m).entrySet()) {
            syntax(shown, ref.getKey(), ref.getValue());
            if (!files.containsKey(ref.getValue())) {
                throw new ModelFolderException(shown + ": " + ref.getKey() + " '" + ref.getValue() + "' is not in"
                        + " the manifest's file list, so its size and checksum cannot be checked; export the model"
                        + " again");
            }
        }
        verify(p, m, files, integrity);
        Map<String, GraphContract.Signature> expected = GraphContract.expected(m);
        for (String g : ModelManifest.GRAPHS) {
            ModelManifest.Graph graph = m.graphs().get(g);
            String what = p + ": graph " + g + " (" + graph.file() + ")";
            OnnxGraphScan.Result scan;
            try {
                scan = OnnxGraphScan.scan(files.get(graph.file()));
            } catch (ProtoReader.FormatException e) {
                throw new ModelFolderException(what + " is not a valid ONNX file: " + e.getMessage()
                        + "; export the model again", e);
            } catch (IOException e) {
                throw new ModelFolderException(what + " cannot be read: " + e.getMessage(), e);
            }
            ExternalData.check(what, scan, graph, files, entries, root, files.get(graph.file()).getParent(), shown,
                    g);
            GraphContract.check(what, expected.get(g), scan, graph, shown);
        }
        return new ModelFolder(p, root, m, Map.copyOf(files));
    }

    private static JsonNode readJson(Path file, String shown) throws ModelFolderException {
        try {
            long size = Files.size(file);
            if (size > MAX_MANIFEST_BYTES) {
                throw new ModelFolderException(shown + " is " + size + " bytes; a manifest is a few kilobytes ("
                        + MAX_MANIFEST_BYTES + " bytes at most) — it is not an OmniGen4J manifest");
            }
            ObjectMapper json = new ObjectMapper();
            // Two values for one key could be read differently by different tools: refuse them.
            json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
            return json.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ModelFolderException(shown + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Graphs present, graphs revision and precision supported. */
    private static void checkStructure(String file, ModelManifest m) throws ModelFolderException {
        int revision = m.graphsRevision() == null ? 1 : m.graphsRevision();
        if (revision < ModelManifest.MIN_GRAPHS_REVISION || revision > ModelManifest.MAX_GRAPHS_REVISION) {
            throw new ModelFolderException(file + ": graphs revision " + revision + " was written by "
                    + (revision < ModelManifest.MIN_GRAPHS_REVISION ? "an older" : "a newer") + " exporter ("
                    + m.producer() + "); this SDK runs revisions " + ModelManifest.MIN_GRAPHS_REVISION + "–"
                    + ModelManifest.MAX_GRAPHS_REVISION + " (one decoder graph shared by prefill and steps) — export"
                    + " the checkpoint again with this version's exporter");
        }
        for (String g : ModelManifest.GRAPHS) {
            if (!m.graphs().containsKey(g)) {
                throw new ModelFolderException(file + " lists no graph '" + g + "'; re-export the model");
            }
        }
        if (m.precision() != null && !ModelManifest.PRECISIONS.contains(m.precision())) {
            throw new ModelFolderException(file + ": precision '" + m.precision() + "' is not one this SDK runs "
                    + ModelManifest.PRECISIONS + "; export the checkpoint again with this version's exporter");
        }
    }

    /** Every path the manifest refers to outside the file list, by field path. */
    private static Map<String, String> references(ModelManifest m) {
        Map<String, String> refs = new LinkedHashMap<>();
        for (String g : ModelManifest.GRAPHS) {
            ModelManifest.Graph graph = m.graphs().get(g);
            refs.put("graphs." + g + ".file", graph.file());
            if (graph.dataFiles() != null) {
                for (int i = 0; i < graph.dataFiles().size(); i++) {
                    refs.put("graphs." + g + ".data_files[" + i + "]", graph.dataFiles().get(i));
                }
            }
        }
        refs.put("tokenizer.file", m.tokenizer().file());
        if (m.tokenizer().extraFiles() != null) {
            for (int i = 0; i < m.tokenizer().extraFiles().size(); i++) {
                refs.put("tokenizer.extra_files[" + i + "]", m.tokenizer().extraFiles().get(i));
            }
        }
        return refs;
    }

    /**
     * Why {@code rel} is not a plain relative path inside a folder, or null when it is one: segments separated by
     * '/', none empty, '.' or '..', no backslash, colon or control character (portable, and never a drive letter,
     * an absolute path or a way up).
     */
    static String syntaxProblem(String rel) {
        if (rel.isEmpty()) {
            return "is empty";
        }
        if (rel.startsWith("/") || rel.startsWith("\\")
                || rel.length() > 1 && rel.charAt(1) == ':' && Character.isLetter(rel.charAt(0))) {
            return "is an absolute path";
        }
        for (int i = 0; i < rel.length(); i++) {
            char c = rel.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "contains a control character";
            }
            if (c == '\\') {
                return "contains a backslash (folders are separated by '/')";
            }
            if (c == ':') {
                return "contains ':'";
            }
        }
        for (String seg : rel.split("/", -1)) {
            if (seg.equals("..")) {
                return "contains '..'";
            }
            if (seg.isEmpty() || seg.equals(".")) {
                return "has an empty or '.' segment";
            }
        }
        return null;
    }

    private static void syntax(String file, String field, String rel) throws ModelFolderException {
        String problem = syntaxProblem(rel);
        if (problem != null) {
            throw new ModelFolderException(file + ": " + field + " '" + rel + "' " + problem + "; every path in the"
                    + " manifest must name a file inside the model folder, relative to it");
        }
    }

    /**
     * The real path of {@code rel} under the folder, which must lie inside the folder's real path {@code root}
     * (a symbolic link anywhere on the way may not lead out) and be a regular file.
     */
    static Path confine(Path root, Path folder, String rel, String what) throws ModelFolderException {
        Path real;
        try {
            real = folder.resolve(rel).toRealPath();
        } catch (IOException e) {
            throw new ModelFolderException(folder + ": " + what + " " + rel + " is missing or cannot be read ("
                    + e.getMessage() + "); the folder is incomplete — re-export or copy it again", e);
        }
        if (!real.startsWith(root)) {
            throw new ModelFolderException(folder + ": " + what + " " + rel + " resolves to " + real + ", outside"
                    + " the model folder " + root + " (a symbolic link leads out of it); the SDK reads only files"
                    + " inside the folder — copy the file into the folder instead of linking it");
        }
        if (!Files.isRegularFile(real)) {
            throw new ModelFolderException(folder + ": " + what + " " + rel + " is not a regular file");
        }
        return real;
    }

    /** {@link #confine} for a file of the list: a missing one gets the "missing or has the wrong size" message. */
    private static Path confineListed(Path root, Path folder, ModelManifest.FileEntry f) throws ModelFolderException {
        if (!Files.exists(folder.resolve(f.path()), LinkOption.NOFOLLOW_LINKS)
                || !Files.exists(folder.resolve(f.path()))) {
            throw missingOrResized(folder, f);
        }
        return confine(root, folder, f.path(), "file");
    }

    private static ModelFolderException missingOrResized(Path folder, ModelManifest.FileEntry f) {
        return new ModelFolderException(folder + ": file " + f.path() + " is missing or has the wrong size"
                + " (manifest: " + f.bytes() + " bytes); the folder is incomplete or was modified — re-export or"
                + " copy it again");
    }

    /** Sizes always; hashes per {@code integrity}. */
    private static void verify(Path folder, ModelManifest m, Map<String, Path> files, IntegrityCheck integrity)
            throws ModelFolderException {
        for (ModelManifest.FileEntry f : m.files()) {
            Path real = files.get(f.path());
            try {
                if (Files.size(real) != f.bytes()) {
                    throw missingOrResized(folder, f);
                }
            } catch (IOException e) {
                throw new ModelFolderException(real + " cannot be read: " + e.getMessage(), e);
            }
        }
        if (integrity == IntegrityCheck.SIZES) {
            return;
        }
        for (ModelManifest.FileEntry f : m.files()) {
            Path real = files.get(f.path());
            if (integrity == IntegrityCheck.FULL || f.bytes() <= FileDigests.FULL_HASH_LIMIT) {
                compareFull(folder, f, real);
            } else if (f.sampleSha256() != null) {
                String actual;
                try {
                    actual = FileDigests.sampledSha256(real);
                } catch (IOException e) {
                    throw new ModelFolderException(real + " cannot be read: " + e.getMessage(), e);
                }
                if (!actual.equalsIgnoreCase(f.sampleSha256())) {
                    throw new ModelFolderException(folder + ": sampled checksum of " + f.path() + " does not match"
                            + " the manifest (sample_sha256); the file is corrupt or was modified — re-export or"
                            + " copy it again");
                }
            }
        }
    }

    private static void compareFull(Path folder, ModelManifest.FileEntry f, Path real) throws ModelFolderException {
        String actual;
        try {
            actual = FileDigests.sha256(real);
        } catch (IOException e) {
            throw new ModelFolderException(real + " cannot be read: " + e.getMessage(), e);
        }
        if (!actual.equalsIgnoreCase(f.sha256())) {
            throw new ModelFolderException(folder + ": checksum of " + f.path() + " does not match the manifest;"
                    + " the file is corrupt — re-export or copy it again");
        }
    }

    /**
     * The folder as given (absolute, normalised; symbolic links not resolved).
     * @return the folder's path
     */
    public Path path() {
        return path;
    }

    /**
     * The validated manifest.
     * @return the manifest
     */
    public ModelManifest manifest() {
        return manifest;
    }

    /**
     * The checked real path of graph {@code name} (one of {@link ModelManifest#GRAPHS}).
     *
     * @param name the graph's name in the manifest
     * @return the graph file
     * @throws IllegalArgumentException if the manifest lists no such graph
     */
    public Path graph(String name) {
        ModelManifest.Graph g = manifest.graphs().get(name);
        if (g == null) {
            throw new IllegalArgumentException("no graph " + name);
        }
        return files.get(g.file());
    }

    /**
     * The checked real path of {@code tokenizer.json}.
     * @return the tokenizer file
     */
    public Path tokenizerFile() {
        return files.get(manifest.tokenizer().file());
    }

    /**
     * Re-hashes every file (reads the whole folder: seconds for the real 15 GB model) and compares with the manifest's
     * SHA-256. Each path is confined to the folder again first, so a symbolic link put in after {@link #open} is
     * refused, not followed.
     * @throws ModelFolderException naming the first file whose checksum or place is wrong
     */
    public void verifyChecksums() throws ModelFolderException {
        for (ModelManifest.FileEntry f : manifest.files()) {
            compareFull(path, f, confineListed(root, path, f));
        }
    }

    /**
     * SHA-256 of manifest.json: identifies the exact model in image metadata.
     *
     * @return the lower-case hex SHA-256
     * @throws ModelFolderException if manifest.json cannot be read
     */
    public String manifestChecksum() throws ModelFolderException {
        Path real = confine(root, path, ModelManifest.FILE_NAME, "the manifest");
        try {
            return FileDigests.sha256(real);
        } catch (IOException e) {
            throw new ModelFolderException(real + " cannot be read: " + e.getMessage(), e);
        }
    }
}
