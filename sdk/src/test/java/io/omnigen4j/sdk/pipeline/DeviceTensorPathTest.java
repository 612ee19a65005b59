package io.omnigen4j.sdk.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.batch.Collation;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.runtime.TensorPlacement;
import io.omnigen4j.sdk.runtime.TransferStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public case through the device-tensor path with the CPU allocator ({@link TensorPlacement#DEVICE} on the CPU
 * provider) and through the copying path ({@link TensorPlacement#HOST}): final latents, every step's per-branch
 * velocity and the images bit-identical; and the host↔device copies of each step, counted by the tensor store: the
 * device path moves exactly the latents and timesteps in and the velocities out (the condition K/V never again after
 * the prefill), while the copying path sends the whole condition K/V at every step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceTensorPathTest {

    OmniGen host, device;
    Path modelDir;

    @BeforeAll
    void load() throws Exception {
        modelDir = Files.createTempDirectory("og-device").resolve("model");
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), modelDir).build());
        host = OmniGen.load(modelDir, RuntimeOptions.builder().tensorPlacement(TensorPlacement.HOST).build());
        device = OmniGen.load(modelDir, RuntimeOptions.builder().tensorPlacement(TensorPlacement.DEVICE).build());
    }

    @AfterAll
    void close() throws Exception {
        host.close();
        device.close();
        try (var files = Files.walk(modelDir.getParent())) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** {@return the device store's description; sdk/device's subclass runs this test with its allocator} */
    String expectedDeviceStore() {
        return "device tensors (CPU allocator)";
    }

    static List<String> cases() {
        return Fixtures.PUBLIC_CASES;
    }

    /** What a run showed: raw velocities per step, the collations and the transfers. */
    static final class Recorder implements StageObserver {
        final List<float[][]> raw = new ArrayList<>();
        final List<Collation> collations = new ArrayList<>();
        final List<int[]> groupBranches = new ArrayList<>();
        List<TransferStats> phases;
        String store;
        int latentValues, prompts;

        @Override
        public void collated(int group, int[] branches, Collation collation, boolean longRope) {
            collations.add(collation);
            groupBranches.add(branches);
        }

        @Override
        public void stepDone(int step, float sigma, float[] latentsIn, float[][] rawByBranch, float[] velocity,
                             float[] latentsOut) {
            raw.add(rawByBranch);
            latentValues = latentsIn.length;
        }

        @Override
        public void transfers(List<TransferStats> p, String s) {
            phases = p;
            store = s;
        }

        List<TransferStats> steps() {
            return phases.stream().filter(t -> t.phase().startsWith("step ")).toList();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void devicePathIsBitIdenticalAndKeepsTheKvInPlace(String name) throws Exception {
        Path dir = Fixtures.caseDir(name);
        JsonNode cj = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
        Recorder h = new Recorder(), d = new Recorder();
        GenerationResult rh, rd;
        GenerationRequest request;
        try (SafetensorsFile t = SafetensorsFile.open(dir.resolve("tensors.safetensors"))) {
            request = ReferenceCase.builder(cj, t).observer(h).build();
            rh = host.generate(request);
            rd = device.generate(ReferenceCase.builder(cj, t).observer(d).build());
        }
        assertEquals("host tensors (copying path)", h.store);
        assertEquals(expectedDeviceStore(), d.store);

        // Bit-identical: raw bits of every float, every byte of every image.
        assertBitsEqual(rh.finalLatents(), rd.finalLatents(), name + " final latents");
        assertEquals(h.raw.size(), d.raw.size());
        for (int s = 0; s < h.raw.size(); s++) {
            for (int b = 0; b < h.raw.get(s).length; b++) {
                assertBitsEqual(h.raw.get(s)[b], d.raw.get(s)[b], name + " step " + s + " branch " + b + " velocity");
            }
        }
        assertEquals(rh.images().size(), rd.images().size());
        for (int i = 0; i < rh.images().size(); i++) {
            assertArrayEquals(rh.images().get(i).toByteArray(), rd.images().get(i).toByteArray(), name + " image " + i);
        }

        // Copies per step.
        ModelManifest.TransformerConfig tc = device.manifest().transformer();
        long kvBytes = 0, stepInBytes = 0, stepOutBytes = 0, cacheTokenBytes = 0;
        int branches = 0;
        for (int g = 0; g < d.collations.size(); g++) {
            Collation c = d.collations.get(g);
            kvBytes += 2L * tc.layers() * c.batch() * tc.kvHeads() * c.conditionLength() * tc.headDim() * Float.BYTES;
            int groupBranches = c.batch() / request.prompts().size();
            branches += groupBranches;
            // per group: its rows' latents and timesteps in, velocities out; the decoder's int64 cache_tokens
            stepInBytes += (long) groupBranches * d.latentValues * Float.BYTES + (long) c.batch() * Float.BYTES;
            stepOutBytes += (long) groupBranches * d.latentValues * Float.BYTES;
            cacheTokenBytes += Long.BYTES;
        }
        assertEquals(request.usesImageGuidance() ? 3 : 2, branches);
        assertEquals(request.steps(), d.steps().size());
        for (TransferStats s : d.steps()) {
            assertEquals(stepInBytes + cacheTokenBytes, s.hostToDeviceBytes(), name + " " + s + ": device path in");
            assertEquals(stepOutBytes, s.deviceToHostBytes(), name + " " + s + ": device path out");
        }
        for (TransferStats s : h.steps()) {
            if (request.kvCache()) {
                assertTrue(s.hostToDeviceBytes() >= kvBytes + stepInBytes, name + " " + s
                        + ": the copying path sends the whole condition K/V (" + kvBytes + " bytes) at every step");
            }
            assertTrue(s.hostToDeviceBytes() > 2 * (stepInBytes + cacheTokenBytes), name + " " + s);
        }
        TransferStats ds = d.steps().get(0), hs = h.steps().get(0);
        System.out.printf("%s: per step host→device %d B (device path) vs %d B (copying path; condition K/V %d B),"
                        + " device→host %d B vs %d B%n", name, ds.hostToDeviceBytes(), hs.hostToDeviceBytes(), kvBytes,
                ds.deviceToHostBytes(), hs.deviceToHostBytes());
    }

    static void assertBitsEqual(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what + " length");
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                throw new AssertionError(what + " differs at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }
}
