package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Placement resolution and fallback, and the direct-buffer store (host and CPU-allocator device) with its counters. */
class TensorStoresTest {

    private static final ExecutionProvider CUDA = ExecutionProvider.cuda(0);

    /** An allocator that is available or not, and counts its stores. */
    private static DeviceAllocator fake(String unavailable, AtomicInteger opened) {
        return new DeviceAllocator() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public String unavailableReason(ExecutionProvider provider) {
                return unavailable;
            }

            @Override
            public TensorStore open(OrtEnvironment env, ExecutionProvider provider) {
                opened.incrementAndGet();
                return new DirectTensorStore(env, true);
            }
        };
    }

    @Test
    void defaultPlacementIsAuto() {
        assertEquals(TensorPlacement.AUTO, RuntimeOptions.defaults().tensorPlacement());
        assertEquals(TensorPlacement.DEVICE,
                RuntimeOptions.builder().tensorPlacement(TensorPlacement.DEVICE).build().tensorPlacement());
        assertThrows(NullPointerException.class, () -> RuntimeOptions.builder().tensorPlacement(null));
    }

    @Test
    void cpuProvider() throws Exception {
        assertFalse(TensorStores.resolve(TensorPlacement.AUTO, ExecutionProvider.CPU, List.of()).device());
        assertFalse(TensorStores.resolve(TensorPlacement.HOST, ExecutionProvider.CPU, List.of()).device());
        TensorStores d = TensorStores.resolve(TensorPlacement.DEVICE, ExecutionProvider.CPU, List.of());
        assertTrue(d.device());
        try (TensorStore s = d.open(OrtEnvironment.getEnvironment())) {
            assertTrue(s.deviceResident());
            assertEquals("device tensors (CPU allocator)", s.description());
        }
    }

    @Test
    void cpuDeviceUsesAnAllocatorThatServesTheCpu() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        TensorStores d = TensorStores.resolve(TensorPlacement.DEVICE, ExecutionProvider.CPU,
                List.of(fake("not here", opened), fake(null, opened)));
        assertEquals("device tensors (fake, CPU memory)", d.description());
        d.open(OrtEnvironment.getEnvironment()).close();
        assertEquals(1, opened.get());
        assertEquals("device tensors (CPU allocator)", TensorStores.resolve(TensorPlacement.DEVICE,
                ExecutionProvider.CPU, List.of(fake("not here", opened))).description());
        assertFalse(TensorStores.resolve(TensorPlacement.AUTO, ExecutionProvider.CPU, List.of(fake(null, opened)))
                .device());
    }

    @Test
    void cudaWithoutAllocatorFallsBackOrFails() throws Exception {
        TensorStores auto = TensorStores.resolve(TensorPlacement.AUTO, CUDA, List.of());
        assertFalse(auto.device());
        assertEquals("host tensors (copying path)", auto.description());
        ProviderUnavailableException e = assertThrows(ProviderUnavailableException.class,
                () -> TensorStores.resolve(TensorPlacement.DEVICE, CUDA, List.of()));
        assertTrue(e.getMessage().contains("no device allocator on the class path"), e.getMessage());
        assertTrue(e.getMessage().contains("Java " + Runtime.version()), e.getMessage());
        assertTrue(e.getMessage().contains("AUTO or HOST"), e.getMessage());

        AtomicInteger opened = new AtomicInteger();
        e = assertThrows(ProviderUnavailableException.class, () -> TensorStores.resolve(TensorPlacement.DEVICE, CUDA,
                List.of(fake("CUDA libraries not found", opened))));
        assertTrue(e.getMessage().contains("fake: CUDA libraries not found"), e.getMessage());
        assertFalse(TensorStores.resolve(TensorPlacement.AUTO, CUDA, List.of(fake("no", opened))).device());
    }

    @Test
    void cudaWithAllocatorUsesIt() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        TensorStores s = TensorStores.resolve(TensorPlacement.AUTO, CUDA, List.of(fake("no", opened), fake(null, opened)));
        assertTrue(s.device());
        assertEquals("device tensors (fake)", s.description());
        s.open(OrtEnvironment.getEnvironment()).close();
        assertEquals(1, opened.get());
        assertFalse(TensorStores.resolve(TensorPlacement.HOST, CUDA, List.of(fake(null, opened))).device());
    }

    @Test
    void deviceStoreCountsItsCopiesAndKeepsTheValues() throws OrtException {
        try (TensorStore s = new DirectTensorStore(OrtEnvironment.getEnvironment(), true)) {
            StoreTensor a = s.allocate(OnnxJavaType.FLOAT, 2, 3);
            StoreTensor b = s.allocate(OnnxJavaType.FLOAT, 6);
            StoreTensor l = s.allocate(OnnxJavaType.INT64, 2);
            assertEquals(24, a.bytes());
            s.write(a, 1, new float[] {9, 1, 2, 3}, 1, 3);
            s.write(l, 0, new long[] {7, 8}, 0, 2);
            s.copy(a, 1, b, 3, 3);
            float[] out = new float[6];
            s.read(b, 0, out, 0, 6);
            assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, out);
            assertArrayEquals(new float[] {0, 1, 2, 3, 0, 0}, a.tensor().getFloatBuffer().array(),
                    "ONNX Runtime sees the written values");
            assertArrayEquals(new long[] {7, 8}, l.tensor().getLongBuffer().array());
            TransferStats t = s.transfers().phases().get(0);
            assertEquals(new TransferStats("prepare", 12 + 16, 2, 24, 1), t, "copy inside the store is no transfer");
            assertTrue(s.holds(a.tensor()));

            try (OnnxTensor other = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), new float[6])) {
                assertFalse(s.holds(other));
                s.transfers().beginPhase("step 0");
                s.transfers().run(s, java.util.Map.of("x", other, "y", a.tensor()),
                        java.util.Map.of("out", b.tensor()), null);
                assertEquals(new TransferStats("step 0", 24, 1, 0, 0), s.transfers().phases().get(1),
                        "only the input the store does not hold is copied");
            }
            assertThrows(IndexOutOfBoundsException.class, () -> s.write(a, 4, new float[3], 0, 3));
            assertThrows(IllegalArgumentException.class, () -> s.write(l, 0, new float[1], 0, 1));
            assertThrows(IllegalArgumentException.class, () -> s.allocate(OnnxJavaType.INT32, 2));
            assertThrows(IllegalArgumentException.class, () -> s.allocate(OnnxJavaType.FLOAT, 2, 0));
            try (TensorStore foreign = new DirectTensorStore(OrtEnvironment.getEnvironment(), true)) {
                StoreTensor f = foreign.allocate(OnnxJavaType.FLOAT, 6);
                assertThrows(IllegalArgumentException.class, () -> s.copy(f, 0, b, 0, 6));
            }
        }
    }

    @Test
    void hostStoreIsTheCopyingPath() throws OrtException {
        TensorStore s = new DirectTensorStore(OrtEnvironment.getEnvironment(), false);
        StoreTensor a = s.allocate(OnnxJavaType.FLOAT, 4);
        s.write(a, 0, new float[] {1, 2, 3, 4}, 0, 4);
        float[] out = new float[4];
        s.read(a, 0, out, 0, 4);
        assertArrayEquals(new float[] {1, 2, 3, 4}, out);
        assertFalse(s.deviceResident());
        assertFalse(s.holds(a.tensor()), "host tensors are copied to a device provider at every run");
        s.transfers().run(s, java.util.Map.of("x", a.tensor()), java.util.Map.of(), null);
        assertEquals(new TransferStats("prepare", 16, 1, 0, 0), s.transfers().phases().get(0));
        s.close();
        s.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> s.allocate(OnnxJavaType.FLOAT, 1));
        assertThrows(IllegalArgumentException.class, () -> s.write(a, 0, new float[1], 0, 1));
        assertSame(TensorPlacement.HOST, TensorPlacement.valueOf("HOST"));
    }
}
