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

    /**
     * The float32 elements in memory, for transforms that need a whole (small) tensor at once; fails if the stream
     * does not hold exactly {@link #elementCount()} floats.
     */
    default float[] toFloatArray() throws IOException {
        if (type() != OnnxType.FLOAT) {
            throw new IllegalArgumentException("not a float tensor: " + type());
        }
        float[] out = new float[Math.toIntExact(elementCount())];
        int[] pos = {0};
        writeTo(chunk -> {
            ByteBuffer b = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = b.remaining() / Float.BYTES;
            if (b.remaining() % Float.BYTES != 0 || pos[0] + n > out.length) {
                throw new IOException("tensor streamed more bytes than its shape " + Arrays.toString(shape()));
            }
            b.asFloatBuffer().get(out, pos[0], n);
            pos[0] += n;
        });
        if (pos[0] != out.length) {
            throw new IOException("tensor streamed " + pos[0] + " values, expected " + out.length);
        }
        return out;
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
