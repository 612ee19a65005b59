package io.omnigen4j.export.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * An ONNX external-data side file that several graphs of one export may share: each tensor is appended once
 * (keyed by its content key) at an offset aligned to {@link #ALIGNMENT}, so ONNX Runtime can memory-map it and
 * graphs that use the same weights (prefill and step) point at the same bytes. Streams; never holds a tensor
 * in memory. Computes the SHA-256 of the file as it is written.
 */
public final class ExternalDataFile implements AutoCloseable {

    /** 64 KiB: the largest allocation granularity ORT maps on (Windows); a page on Linux is 4 KiB. */
    public static final int ALIGNMENT = 64 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final MessageDigest sha256;
    private final Map<String, long[]> placed = new HashMap<>();
    private long position;

    public ExternalDataFile(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path path() {
        return path;
    }

    /** File name as graphs reference it (relative to the graph's folder). */
    public String location() {
        return path.getFileName().toString();
    }

    /** Appends {@code data} unless {@code key} was written before; returns {offset, length}. */
    public long[] put(String key, TensorData data) throws IOException {
        long[] known = key == null ? null : placed.get(key);
        if (known != null) {
            if (known[1] != data.byteLength()) {
                throw new IllegalStateException("weight key " + key + " reused with a different size");
            }
            return known;
        }
        long pad = (ALIGNMENT - (position % ALIGNMENT)) % ALIGNMENT;
        if (pad > 0) {
            writeBytes(ByteBuffer.allocate((int) pad));
        }
        long offset = position;
        long expected = data.byteLength();
        data.writeTo(this::writeBytes);
        long written = position - offset;
        if (written != expected) {
            throw new IllegalStateException("tensor " + key + " produced " + written + " bytes, expected " + expected);
        }
        long[] loc = {offset, written};
        if (key != null) {
            placed.put(key, loc);
        }
        return loc;
    }

    private void writeBytes(ByteBuffer chunk) throws IOException {
        ByteBuffer dup = chunk.duplicate();
        sha256.update(dup);
        while (chunk.hasRemaining()) {
            position += channel.write(chunk);
        }
    }

    public long size() {
        return position;
    }

    /** Hex SHA-256 of everything written so far (call after the last put). */
    public String sha256() {
        try {
            MessageDigest copy = (MessageDigest) sha256.clone();
            return HexFormat.of().formatHex(copy.digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.force(false);
        channel.close();
    }
}
