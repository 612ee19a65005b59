package io.omnigen4j.export.safetensors;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A weight holds NaN or ±Infinity. Readers check every value they convert (in the same pass that writes it, so a
 * 15 GB checkpoint is not read twice): a model with such a weight exports fine but generates black or noise images.
 */
public final class NonFiniteValueException extends SafetensorsException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final long index;

    private NonFiniteValueException(Path file, String tensor, String described, long index, long[] shape,
                                    float value) {
        super(file + ": tensor " + described + " holds " + name(value) + " at element " + index
                + (shape.length > 1 ? " (index " + Arrays.toString(unravel(index, shape)) + " of shape "
                + Arrays.toString(shape) + ")" : "") + "; a model with NaN or infinite weights generates black or"
                + " noise images. The checkpoint is damaged or was saved from a diverged training run: download"
                + " it again or use another one");
        this.file = file;
        this.tensor = tensor;
        this.index = index;
    }

    /**
     * The error for element {@code index} of tensor {@code name} in {@code store}.
     *
     * @param store where the tensor was read (its path and {@link TensorStore#describe} name the tensor)
     * @param name  tensor name as the store exposes it
     * @param index flat index (row-major, as stored) of the first non-finite element
     * @param value the value found there
     * @return the exception
     * @throws SafetensorsException when the tensor is not in the store
     */
    public static NonFiniteValueException of(TensorStore store, String name, long index, float value)
            throws SafetensorsException {
        return new NonFiniteValueException(store.path(), name, store.describe(name), index,
                store.info(name).shape(), value);
    }

    /**
     * An int whose sign bit is set exactly when one of {@code values[0, count)} is NaN or infinite (all exponent bits
     * set). Integer OR over the bits in one tight loop, which the JIT vectorises: run it on a chunk just converted,
     * while it is in cache, instead of testing every value inside the conversion loop.
     *
     * @param values the values
     * @param count  how many, from index 0
     * @return negative when a value is NaN or ±Infinity, ≥ 0 otherwise
     */
    public static int exponentFlags(float[] values, int count) {
        int flags = 0;
        for (int i = 0; i < count; i++) {
            flags |= (Float.floatToRawIntBits(values[i]) & 0x7F800000) + 0x00800000;
        }
        return flags;
    }

    /**
     * Index of the first non-finite value among elements {@code [0, count)} of a little-endian F32, F16 or BF16
     * buffer (used on the error path to find the first bad element in stored order).
     *
     * @param dtype the buffer's element type
     * @param b     the data, element 0 at byte 0
     * @param count elements to look at
     * @return the element index, or -1 when all are finite
     */
    public static int firstNonFinite(DType dtype, ByteBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(SafetensorsFile.floatAt(dtype, b, i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The file the tensor was read from (the index file for sharded weights).
     *
     * @return its path
     */
    public Path file() {
        return file;
    }

    /**
     * The tensor holding the value.
     *
     * @return the name as the store exposes it
     */
    public String tensor() {
        return tensor;
    }

    /**
     * Where the first non-finite value is.
     *
     * @return the flat (row-major) element index
     */
    public long index() {
        return index;
    }

    private static String name(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity";
    }

    private static long[] unravel(long index, long[] shape) {
        long[] out = new long[shape.length];
        long rest = index;
        for (int i = shape.length - 1; i >= 0; i--) {
            long d = Math.max(1, shape[i]);
            out[i] = rest % d;
            rest /= d;
        }
        return out;
    }
}
