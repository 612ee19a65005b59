package io.omnigen4j.export.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Set;

/**
 * Named tensors read lazily, a byte range at a time: one safetensors file, a sharded set of them, or a renaming
 * view over another store. Graph builders read through this interface so that the checkpoint's file layout (one
 * file or shards, original or diffusers names) never changes what they see. Implementations map their data
 * read-only and keep no tensor on the heap.
 */
public interface TensorStore extends AutoCloseable {

    /**
     * The file (or index file) that errors name.
     *
     * @return its path
     */
    Path path();

    /**
     * The tensors held.
     *
     * @return their names, in a stable order
     */
    Set<String> names();

    /**
     * Whether tensor {@code name} is present.
     *
     * @param name tensor name as this store exposes it
     * @return true when {@link #info(String)} succeeds for it
     */
    boolean contains(String name);

    /**
     * The header entry of tensor {@code name}; its {@code begin}/{@code end} are only meaningful to the store.
     *
     * @param name tensor name as this store exposes it
     * @return dtype and shape of the tensor
     * @throws SafetensorsException when there is no such tensor
     */
    TensorInfo info(String name) throws SafetensorsException;

    /**
     * Bytes {@code [offset, offset + length)} of tensor {@code name}'s little-endian data, read-only.
     *
     * @param name   tensor name as this store exposes it
     * @param offset first byte, relative to the tensor's first byte
     * @param length number of bytes (at most {@link Integer#MAX_VALUE})
     * @return a buffer positioned at 0 in little-endian order
     * @throws IOException when the data cannot be mapped
     */
    ByteBuffer slice(String name, long offset, long length) throws IOException;

    /**
     * The whole tensor's bytes (see {@link #slice}); tensors over 2 GB must be read with {@code slice}.
     *
     * @param name tensor name as this store exposes it
     * @return a buffer positioned at 0 in little-endian order
     * @throws IOException when the tensor is missing, too large or cannot be mapped
     */
    default ByteBuffer data(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path() + ": tensor '" + name + "' is " + t.byteLength()
                    + " bytes; tensors over 2 GB must be read with slice()");
        }
        return slice(name, 0, t.byteLength());
    }

    /**
     * How errors should name tensor {@code name}: the quoted name, plus where a view found it (a renaming view
     * adds the stored names, so a user can find the tensor in the files they have).
     *
     * @param name tensor name as this store exposes it
     * @return text for error messages
     */
    default String describe(String name) {
        return "'" + name + "'";
    }

    /** Releases the underlying files; buffers already handed out stay valid until garbage-collected. */
    @Override
    void close() throws IOException;
}
