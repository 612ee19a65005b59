package io.omnigen4j.export.manifest;

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
 * The manifest's {@code sample_sha256} of a file: SHA-256 over {@value #WINDOWS} windows of {@value #WINDOW} bytes at
 * offsets {@code floor(i·(size−WINDOW)/(WINDOWS−1))}, i = 0…WINDOWS−1, concatenated in order; a file of at most
 * WINDOWS·WINDOW bytes is hashed whole. The SDK checks it at every load (1 MiB read per file, whatever its size),
 * so a weight file changed in place is found without re-reading 15 GB. Format: {@code onnx-models/README.md}; the
 * SDK's reader ({@code io.omnigen4j.sdk.model.FileDigests}) must compute the same, which its tests check.
 */
public final class SampledDigest {

    /** Bytes per window. */
    public static final int WINDOW = 64 * 1024;
    /** Windows per file. */
    public static final int WINDOWS = 16;

    private SampledDigest() {
    }

    /** Hex {@code sample_sha256} of {@code file}. */
    public static String of(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size <= (long) WINDOW * WINDOWS) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                return HexFormat.of().formatHex(md.digest());
            }
            ByteBuffer buf = ByteBuffer.allocate(WINDOW);
            for (int i = 0; i < WINDOWS; i++) {
                long offset = (size - WINDOW) * i / (WINDOWS - 1);
                buf.clear();
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        throw new IOException(file + " ended while it was being read");
                    }
                }
                buf.flip();
                md.update(buf);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
