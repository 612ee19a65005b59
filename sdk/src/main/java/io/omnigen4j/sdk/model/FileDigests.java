package io.omnigen4j.sdk.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The two checksums a manifest records per file: SHA-256 of the whole file, and {@code sample_sha256}, SHA-256 of
 * {@value #WINDOWS} windows of {@value #WINDOW} bytes at offsets {@code floor(i·(size−WINDOW)/(WINDOWS−1))},
 * i = 0…WINDOWS−1 (the first at the start, the last ending at the end), concatenated in that order; a file of at
 * most WINDOWS·WINDOW bytes is hashed whole. The exporter computes the same (format: {@code onnx-models/README.md}).
 */
final class FileDigests {

    /** Bytes per sampled window. */
    static final int WINDOW = 64 * 1024;
    /** Windows per sampled file. */
    static final int WINDOWS = 16;
    /** Files up to this size are hashed whole at the default {@link IntegrityCheck#SAMPLED} level (4 MiB). */
    static final long FULL_HASH_LIMIT = 4L << 20;

    private FileDigests() {
    }

    /** Hex SHA-256 of the whole file. */
    static String sha256(Path p) throws IOException {
        MessageDigest md = sha();
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex {@code sample_sha256} of the file (see the class comment). */
    static String sampledSha256(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size <= (long) WINDOW * WINDOWS) {
                return sha256(p);
            }
            MessageDigest md = sha();
            ByteBuffer buf = ByteBuffer.allocate(WINDOW);
            for (int i = 0; i < WINDOWS; i++) {
                long offset = windowOffset(size, i);
                buf.clear();
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        throw new IOException(p + " ended while it was being read (it is being modified?)");
                    }
                }
                buf.flip();
                md.update(buf);
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }

    /** Start of window {@code i} in a file of {@code size} bytes (size > WINDOW·WINDOWS). */
    static long windowOffset(long size, int i) {
        // (size − WINDOW)·i fits in a long for any file size below 2^59 bytes.
        return (size - WINDOW) * i / (WINDOWS - 1);
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
