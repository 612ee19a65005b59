package io.omnigen4j.sdk.sampling;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance fixtures were recorded with PyTorch's CPU generator (initial latents from
 * {@code Generator().manual_seed(seed)}, every VAE ε from one {@code Generator().manual_seed(generator_seed)} in call
 * order), by a different PyTorch build than the one behind {@code torch-cpu-randn.txt}: {@link TorchCpuNoiseSource}
 * must give exactly the recorded tensors from the two seeds alone.
 */
class TorchCpuConformanceNoiseTest {

    @ParameterizedTest
    @ValueSource(strings = {"t2i", "t2i_no_kv_cache", "edit", "subject_multi", "batch_left_pad"})
    void recordedNoiseFollowsFromTheSeeds(String name) throws Exception {
        try (SamplingCase c = SamplingCase.open(name)) {
            long seed = c.json.get("pipeline_args").get("seed").asLong();
            long vaeSeed = c.json.get("vae_noise").get("generator_seed").asLong();
            TorchCpuNoiseSource src = new TorchCpuNoiseSource(seed, vaeSeed, TorchCpuKernel.AVX2);
            int[] z0Shape = c.tensors.info("latents.z0").intShape();
            assertArrayEquals(c.tensors.floats("latents.z0"), src.initialLatents(z0Shape), name + " z0");
            int n = 0;
            for (; c.tensors.contains("vae_encode." + n + ".eps"); n++) {
                int[] shape = c.tensors.info("vae_encode." + n + ".eps").intShape();
                assertArrayEquals(c.tensors.floats("vae_encode." + n + ".eps"), src.posteriorNoise(n, shape),
                        name + " eps #" + n);
            }
            assertTrue(n > 0 || !c.json.get("pipeline_args").has("input_images"), "eps found for image cases");
        }
    }
}
