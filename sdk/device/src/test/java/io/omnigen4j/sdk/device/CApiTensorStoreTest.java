package io.omnigen4j.sdk.device;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.StoreTensor;
import io.omnigen4j.sdk.runtime.TensorPlacement;
import io.omnigen4j.sdk.runtime.TensorStore;
import io.omnigen4j.sdk.runtime.TensorStores;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The C API allocator on CPU memory: bindings, reads/writes/copies, ONNX Runtime reading and writing in place, and lifecycle. */
class CApiTensorStoreTest {

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private final CApiDeviceAllocator allocator = new CApiDeviceAllocator();

    private CApiTensorStore open() throws Exception {
        return (CApiTensorStore) allocator.open(ENV, ExecutionProvider.CPU);
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void bindingsMatchTheLoadedLibrary() {
        OrtCApi api = OrtCApi.get();
        assertTrue(api.version().startsWith("1."), api.version());
        assertEquals(ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion(), api.version());
        assertNull(allocator.unavailableReason(ExecutionProvider.CPU));
    }

    @Test
    void writesReadsAndCopies() throws Exception {
        try (CApiTensorStore s = open()) {
            assertTrue(s.deviceResident());
            assertEquals("device tensors (ONNX Runtime C API, Cpu memory)", s.description());
            StoreTensor a = s.allocate(OnnxJavaType.FLOAT, 2, 3, 5);
            StoreTensor b = s.allocate(OnnxJavaType.FLOAT, 30);
            assertEquals(30, a.elements());
            assertArrayEquals(new long[]{2, 3, 5}, a.tensor().getInfo().getShape());
            assertEquals(OnnxJavaType.FLOAT, a.tensor().getInfo().type);
            float[] v = random(30, 1);
            s.write(a, 0, v, 0, 30);
            // The Java API reads the same memory: the OrtValue's data is what the store wrote.
            float[] viaJava = new float[30];
            a.tensor().getFloatBuffer().get(viaJava);
            assertArrayEquals(v, viaJava);
            float[] back = new float[30];
            s.read(a, 0, back, 0, 30);
            assertArrayEquals(v, back);
            // Partial writes from a buffer with an offset, and a copy inside the store.
            s.write(a, 7, FloatBuffer.wrap(random(10, 2)), 3, 4);
            float[] expected = v.clone();
            System.arraycopy(random(10, 2), 3, expected, 7, 4);
            s.read(a, 0, back, 0, 30);
            assertArrayEquals(expected, back);
            s.write(b, 0, new float[30], 0, 30);
            s.copy(a, 5, b, 10, 12);
            float[] got = new float[30];
            s.read(b, 0, got, 0, 30);
            for (int i = 0; i < 30; i++) {
                assertEquals(i >= 10 && i < 22 ? expected[i - 5] : 0f, got[i], "element " + i);
            }
            // CopyTensors (the path device memory takes): ONNX Runtime 1.29 registers no data transfer for CPU
            // memory in the environment, so it refuses with its own message (which also proves the entry is
            // CopyTensors); where it copies, the result must be the same.
            s.write(b, 0, new float[30], 0, 30);
            try {
                s.copyThroughCApi(a, 5, b, 10, 12);
                float[] viaCApi = new float[30];
                s.read(b, 0, viaCApi, 0, 30);
                assertArrayEquals(got, viaCApi);
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("CopyTensors failed")
                        && e.getMessage().contains("Data transfer implementation"), e.getMessage());
            }

            StoreTensor l = s.allocate(OnnxJavaType.INT64, 4);
            s.write(l, 1, new long[]{9, 8, 7}, 0, 3);
            long[] lv = new long[4];
            l.tensor().getLongBuffer().get(lv);
            assertEquals(9, lv[1]);
            assertEquals(7, lv[3]);
            assertEquals(OnnxJavaType.INT64, l.tensor().getInfo().type);

            // counted: 30+4+30+30 floats and 3 longs in; 30+30+30 floats out (the Java API read is not the store's)
            assertTrue(s.holds(a.tensor()));
            assertFalse(s.holds(OnnxTensor.createTensor(ENV, new float[]{1f})));
        }
    }

