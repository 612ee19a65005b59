package io.omnigen4j.sdk.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** An exported model folder and its manifest. */
public record ModelFolder(Path path, ModelManifest manifest) {

    public static ModelFolder open(Path path) throws ModelFolderException {
        Path p = path.toAbsolutePath().normalize();
        return new ModelFolder(p, ModelManifest.read(p));
    }

    public Path graph(String name) {
        return path.resolve(manifest.graphs().get(name).file());
    }

    public Path tokenizerFile() {
        return path.resolve(manifest.tokenizer().file());
    }

    /** Re-hashes every file (reads the whole folder: seconds for the real 15 GB model) and compares. */
    public void verifyChecksums() throws ModelFolderException {
        if (manifest.files() == null) {
            return;
        }
        for (ModelManifest.FileEntry f : manifest.files()) {
            String actual = sha256(path.resolve(f.path()));
            if (!actual.equalsIgnoreCase(f.sha256())) {
                throw new ModelFolderException(path + ": checksum of " + f.path() + " does not match the manifest;"
                        + " the file is corrupt — re-export or copy it again");
            }
        }
    }

    /** SHA-256 of manifest.json: identifies the exact model in image metadata. */
    public String manifestChecksum() throws ModelFolderException {
        return sha256(path.resolve(ModelManifest.FILE_NAME));
    }

    static String sha256(Path p) throws ModelFolderException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelFolderException(p + " cannot be read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
