package io.omnigen4j.export.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The content of an initializer, produced on demand so that a multi-GB checkpoint streams through the exporter
 * with bounded heap: {@link #writeTo} emits the little-endian bytes in chunks.
 */
public interface TensorData {

    OnnxType type();

    long[] shape();

    /** Streams the little-endian element bytes to {@code sink}, in order. */
    void writeTo(ByteSink sink) throws IOException;

    default long elementCount() {
        long n = 1;
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    default long byteLength() {
        return Math.multiplyExact(elementCount(), (long) type().byteSize());
    }

    /** Receives chunks of bytes (position to limit). */
    @FunctionalInterface
    interface ByteSink {
        void accept(ByteBuffer chunk) throws IOException;
    }

    static TensorData ofFloats(float[] values, long... shape) {
        checkCount(values.length, shape);
        long[] s = shape.clone();
        return new TensorData() {
            public OnnxType type() {
                return OnnxType.FLOAT;
            }

            public long[] shape() {
                return s.clone();
            }

            public void writeTo(ByteSink sink) throws IOException {
                ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                sink.accept(b);
            }
        };
    }

    static TensorData ofLongs(long[] values, long... shape) {
        checkCount(values.length, shape);
        long[] s = shape.clone();
        return new TensorData() {
            public OnnxType type() {
                return OnnxType.INT64;
            }

            public long[] shape() {
                return s.clone();
            }

            public void writeTo(ByteSink sink) throws IOException {
                ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                b.asLongBuffer().put(values);
                sink.accept(b);
            }
        };
    }

    private static void checkCount(int n, long[] shape) {
        long c = 1;
        for (long d : shape) {
            c *= d;
        }
        if (c != n) {
            throw new IllegalArgumentException(n + " values do not fill shape " + Arrays.toString(shape));
        }
    }
}