    @Test
    void onnxRuntimeReadsInputsAndWritesPinnedOutputsInPlace() throws Exception {
        try (CApiTensorStore s = open();
             OrtSession session = ENV.createSession(CApiDeviceAllocator.identityModel(), new OrtSession.SessionOptions())) {
            StoreTensor in = s.allocate(OnnxJavaType.FLOAT, 1);
            StoreTensor out = s.allocate(OnnxJavaType.FLOAT, 1);
            s.write(in, 0, new float[]{42.5f}, 0, 1);
            try (OrtSession.Result r = session.run(Map.of("x", in.tensor()), Set.of(), Map.<String, OnnxValue>of("y",
                    out.tensor()))) {
                assertEquals(1, r.size());
            }
            float[] got = new float[1];
            s.read(out, 0, got, 0, 1);
            assertEquals(42.5f, got[0]);
        }
    }

    @Test
    void badInputIsRefused() throws Exception {
        CApiTensorStore s = open();
        StoreTensor a = s.allocate(OnnxJavaType.FLOAT, 4);
        assertThrows(IllegalArgumentException.class, () -> s.allocate(OnnxJavaType.DOUBLE, 4));
        assertThrows(IllegalArgumentException.class, () -> s.allocate(OnnxJavaType.FLOAT, 2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> s.write(a, 2, new float[4], 0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> s.read(a, -1, new float[4], 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> s.write(a, 0, new float[2], 1, 2));
        assertThrows(IllegalArgumentException.class, () -> s.write(a, 0, new long[4], 0, 4));
        try (CApiTensorStore other = open()) {
            StoreTensor foreign = other.allocate(OnnxJavaType.FLOAT, 4);
            assertThrows(IllegalArgumentException.class, () -> s.copy(foreign, 0, a, 0, 4));
        }
        s.close();
        assertTrue(a.tensor().isClosed());
        assertThrows(IllegalStateException.class, () -> s.allocate(OnnxJavaType.FLOAT, 4));
        assertThrows(IllegalArgumentException.class, () -> s.write(a, 0, new float[4], 0, 4));
        s.close(); // idempotent
    }

    @Test
    void cudaIsRefusedClearlyWithoutTheGpuRuntime() {
        String why = allocator.unavailableReason(ExecutionProvider.cuda(0));
        if (OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA)) {
            assertNull(why);
            return;
        }
        assertTrue(why.contains("no CUDA provider"), why);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> allocator.open(ENV, ExecutionProvider.cuda(0)));
        assertTrue(e.getMessage().contains("no CUDA provider"), e.getMessage());
    }

    @Test
    void theSdkFindsItForDevicePlacement() throws Exception {
        TensorStores t = TensorStores.resolve(TensorPlacement.DEVICE, ExecutionProvider.CPU);
        assertTrue(t.device());
        assertEquals("device tensors (ONNX Runtime C API, CPU memory)", t.description());
        try (TensorStore s = t.open(ENV)) {
            assertTrue(s instanceof CApiTensorStore, s.getClass().getName());
        }
        assertFalse(TensorStores.resolve(TensorPlacement.AUTO, ExecutionProvider.CPU).device());
    }

    /** Creates and frees many tensors and stores: every one is freed when its store closes, and memory stays flat. */
    @Test
    void tensorsAndStoresAreFreedDeterministically() throws Exception {
        int mib = 4, rounds = 300;
        float[] fill = random(mib << 18, 3);
        long before = rssKiB();
        for (int i = 0; i < rounds; i++) {
            List<OnnxTensor> tensors = new ArrayList<>();
            CApiTensorStore s = open();
            for (int k = 0; k < 3; k++) {
                StoreTensor t = s.allocate(OnnxJavaType.FLOAT, fill.length / 3);
                s.write(t, 0, fill, 0, fill.length / 3); // touch every page
                tensors.add(t.tensor());
            }
            for (int k = 0; k < 200; k++) {
                tensors.add(s.allocate(OnnxJavaType.INT64, 1 + k).tensor());
            }
            assertEquals(203, s.live());
            s.close();
            assertEquals(0, s.live());
            for (OnnxTensor t : tensors) {
                assertTrue(t.isClosed());
            }
        }
        long grown = rssKiB() - before;
        // 300 rounds of 4 MiB written: 1.2 GiB if anything leaked.
        System.out.printf("C API store: %d rounds of %d MiB, resident memory grew %d KiB%n", rounds, mib, grown);
        assertTrue(grown < 200 * 1024, "resident memory grew by " + grown + " KiB over " + rounds + " rounds");
    }

    private static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
