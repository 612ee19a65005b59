package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;

import java.nio.FloatBuffer;

/**
 * The tensors of one generation that live for the whole call (condition K/V, latents, step inputs and outputs),
 * allocated once and passed to ONNX Runtime as graph inputs and as pre-allocated ("pinned") outputs, which the
 * graphs write in place. A host store keeps them in host memory, which ONNX Runtime copies to a GPU provider at every
 * run (the copying path); a device store keeps them in the provider's memory, so that per step only the latents go
 * in and the velocity comes out. Every copy between the host and the store's memory is counted in {@link
 * #transfers()}. Indices and lengths are in elements. Not thread-safe: one generation uses it. Closing it frees
 * every tensor it allocated.
 */
public interface TensorStore extends AutoCloseable {

    /**
     * {@return whether this store's tensors live in the execution provider's memory (the device path); false for
     * the copying path}
     */
    boolean deviceResident();

    /** {@return a short description for logs, such as {@code "device tensors (CPU allocator)"}} */
    String description();

    /**
     * Allocates a tensor owned by this store; its content is undefined until written.
     *
     * @param type  {@link OnnxJavaType#FLOAT} or {@link OnnxJavaType#INT64}
     * @param shape the shape, every dimension ≥ 1
     * @return the tensor
     * @throws OrtException when ONNX Runtime cannot create it
     * @throws IllegalArgumentException for another type, a dimension below 1, or more elements than the store holds
     */
    StoreTensor allocate(OnnxJavaType type, long... shape) throws OrtException;

    /**
     * Copies host floats into a float tensor of this store (counted as host to device when the store is on the
     * device).
     *
     * @param dst      a float tensor of this store
     * @param dstIndex first element written
     * @param src      the values
     * @param offset   first value of {@code src}
     * @param length   how many values
     */
    void write(StoreTensor dst, long dstIndex, float[] src, int offset, int length);

    /**
     * As {@link #write(StoreTensor, long, float[], int, int)} from a buffer (absolute indices; its position is not
     * changed).
     *
     * @param dst      a float tensor of this store
     * @param dstIndex first element written
     * @param src      the values
     * @param offset   first value of {@code src}
     * @param length   how many values
     */
    void write(StoreTensor dst, long dstIndex, FloatBuffer src, int offset, int length);

    /**
     * Copies host longs into an int64 tensor of this store.
     *
     * @param dst      an int64 tensor of this store
     * @param dstIndex first element written
     * @param src      the values
     * @param offset   first value of {@code src}
     * @param length   how many values
     */
    void write(StoreTensor dst, long dstIndex, long[] src, int offset, int length);

    /**
     * Copies floats of a tensor of this store to the host (counted as device to host when the store is on the
     * device).
     *
     * @param src      a float tensor of this store
     * @param srcIndex first element read
     * @param dst      where the values go
     * @param offset   first element of {@code dst} written
     * @param length   how many values
     */
    void read(StoreTensor src, long srcIndex, float[] dst, int offset, int length);

    /**
     * Copies floats between two tensors of this store, inside the store's memory (no host transfer).
     *
     * @param src      a float tensor of this store
     * @param srcIndex first element read
     * @param dst      a float tensor of this store
     * @param dstIndex first element written
     * @param length   how many values
     */
    void copy(StoreTensor src, long srcIndex, StoreTensor dst, long dstIndex, long length);

    /**
     * Whether ONNX Runtime finds {@code value} in the provider's memory: a tensor of a device store. Graph inputs
     * and pinned outputs it does not hold are copied by ONNX Runtime (and counted so by {@link #transfers()}).
     *
     * @param value a graph input or output
     * @return whether it is one of this store's device-resident tensors
     */
    boolean holds(OnnxTensorLike value);

    /** {@return the transfer counters of this store's generation, by phase} */
    TransferLog transfers();

    /** Frees every tensor this store allocated. */
    @Override
    void close();
}
