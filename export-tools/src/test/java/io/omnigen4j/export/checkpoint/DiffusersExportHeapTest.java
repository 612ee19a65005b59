package io.omnigen4j.export.checkpoint;

import io.omnigen4j.export.ExportCommand;
import io.omnigen4j.export.generate.CheckpointFormat;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sharded diffusers-layout checkpoint of about 400 MB (a 131 MB token embedding, a 151 MB pos_embed) exported by
 * the CLI in a child JVM with {@code -Xmx64m}: the q/k/v re-assembly and the shards are read memory-mapped, never
 * onto the heap. About 40 s and 1 GB of disk, so it runs only with {@code -Domnigen.bigTests=true}.
 */
@EnabledIfSystemProperty(named = "omnigen.bigTests", matches = "true")
class DiffusersExportHeapTest {

    @TempDir
    Path dir;

    @Test
    void exportsADiffusersCheckpointLargerThanTheHeap() throws IOException, InterruptedException {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(1024).layers(2).heads(16).intermediate(2816)
                .longRope(4096, 131072).build();
        Path ckpt = RandomCheckpointGenerator.generate(spec, 3, dir.resolve("ckpt"),
                CheckpointFormat.diffusers().withMaxShardBytes(100L << 20));
        assertTrue(Files.exists(ckpt.resolve("transformer/diffusion_pytorch_model.safetensors.index.json")));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path out = dir.resolve("model");
        Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", cp, ExportCommand.class.getName(),
                "--checkpoint", ckpt.toString(), "--out", out.toString())).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out");
        System.out.println(output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("diffusers layout"), output);
        long weights = Files.size(out.resolve("transformer.weights"));
        System.out.printf("transformer.weights: %,d bytes exported with -Xmx64m%n", weights);
        assertTrue(weights > 6L * (64 << 20), "six times the heap: " + weights);
    }
}
