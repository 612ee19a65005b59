package io.omnigen4j.sdk.device;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few entries of ONNX Runtime's C API ({@code OrtApi}) this module calls, through the Foreign Function and Memory
 * API on the library the Java API already loaded. {@code OrtApi} is a table of function pointers that only ever grows
 * at its end, so an entry's index is fixed from the version that added it; the indices below were read from
 * {@code onnxruntime_c_api.h} and cross-checked against the calls the Java API's own JNI library makes (for example
 * CreateSession 7, CreateTensorWithDataAsOrtValue 49, GetTensorMutableData 51, AllocatorGetInfo 77). Opening checks
 * that the table is the one of the loaded library ({@code OrtGetApiBase()->GetApi(23)}) and that memory infos round
 * trip through it, before anything allocates.
 */
final class OrtCApi {

    /** The OrtApi version that has every entry used here (CopyTensors came in 1.23). */
    static final int API_VERSION = 23;

    static final int GET_ERROR_CODE = 1;
    static final int GET_ERROR_MESSAGE = 2;
    static final int CREATE_TENSOR_AS_ORT_VALUE = 48;
    static final int CREATE_TENSOR_WITH_DATA_AS_ORT_VALUE = 49;
    static final int GET_TENSOR_MUTABLE_DATA = 51;
    static final int CREATE_MEMORY_INFO = 68;
    static final int MEMORY_INFO_GET_NAME = 71;
    static final int MEMORY_INFO_GET_ID = 72;
    static final int ALLOCATOR_GET_INFO = 77;
    static final int RELEASE_STATUS = 93;
    static final int RELEASE_MEMORY_INFO = 94;
    static final int RELEASE_VALUE = 96;
    static final int CREATE_ALLOCATOR = 131;
    static final int RELEASE_ALLOCATOR = 132;
    static final int COPY_TENSORS = 386;

    /** ONNXTensorElementDataType values. */
    static final int TYPE_FLOAT = 1;
    static final int TYPE_INT64 = 7;
    /** OrtAllocatorType.OrtArenaAllocator and OrtMemType.OrtMemTypeDefault. */
    static final int ARENA_ALLOCATOR = 1;
    static final int MEM_TYPE_DEFAULT = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile OrtCApi instance;

    private final MemorySegment api;
    private final String version;
    private final MethodHandle getErrorCode, getErrorMessage, releaseStatus, createMemoryInfo, memoryInfoGetName,
            memoryInfoGetId, releaseMemoryInfo, createAllocator, releaseAllocator, allocatorGetInfo,
            createTensorAsOrtValue, createTensorWithData, getTensorMutableData, releaseValue, copyTensors;

