package io.omnigen4j.export.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a safetensors file with bounded memory: all tensors are declared up front (the header with every offset
 * comes first in the format), then their data is supplied tensor by tensor, in declaration order, whole or in
 * chunks. Nothing is buffered beyond one small conversion buffer, so multi-GB checkpoints need no heap.
 *
 * <p>Layout: 8-byte little-endian header length N, N bytes of compact JSON padded with spaces so that the data
 * section starts at a multiple of 8, then the tensors back to back in declaration order.
 *
 * <p>The data goes to a hidden temporary file in the target's folder; {@link #finish()} (or {@link #close()} once
 * every tensor is complete) flushes it to disk and atomically renames it to the target, so readers never see a
 * half-written file. Any error (a wrong size, an unknown or out-of-order name, an I/O failure, an exception from a
 * {@link FloatSource}) deletes the temporary file and leaves the writer unusable; the target is untouched.
 *
 * <p>Not thread-safe.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** Supplies float values for a tensor chunk by chunk; converted to the tensor's F32, F16 or BF16 dtype. */
    @FunctionalInterface
    public interface FloatSource {
        /**
         * Fills {@code dst[0..count)} with elements {@code first .. first+count-1} of the tensor (row-major).
         * Called with increasing {@code first}, covering the tensor exactly once.
         */
        void fill(long first, float[] dst, int count) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final int CHUNK_ELEMENTS = 1 << 16;

    private enum State { OPEN, FINISHED, FAILED }

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final List<TensorSpec> specs;
    private final Map<String, Integer> index;
    private final long dataStart;
    private final long fileSize;
    private int current;         // index of the tensor being written (or next to write)
    private long currentWritten; // bytes of tensor `current` already written
    private State state = State.OPEN;
    private ByteBuffer scratch;
    private float[] floatScratch;

    private SafetensorsWriter(Path target, Path temp, FileChannel channel, List<TensorSpec> specs,
                              Map<String, Integer> index, long dataStart, long fileSize) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.specs = specs;
        this.index = index;
        this.dataStart = dataStart;
        this.fileSize = fileSize;
    }

    /**
     * Declares the tensors (their order is the order of the data section and of the required {@code write} calls)
     * and optional string metadata ({@code __metadata__}, may be empty), and writes the header to a temporary file
     * beside {@code target}. The target's folder must exist.
     */
    public static SafetensorsWriter create(Path target, List<TensorSpec> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new SafetensorsException(target + ": the target folder does not exist");
        }
        List<TensorSpec> specs = List.copyOf(tensors);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            if (index.put(specs.get(i).name(), i) != null) {
                throw new SafetensorsException(target + ": tensor '" + specs.get(i).name() + "' is declared twice");
            }
        }
        byte[] header = headerBytes(target, specs, metadata);
        long dataLen = 0;
        for (TensorSpec s : specs) {
            dataLen = Math.addExact(dataLen, s.byteLength());
        }
        long dataStart = 8L + header.length;
        long fileSize = dataStart + dataLen;

        // Not Files.createTempFile: that makes the file owner-only (0600), and the rename would keep it so.
        Path temp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".partial");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
            ByteBuffer head = ByteBuffer.allocate(header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            writeFully(ch, head);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
                Files.deleteIfExists(temp); // only a file this call created
            }
            throw e;
        }
        SafetensorsWriter w = new SafetensorsWriter(abs, temp, ch, specs, index, dataStart, fileSize);
        w.skipEmptyTensors();
        return w;
    }

    /** Same as {@link #create(Path, List, Map)} without metadata. */
    public static SafetensorsWriter create(Path target, List<TensorSpec> tensors) throws IOException {
        return create(target, tensors, Map.of());
    }

    private static byte[] headerBytes(Path target, List<TensorSpec> specs, Map<String, String> metadata)
            throws SafetensorsException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new SafetensorsException(target + ": __metadata__ keys and values must not be null");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (TensorSpec s : specs) {
            ObjectNode t = root.putObject(s.name());
            t.put("dtype", s.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            long end = offset + s.byteLength();
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new SafetensorsException(target + ": cannot encode the header: " + e.getMessage(), e);
        }
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new SafetensorsException(target + ": header would be " + padded + " bytes, over the "
                    + SafetensorsFile.MAX_HEADER_BYTES + "-byte limit of the format");
        }
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    /** The declared tensors in file order. */
    public List<TensorSpec> tensors() {
        return specs;
    }

    /** Size the finished file will have. */
    public long fileSize() {
        return fileSize;
    }

    /** Offset of the first data byte (8 + padded header length); a multiple of 8. */
    public long dataStart() {
        return dataStart;
    }

    /** Where the file lands on {@link #finish()}. */
    public Path target() {
        return target;
    }

    /**
     * Supplies the whole of tensor {@code name}: {@code data.remaining()} must equal its byte length. The bytes
     * are the raw little-endian element data. Consumes {@code data}.
     */
    public void write(String name, ByteBuffer data) throws IOException {
        TensorSpec s = expect(name);
        if (currentWritten != 0) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' was started with writeChunk; "
                    + "supply the rest with writeChunk"));
        }
        if (data.remaining() != s.byteLength()) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' (" + s.dtype() + " "
                    + java.util.Arrays.toString(s.shape()) + ") needs " + s.byteLength() + " bytes, got "
                    + data.remaining()));
        }
        put(data);
    }

    /**
     * Supplies the next part of tensor {@code name}; the tensor is complete once its byte length has been
     * supplied, after which the next declared tensor is expected. Consumes {@code chunk}.
     */
    public void writeChunk(String name, ByteBuffer chunk) throws IOException {
        TensorSpec s = expect(name);
        long left = s.byteLength() - currentWritten;
        if (chunk.remaining() > left) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' needs " + s.byteLength()
                    + " bytes; this chunk of " + chunk.remaining() + " bytes would overrun it by "
                    + (chunk.remaining() - left)));
        }
        put(chunk);
    }

    /** Supplies tensor {@code name} (F32, F16 or BF16) from float values; F16/BF16 are rounded to nearest-even. */
    public void writeFloats(String name, float[] values) throws IOException {
        TensorSpec s = expect(name);
        if (values.length != s.elementCount()) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' has " + s.elementCount()
                    + " elements, got " + values.length + " floats"));
        }
        writeFloats(name, (first, dst, count) -> System.arraycopy(values, (int) first, dst, 0, count));
    }

    /**
     * Supplies tensor {@code name} (F32, F16 or BF16) from a {@link FloatSource} that is asked for consecutive
     * chunks; memory use is one chunk whatever the tensor size.
     */
    public void writeFloats(String name, FloatSource source) throws IOException {
        TensorSpec s = expect(name);
        if (!s.dtype().isFloating()) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' is " + s.dtype()
                    + "; writeFloats needs F32, F16 or BF16"));
        }
        if (currentWritten != 0) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' was started with writeChunk"));
        }
        if (floatScratch == null) {
            floatScratch = new float[CHUNK_ELEMENTS];
            scratch = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 4).order(ByteOrder.LITTLE_ENDIAN);
        }
        long n = s.elementCount();
        try {
            for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                int count = (int) Math.min(CHUNK_ELEMENTS, n - first);
                source.fill(first, floatScratch, count);
                scratch.clear();
                switch (s.dtype()) {
                    case F32 -> {
                        for (int i = 0; i < count; i++) {
                            scratch.putFloat(floatScratch[i]);
                        }
                    }
                    case F16 -> {
                        for (int i = 0; i < count; i++) {
                            scratch.putShort(FloatEncoding.toHalf(floatScratch[i]));
                        }
                    }
                    default -> {
                        for (int i = 0; i < count; i++) {
                            scratch.putShort(FloatEncoding.toBf16(floatScratch[i]));
                        }
                    }
                }
                scratch.flip();
                put(scratch);
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    /** Supplies tensor {@code name} (I64) from long values. */
    public void writeLongs(String name, long[] values) throws IOException {
        TensorSpec s = expect(name);
        if (s.dtype() != DType.I64 || values.length != s.elementCount()) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' is " + s + "; writeLongs needs I64 with "
                    + s.elementCount() + " elements, got " + values.length + " longs"));
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        put(b);
    }

    /** Checks the writer is open and {@code name} is the tensor whose data is due now. */
    private TensorSpec expect(String name) throws IOException {
        if (state != State.OPEN) {
            throw new SafetensorsException(target + ": writer is " + (state == State.FINISHED
                    ? "already finished" : "unusable after an earlier error (its temporary file was deleted)"));
        }
        Integer i = index.get(name);
        if (i == null) {
            fail(new SafetensorsException(target + ": tensor '" + name + "' was not declared"));
        }
        if (i != current) {
            String due = current < specs.size() ? "'" + specs.get(current).name() + "'" : "nothing (all written)";
            fail(new SafetensorsException(target + ": tensor '" + name + "' written out of order; "
                    + (i < current ? "it is already complete" : "the next tensor due is " + due)));
        }
        return specs.get(i);
    }

    private void put(ByteBuffer data) throws IOException {
        int n = data.remaining();
        try {
            writeFully(channel, data);
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
        currentWritten += n;
        if (currentWritten == specs.get(current).byteLength()) {
            current++;
            currentWritten = 0;
            skipEmptyTensors();
        }
    }

    /** Zero-byte tensors need no data call; they are complete as soon as they are due. */
    private void skipEmptyTensors() {
        while (current < specs.size() && specs.get(current).byteLength() == 0) {
            current++;
        }
    }

    /** True once every declared tensor has all its bytes. */
    public boolean isComplete() {
        return current == specs.size();
    }

    /**
     * Flushes the file to disk and atomically moves it to the target (replacing an existing file). Every tensor
     * must be complete; otherwise the temporary file is deleted and the missing tensors are named.
     */
    public Path finish() throws IOException {
        if (state == State.FINISHED) {
            return target;
        }
        if (state == State.FAILED) {
            throw new SafetensorsException(target + ": writer is unusable after an earlier error");
        }
        if (!isComplete()) {
            TensorSpec s = specs.get(current);
            fail(new SafetensorsException(target + ": finished before all tensors were written: tensor '"
                    + s.name() + "' has " + currentWritten + " of " + s.byteLength() + " bytes"
                    + (specs.size() - current > 1 ? " and " + (specs.size() - current - 1) + " more are missing" : "")
                    + "; nothing was written to the target"));
        }
        try {
            if (channel.size() != fileSize) {
                throw new SafetensorsException(temp + ": wrote " + channel.size() + " bytes, expected " + fileSize);
            }
            channel.force(true);
            channel.close();
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
        state = State.FINISHED;
        return target;
    }

    /** Deletes the temporary file and makes the writer unusable; the target is untouched. Idempotent. */
    public void abort() {
        if (state == State.OPEN) {
            state = State.FAILED;
            cleanUp();
        }
    }

    /**
     * Finishes if every tensor is complete. If not (typically because an exception is propagating), deletes the
     * temporary file and throws a {@link SafetensorsException} naming the missing data, which try-with-resources
     * attaches as suppressed to the original exception.
     */
    @Override
    public void close() throws IOException {
        if (state == State.OPEN) {
            finish();
        }
    }

    private void fail(Exception e) throws IOException {
        state = State.FAILED;
        cleanUp();
        if (e instanceof IOException io) {
            throw io;
        }
        if (e instanceof RuntimeException re) {
            throw re;
        }
        throw new IOException(e);
    }

    private void cleanUp() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful left to do; the delete below is what matters
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // a stale hidden .partial file is the worst outcome
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Metadata map in the order given, for callers building one inline. */
    public static Map<String, String> metadata(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("metadata needs key/value pairs");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }
}
