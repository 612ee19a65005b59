package io.omnigen4j.sdk.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NoiseKindTest {

    @Test
    void idsRoundTripAndUnknownIdsNameTheChoices() {
        for (NoiseKind k : NoiseKind.values()) {
            assertEquals(k, NoiseKind.fromId(k.id()));
        }
        assertEquals(NoiseKind.TORCH_CUDA, NoiseKind.fromId(" Torch-CUDA "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NoiseKind.fromId("torch"));
        assertTrue(e.getMessage().contains("'torch'") && e.getMessage().contains("torch-cpu, torch-cuda, java"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NoiseKind.fromId(null));
    }

    @Test
    void sourcesUseTheSeed() {
        int[] shape = {1, 4, 4, 4};
        assertArrayEquals(new TorchCpuGenerator(11).randn(64, TorchCpuKernel.AVX2),
                NoiseKind.TORCH_CPU.source(11).initialLatents(shape));
        assertArrayEquals(new TorchCudaNoiseSource(11).initialLatents(shape),
                NoiseKind.TORCH_CUDA.source(11).initialLatents(shape));
        assertArrayEquals(new SeededNoiseSource(11).initialLatents(shape), NoiseKind.JAVA.source(11).initialLatents(shape));
    }
}
