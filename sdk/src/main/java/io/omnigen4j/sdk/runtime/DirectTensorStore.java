package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;

/**
 * A store over direct buffers in CPU memory, which ONNX Runtime's Java API wraps without copying. As the copying
 * path ({@code device} false) it is host memory: nothing it holds is in a GPU provider's memory, and its own writes
 * and reads are host-to-host. As the device path with the CPU allocator ({@code device} true) it is the provider's
 * memory of the CPU provider: the same code path as a GPU allocator, with its writes and reads counted as transfers.
 */
final class DirectTensorStore implements TensorStore {

    private final OrtEnvironment env;
    private final boolean device;
    private final TransferLog log = new TransferLog();
    private final Set<OnnxTensor> held = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Direct> all = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    DirectTensorStore(OrtEnvironment env, boolean device) {
        this.env = Objects.requireNonNull(env, "env");
        this.device = device;
    }

    /** A tensor over a direct buffer (a FloatBuffer or LongBuffer view in native order). */
    private record Direct(OnnxTensor tensor, OnnxJavaType type, long[] shape, long elements, Buffer buffer)
            implements StoreTensor {
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    @Override
    public boolean deviceResident() {
        return device;
    }

    @Override
    public String description() {
        return device ? "device tensors (CPU allocator)" : "host tensors (copying path)";
    }

    @Override
    public StoreTensor allocate(OnnxJavaType type, long... shape) throws OrtException {
        if (closed) {
            throw new IllegalStateException("this tensor store is closed");
        }
        if (type != OnnxJavaType.FLOAT && type != OnnxJavaType.INT64) {
            throw new IllegalArgumentException("a tensor store holds FLOAT or INT64 tensors, not " + type);
        }
        long n = 1;
        for (long d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor dimensions must be ≥ 1, got " + java.util.Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n * type.size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a CPU tensor store holds at most 2 GiB per tensor; "
                    + java.util.Arrays.toString(shape) + " of " + type + " needs " + n * type.size + " bytes");
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect((int) (n * type.size)).order(ByteOrder.nativeOrder());
        OnnxTensor t;
        Buffer view;
        if (type == OnnxJavaType.FLOAT) {
            FloatBuffer f = bytes.asFloatBuffer();
            t = OnnxTensor.createTensor(env, f, shape);
            view = f;
        } else {
            LongBuffer l = bytes.asLongBuffer();
            t = OnnxTensor.createTensor(env, l, shape);
            view = l;
        }
        Direct d = new Direct(t, type, shape.clone(), n, view);
        all.add(d);
        if (device) {
            held.add(t);
        }
        return d;
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, float[] src, int offset, int length) {
        floats(dst).put(index(dst, dstIndex, length), src, offset, length);
        count(true, length * 4L);
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, FloatBuffer src, int offset, int length) {
        floats(dst).put(index(dst, dstIndex, length), src, offset, length);
        count(true, length * 4L);
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, long[] src, int offset, int length) {
        Direct d = own(dst, OnnxJavaType.INT64);
        ((LongBuffer) d.buffer()).put(index(dst, dstIndex, length), src, offset, length);
        count(true, length * 8L);
    }

    @Override
    public void read(StoreTensor src, long srcIndex, float[] dst, int offset, int length) {
        floats(src).get(index(src, srcIndex, length), dst, offset, length);
        count(false, length * 4L);
    }

    @Override
    public void copy(StoreTensor src, long srcIndex, StoreTensor dst, long dstIndex, long length) {
        int n = Math.toIntExact(length);
        floats(dst).put(index(dst, dstIndex, n), floats(src), index(src, srcIndex, n), n);
    }

    @Override
    public boolean holds(OnnxTensorLike value) {
        return value instanceof OnnxTensor t && held.contains(t);
    }

    @Override
    public TransferLog transfers() {
        return log;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Direct d : all) {
            d.tensor().close();
        }
        all.clear();
        held.clear();
    }

    private void count(boolean toDevice, long bytes) {
        if (!device) {
            return; // host memory to host memory: no provider transfer
        }
        if (toDevice) {
            log.hostToDevice(bytes);
        } else {
            log.deviceToHost(bytes);
        }
    }

    private Direct own(StoreTensor t, OnnxJavaType type) {
        if (!(t instanceof Direct d) || !all.contains(d)) {
            throw new IllegalArgumentException("the tensor was not allocated by this store (or the store is closed)");
        }
        if (d.type() != type) {
            throw new IllegalArgumentException("expected a " + type + " tensor, got " + d.type());
        }
        return d;
    }

    private FloatBuffer floats(StoreTensor t) {
        return (FloatBuffer) own(t, OnnxJavaType.FLOAT).buffer();
    }

    private static int index(StoreTensor t, long index, long length) {
        if (index < 0 || length < 0 || index + length > t.elements()) {
            throw new IndexOutOfBoundsException("elements [" + index + ", " + (index + length) + ") outside a tensor of "
                    + t.elements());
        }
        return (int) index;
    }
}