    private OrtCApi(long apiAddress, String version) {
        this.version = version;
        // The table has about 400 entries; bound it generously for reads of single entries.
        this.api = MemorySegment.ofAddress(apiAddress).reinterpret(8L * 1024);
        getErrorCode = fn(GET_ERROR_CODE, FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getErrorMessage = fn(GET_ERROR_MESSAGE, FunctionDescriptor.of(ADDRESS, ADDRESS));
        releaseStatus = fn(RELEASE_STATUS, FunctionDescriptor.ofVoid(ADDRESS));
        createMemoryInfo = fn(CREATE_MEMORY_INFO,
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        memoryInfoGetName = fn(MEMORY_INFO_GET_NAME, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        memoryInfoGetId = fn(MEMORY_INFO_GET_ID, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        releaseMemoryInfo = fn(RELEASE_MEMORY_INFO, FunctionDescriptor.ofVoid(ADDRESS));
        createAllocator = fn(CREATE_ALLOCATOR, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        releaseAllocator = fn(RELEASE_ALLOCATOR, FunctionDescriptor.ofVoid(ADDRESS));
        allocatorGetInfo = fn(ALLOCATOR_GET_INFO, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        createTensorAsOrtValue = fn(CREATE_TENSOR_AS_ORT_VALUE,
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
        createTensorWithData = fn(CREATE_TENSOR_WITH_DATA_AS_ORT_VALUE,
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
        getTensorMutableData = fn(GET_TENSOR_MUTABLE_DATA, FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        releaseValue = fn(RELEASE_VALUE, FunctionDescriptor.ofVoid(ADDRESS));
        copyTensors = fn(COPY_TENSORS,
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }

    private MethodHandle fn(int index, FunctionDescriptor d) {
        MemorySegment p = api.getAtIndex(ADDRESS, index);
        if (p.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("OrtApi entry " + index + " is null in ONNX Runtime " + version);
        }
        return LINKER.downcallHandle(p, d);
    }

    /**
     * {@return the C API of the ONNX Runtime library the Java API loaded}
     *
     * @throws IllegalStateException when it cannot be reached or is older than 1.23 (the message says why)
     */
    static OrtCApi get() {
        OrtCApi a = instance;
        if (a == null) {
            synchronized (OrtCApi.class) {
                a = instance;
                if (a == null) {
                    a = instance = open();
                }
            }
        }
        return a;
    }

    private static OrtCApi open() {
        OrtEnvironment.getEnvironment(); // loads the native libraries and sets OnnxRuntime.ortApiHandle
        long handle;
        try {
            Class<?> rt = Class.forName("ai.onnxruntime.OnnxRuntime");
            Field f = rt.getDeclaredField("ortApiHandle");
            f.setAccessible(true);
            handle = f.getLong(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot reach ONNX Runtime's C API through its Java API (field"
                    + " ai.onnxruntime.OnnxRuntime.ortApiHandle): " + e, e);
        }
        if (handle == 0) {
            throw new IllegalStateException("ONNX Runtime's Java API has no C API handle");
        }
        // OrtGetApiBase is the library's one exported entry: its GetVersionString and GetApi(23) must agree with
        // the handle, which proves the table is the loaded library's and has the 1.23 entries.
        Optional<MemorySegment> base = SymbolLookup.loaderLookup().find("OrtGetApiBase");
        if (base.isEmpty()) {
            throw new IllegalStateException("OrtGetApiBase not found in the ONNX Runtime library the Java API loaded");
        }
        String version;
        try {
            MemorySegment apiBase = ((MemorySegment) LINKER.downcallHandle(base.get(), FunctionDescriptor.of(ADDRESS))
                    .invokeExact()).reinterpret(16);
            MemorySegment getApi = apiBase.get(ADDRESS, 0);
            MemorySegment getVersion = apiBase.get(ADDRESS, 8);
            version = ((MemorySegment) LINKER.downcallHandle(getVersion, FunctionDescriptor.of(ADDRESS)).invokeExact())
                    .reinterpret(64).getString(0);
            MemorySegment api = (MemorySegment) LINKER.downcallHandle(getApi, FunctionDescriptor.of(ADDRESS, JAVA_INT))
                    .invokeExact(API_VERSION);
            if (api.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("ONNX Runtime " + version + " has no OrtApi version " + API_VERSION
                        + "; device tensors need ONNX Runtime 1.23 or newer");
            }
            if (api.address() != handle) {
                throw new IllegalStateException("ONNX Runtime's OrtApi (" + Long.toHexString(api.address())
                        + ") differs from the Java API's handle (" + Long.toHexString(handle) + ")");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot call OrtGetApiBase: " + t, t);
        }
        return new OrtCApi(handle, version);
    }

    /** {@return ONNX Runtime's version string, from GetVersionString} */
    String version() {
        return version;
    }

    /** Throws for a non-null OrtStatus, with its code and message, and releases it. */
    void check(MemorySegment status, String call) throws OrtException {
        if (status.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            int code = (int) getErrorCode.invokeExact(status);
            String msg = ((MemorySegment) getErrorMessage.invokeExact(status)).reinterpret(Integer.MAX_VALUE)
                    .getString(0);
            releaseStatus.invokeExact(status);
            throw new OrtException(call + " failed (OrtErrorCode " + code + "): " + msg);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    MemorySegment createMemoryInfo(String name, int deviceId) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) createMemoryInfo.invokeExact(a.allocateFrom(name), ARENA_ALLOCATOR, deviceId,
                    MEM_TYPE_DEFAULT, out), "CreateMemoryInfo(" + name + ")");
            return out.get(ADDRESS, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    String memoryInfoName(MemorySegment info) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) memoryInfoGetName.invokeExact(info, out), "MemoryInfoGetName");
            return out.get(ADDRESS, 0).reinterpret(256).getString(0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    int memoryInfoId(MemorySegment info) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((MemorySegment) memoryInfoGetId.invokeExact(info, out), "MemoryInfoGetId");
            return out.get(JAVA_INT, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void releaseMemoryInfo(MemorySegment info) {
        try {
            releaseMemoryInfo.invokeExact(info);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    MemorySegment createAllocator(long session, MemorySegment info) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) createAllocator.invokeExact(MemorySegment.ofAddress(session), info, out),
                    "CreateAllocator");
            return out.get(ADDRESS, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    MemorySegment allocatorInfo(MemorySegment allocator) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) allocatorGetInfo.invokeExact(allocator, out), "AllocatorGetInfo");
            return out.get(ADDRESS, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void releaseAllocator(MemorySegment allocator) {
        try {
            releaseAllocator.invokeExact(allocator);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    MemorySegment createTensor(MemorySegment allocator, long[] shape, int elementType) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dims = a.allocateFrom(JAVA_LONG, shape);
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) createTensorAsOrtValue.invokeExact(allocator, dims, (long) shape.length, elementType,
                    out), "CreateTensorAsOrtValue");
            return out.get(ADDRESS, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A tensor over memory it does not own ({@code data} must outlive it). */
    MemorySegment createTensorWithData(MemorySegment info, MemorySegment data, long bytes, long[] shape,
                                       int elementType) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dims = a.allocateFrom(JAVA_LONG, shape);
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) createTensorWithData.invokeExact(info, data, bytes, dims, (long) shape.length,
                    elementType, out), "CreateTensorWithDataAsOrtValue");
            return out.get(ADDRESS, 0);
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    long tensorData(MemorySegment value) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((MemorySegment) getTensorMutableData.invokeExact(value, out), "GetTensorMutableData");
            return out.get(ADDRESS, 0).address();
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void releaseValue(MemorySegment value) {
        try {
            releaseValue.invokeExact(value);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** CopyTensors(env, [src], [dst], no stream, 1): a synchronous copy between two tensors of the same size. */
    void copyTensor(long env, MemorySegment src, MemorySegment dst) throws OrtException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            s.set(ADDRESS, 0, src);
            MemorySegment d = a.allocate(ADDRESS);
            d.set(ADDRESS, 0, dst);
            check((MemorySegment) copyTensors.invokeExact(MemorySegment.ofAddress(env), s, d, MemorySegment.NULL, 1L),
                    "CopyTensors");
        } catch (OrtException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@return the native OrtEnv* of the Java environment} */
    static long envHandle(OrtEnvironment env) {
        return longField(env, OrtEnvironment.class, "nativeHandle");
    }

    /** {@return the native OrtSession* of a Java session} */
    static long sessionHandle(ai.onnxruntime.OrtSession session) {
        return longField(session, ai.onnxruntime.OrtSession.class, "nativeHandle");
    }

    private static long longField(Object o, Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f.getLong(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + c.getName() + "." + name + " (ONNX Runtime's Java API"
                    + " changed?): " + e, e);
        }
    }
}
