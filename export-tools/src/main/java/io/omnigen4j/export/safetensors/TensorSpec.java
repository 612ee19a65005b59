package io.omnigen4j.export.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor declared to a {@link SafetensorsWriter} before any data is written: name, element type and shape.
 *
 * <p>The writer needs every declaration up front because the safetensors header (which holds all offsets) comes
 * first in the file; declaring first is what lets the data be streamed afterwards with bounded memory.
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved for the header metadata, not a tensor name");
        }
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in "
                        + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape)
                        + " overflows a 64-bit element count");
            }
        }
        try {
            Math.multiplyExact(n, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' byte size overflows 64 bits");
        }
    }

    /** Shorthand: {@code TensorSpec.of("w", DType.F32, 64, 4, 2, 2)}. */
    public static TensorSpec of(String name, DType dtype, long... shape) {
        return new TensorSpec(name, dtype, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Bytes the tensor occupies in the data section: dtype size × element count. */
    public long byteLength() {
        return elementCount() * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
