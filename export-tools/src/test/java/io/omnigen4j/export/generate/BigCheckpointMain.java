package io.omnigen4j.export.generate;

import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorSpec;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Generates a checkpoint whose model.safetensors is over 2 GiB, checks the tensors stored past the 2 GiB offset
 * against a fresh regeneration, then exports it. Run in a child JVM with a small heap by {@link BigCheckpointTest}; also usable by
 * hand: {@code java -Xmx1g -cp … BigCheckpointMain /tmp/out}.
 */
public final class BigCheckpointMain {
    private BigCheckpointMain() {
    }

    /** ≈ 570 M parameters: model.safetensors ≈ 2.3 GB. */
    static CheckpointSpec bigSpec() {
        return CheckpointSpec.builder()
                .hidden(2048).layers(8).heads(16).intermediate(5632)
                .longRope(4096, 131072)
                .vaeBlockOutChannels(List.of(32, 32)).vaeLayersPerBlock(1).vaeNormGroups(8)
                .build();
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        long seed = 11;
        long t0 = System.nanoTime();
        RandomCheckpointGenerator.generate(bigSpec(), seed, out);
        long size = Files.size(out.resolve("model.safetensors"));
        System.out.printf("generated %,d bytes in %.1f s%n", size, (System.nanoTime() - t0) / 1e9);
        if (size <= (1L << 31)) {
            throw new AssertionError("model.safetensors is only " + size + " bytes");
        }
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            // every tensor that ends past the 2 GiB offset: the one straddling it and all after it
            List<TensorInfo> late = f.tensors().values().stream().filter(t -> t.end() > (1L << 31)).toList();
            if (late.stream().noneMatch(t -> t.begin() > (1L << 31))) {
                throw new AssertionError("no tensor beyond 2 GiB");
            }
            for (TensorInfo t : late) {
                System.out.println("checking " + t + " at data offsets [" + t.begin() + ", " + t.end() + ")");
                verify(f, t, seed);
            }
        }
        // Export the same checkpoint in this 1 GB-heap JVM: weights must stream, not load.
        long t1 = System.nanoTime();
        Path model = out.resolveSibling(out.getFileName() + "-onnx");
        io.omnigen4j.export.OmniGenExporter.export(io.omnigen4j.export.ExportOptions.builder(out, model).build());
        long weights = Files.size(model.resolve("transformer.weights"));
        System.out.printf("exported in %.1f s; transformer.weights %,d bytes%n", (System.nanoTime() - t1) / 1e9, weights);
        if (weights <= (1L << 31)) {
            throw new AssertionError("transformer.weights is only " + weights + " bytes");
        }
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        for (String g : List.of("token_embed", "image_embed", "step_embed", "transformer", "step_head")) {
            long ts = System.nanoTime();
            try (ai.onnxruntime.OrtSession s = env.createSession(model.resolve(g + ".onnx").toString(),
                    new ai.onnxruntime.OrtSession.SessionOptions())) {
                System.out.printf("ORT loads %s (%d inputs) in %.1f s%n", g, s.getNumInputs(), (System.nanoTime() - ts) / 1e9);
            }
        }
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
            }
        }
        System.out.printf("max heap %,d bytes, peak heap used (sum of pools) %,d bytes%n",
                Runtime.getRuntime().maxMemory(), peak);
        System.out.println("OK");
    }

    /** Compares the stored tensor with a fresh regeneration, chunk by chunk, bit for bit. */
    private static void verify(SafetensorsFile f, TensorInfo t, long seed) throws java.io.IOException {
        SafetensorsWriter.FloatSource expected = WeightInit.source(new TensorSpec(t.name(), DType.F32, t.shape()), seed);
        long n = t.elementCount();
        float[] chunk = new float[1 << 16];
        for (long first = 0; first < n; first += chunk.length) {
            int count = (int) Math.min(chunk.length, n - first);
            expected.fill(first, chunk, count);
            ByteBuffer b = f.slice(t.name(), first * 4, count * 4L);
            for (int i = 0; i < count; i++) {
                if (Float.floatToRawIntBits(b.getFloat(4 * i)) != Float.floatToRawIntBits(chunk[i])) {
                    throw new AssertionError(t.name() + "[" + (first + i) + "] differs");
                }
            }
        }
    }
}
