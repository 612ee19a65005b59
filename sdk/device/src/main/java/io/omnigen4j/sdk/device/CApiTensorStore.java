package io.omnigen4j.sdk.device;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.omnigen4j.sdk.runtime.StoreTensor;
import io.omnigen4j.sdk.runtime.TensorStore;
import io.omnigen4j.sdk.runtime.TransferLog;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Constructor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A tensor store whose tensors ONNX Runtime allocates through its C API ({@code CreateTensorAsOrtValue}) with the
 * allocator of a session on the provider's device ({@code CreateAllocator}), wrapped as {@link OnnxTensor}s for the Java
 * API. In CPU memory ("Cpu") the store reads and writes the tensors' memory directly; in device memory ("Cuda") every
 * copy goes through {@code CopyTensors} (host ↔ device and device ↔ device), never through a Java buffer. Every write
 * and read is counted as a transfer. Closing releases every tensor, then the allocator, the memory infos and the
 * session that owns the allocator.
 */
final class CApiTensorStore implements TensorStore {

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private final OrtCApi api;
    private final long env;
    private final OrtSession owner;
    private final String memory;
    private final boolean hostAccessible;
    private final MemorySegment memoryInfo, cpuInfo, allocator;
    private final TransferLog log = new TransferLog();
    private final Set<OnnxTensor> held = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<T> all = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    /** A tensor of this store: its OrtValue and the address of its data (in the store's memory). */
    private record T(OnnxTensor tensor, OnnxJavaType type, long[] shape, long elements, long data)
            implements StoreTensor {
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * Takes ownership of {@code owner} (closed with the store).
     *
     * @param memory "Cpu" or "Cuda"
     */
    CApiTensorStore(OrtCApi api, OrtEnvironment env, OrtSession owner, String memory, int deviceId)
            throws OrtException {
        this.api = api;
        this.env = OrtCApi.envHandle(env);
        this.owner = owner;
        this.memory = memory;
        this.hostAccessible = memory.equals("Cpu");
        MemorySegment info = MemorySegment.NULL, cpu = MemorySegment.NULL, alloc = MemorySegment.NULL;
        try {
            info = api.createMemoryInfo(memory, deviceId);
            // The memory info must read back as written: this proves CreateMemoryInfo and MemoryInfoGetName/Id.
            if (!api.memoryInfoName(info).equals(memory) || api.memoryInfoId(info) != deviceId) {
                throw new IllegalStateException("ONNX Runtime's C API does not match this module (memory info "
                        + memory + ":" + deviceId + " reads back as " + api.memoryInfoName(info) + ":"
                        + api.memoryInfoId(info) + ")");
            }
            cpu = hostAccessible ? MemorySegment.NULL : api.createMemoryInfo("Cpu", 0);
            alloc = api.createAllocator(OrtCApi.sessionHandle(owner), info);
            String got = api.memoryInfoName(api.allocatorInfo(alloc));
            if (!got.equals(memory)) {
                throw new IllegalStateException("the session's allocator for " + memory + " reports memory " + got);
            }
        } catch (OrtException | RuntimeException e) {
            release(alloc, cpu, info);
            throw e;
        }
        this.memoryInfo = info;
        this.cpuInfo = cpu;
        this.allocator = alloc;
    }

    private void release(MemorySegment alloc, MemorySegment cpu, MemorySegment info) {
        if (!alloc.equals(MemorySegment.NULL)) {
            api.releaseAllocator(alloc);
        }
        if (!cpu.equals(MemorySegment.NULL)) {
            api.releaseMemoryInfo(cpu);
        }
        if (!info.equals(MemorySegment.NULL)) {
            api.releaseMemoryInfo(info);
        }
    }

    @Override
    public boolean deviceResident() {
        return true;
    }

    @Override
    public String description() {
        return "device tensors (ONNX Runtime C API, " + memory + " memory)";
    }

    /** {@return how many tensors are allocated and not yet freed (tests)} */
    int live() {
        return all.size();
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
                throw new IllegalArgumentException("tensor dimensions must be ≥ 1, got " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        MemorySegment value = api.createTensor(allocator, shape.clone(),
                type == OnnxJavaType.FLOAT ? OrtCApi.TYPE_FLOAT : OrtCApi.TYPE_INT64);
        OnnxTensor t;
        long data;
        try {
            data = api.tensorData(value);
            t = wrap(value.address(), shape.clone(), type);
        } catch (OrtException | RuntimeException e) {
            api.releaseValue(value);
            throw e;
        }
        T s = new T(t, type, shape.clone(), n, data);
        all.add(s);
        held.add(t);
        return s;
    }

    /** The Java API's tensor over our OrtValue: closing it releases the value (ReleaseValue). */
    private OnnxTensor wrap(long value, long[] shape, OnnxJavaType type) {
        try {
            TensorInfo.OnnxTensorType onnx = type == OnnxJavaType.FLOAT
                    ? TensorInfo.OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT
                    : TensorInfo.OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
            Constructor<TensorInfo> ic = TensorInfo.class.getDeclaredConstructor(long[].class, OnnxJavaType.class,
                    TensorInfo.OnnxTensorType.class);
            ic.setAccessible(true);
            TensorInfo info = ic.newInstance(shape, type, onnx);
            Constructor<OnnxTensor> tc = OnnxTensor.class.getDeclaredConstructor(long.class, long.class,
                    TensorInfo.class);
            tc.setAccessible(true);
            return tc.newInstance(value, allocator.address(), info);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot wrap an OrtValue as an OnnxTensor (ONNX Runtime's Java API"
                    + " changed?): " + e, e);
        }
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, float[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        writeFrom(own(dst, OnnxJavaType.FLOAT), dstIndex, MemorySegment.ofArray(src), 4L * offset, length,
                OrtCApi.TYPE_FLOAT);
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, FloatBuffer src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.limit());
        // Straight from the buffer's memory (a mask can be hundreds of MB): no float[] in between.
        writeFrom(own(dst, OnnxJavaType.FLOAT), dstIndex, MemorySegment.ofBuffer(src.duplicate().rewind()),
                4L * offset, length, OrtCApi.TYPE_FLOAT);
    }

    @Override
    public void write(StoreTensor dst, long dstIndex, long[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        writeFrom(own(dst, OnnxJavaType.INT64), dstIndex, MemorySegment.ofArray(src), 8L * offset, length,
                OrtCApi.TYPE_INT64);
    }

    /** Copies {@code length} elements from host memory at byte {@code srcOffset} of {@code src} into {@code d}. */
    private void writeFrom(T d, long dstIndex, MemorySegment src, long srcOffset, int length, int type) {
        check(d, dstIndex, length);
        int size = type == OrtCApi.TYPE_FLOAT ? 4 : 8;
        long bytes = (long) size * length;
        if (hostAccessible) {
            MemorySegment.copy(src, srcOffset, segment(d), dstIndex * size, bytes);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(bytes, 64);
                MemorySegment.copy(src, srcOffset, host, 0, bytes);
                toDevice(host, d.data + dstIndex * size, length, type);
            }
        }
        log.hostToDevice(bytes);
    }

    @Override
    public void read(StoreTensor src, long srcIndex, float[] dst, int offset, int length) {
        T s = own(src, OnnxJavaType.FLOAT);
        check(s, srcIndex, length);
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        if (hostAccessible) {
            MemorySegment.copy(segment(s), F, srcIndex * 4, dst, offset, length);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(4L * length, 64);
                copy(MemorySegment.ofAddress(s.data + srcIndex * 4), memoryInfo, host, cpuInfo, length);
                MemorySegment.copy(host, F, 0, dst, offset, length);
            }
        }
        log.deviceToHost(length * 4L);
    }

    @Override
    public void copy(StoreTensor src, long srcIndex, StoreTensor dst, long dstIndex, long length) {
        T s = own(src, OnnxJavaType.FLOAT), d = own(dst, OnnxJavaType.FLOAT);
        check(s, srcIndex, length);
        check(d, dstIndex, length);
        if (length == 0) {
            return;
        }
        if (hostAccessible) {
            MemorySegment.copy(segment(s), srcIndex * 4, segment(d), dstIndex * 4, length * 4);
        } else {
            copy(MemorySegment.ofAddress(s.data + srcIndex * 4), memoryInfo,
                    MemorySegment.ofAddress(d.data + dstIndex * 4), memoryInfo, length);
        }
    }

    private void toDevice(MemorySegment host, long deviceAddress, long length, int type) {
        if (length == 0) {
            return;
        }
        if (type == OrtCApi.TYPE_FLOAT) {
            copy(host, cpuInfo, MemorySegment.ofAddress(deviceAddress), memoryInfo, length);
        } else {
            copyTyped(host, cpuInfo, MemorySegment.ofAddress(deviceAddress), memoryInfo, length, type, 8);
        }
    }

    private void copy(MemorySegment src, MemorySegment srcInfo, MemorySegment dst, MemorySegment dstInfo, long n) {
        copyTyped(src, srcInfo, dst, dstInfo, n, OrtCApi.TYPE_FLOAT, 4);
    }

    /** CopyTensors between two 1-D views (OrtValues over memory they do not own), released after the copy. */
    private void copyTyped(MemorySegment src, MemorySegment srcInfo, MemorySegment dst, MemorySegment dstInfo,
                           long n, int type, int size) {
        if (n == 0) {
            return;
        }
        List<MemorySegment> views = new ArrayList<>(2);
        try {
            MemorySegment s = api.createTensorWithData(srcInfo, src, n * size, new long[]{n}, type);
            views.add(s);
            MemorySegment d = api.createTensorWithData(dstInfo, dst, n * size, new long[]{n}, type);
            views.add(d);
            api.copyTensor(env, s, d);
        } catch (OrtException e) {
            throw new IllegalStateException("copying " + n + " elements in " + memory + " memory failed: "
                    + e.getMessage(), e);
        } finally {
            views.forEach(api::releaseValue);
        }
    }

    /** Copies through CopyTensors even in CPU memory (tests: the path a GPU takes, run on the CPU). */
    void copyThroughCApi(StoreTensor src, long srcIndex, StoreTensor dst, long dstIndex, long length) {
        T s = own(src, OnnxJavaType.FLOAT), d = own(dst, OnnxJavaType.FLOAT);
        check(s, srcIndex, length);
        check(d, dstIndex, length);
        copy(MemorySegment.ofAddress(s.data + srcIndex * 4), memoryInfo,
                MemorySegment.ofAddress(d.data + dstIndex * 4), memoryInfo, length);
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
        try {
            for (T t : all) {
                t.tensor().close(); // ReleaseValue: the memory goes back to the allocator
            }
            all.clear();
            held.clear();
            release(allocator, cpuInfo, memoryInfo);
        } finally {
            try {
                owner.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing the allocator's session failed: " + e.getMessage(), e);
            }
        }
    }

    private MemorySegment segment(T t) {
        return MemorySegment.ofAddress(t.data).reinterpret(t.elements * t.type.size);
    }

    private T own(StoreTensor t, OnnxJavaType type) {
        if (!(t instanceof T d) || !all.contains(d)) {
            throw new IllegalArgumentException("the tensor was not allocated by this store (or the store is closed)");
        }
        if (d.type() != type) {
            throw new IllegalArgumentException("expected a " + type + " tensor, got " + d.type());
        }
        return d;
    }

    private static void check(StoreTensor t, long index, long length) {
        if (index < 0 || length < 0 || index + length > t.elements()) {
            throw new IndexOutOfBoundsException("elements [" + index + ", " + (index + length) + ") outside a tensor of "
                    + t.elements());
        }
    }
}
