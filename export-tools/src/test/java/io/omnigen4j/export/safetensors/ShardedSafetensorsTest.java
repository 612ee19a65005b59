package io.omnigen4j.export.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shards behind an index read as one store; an index that does not match its shards is refused with both names. */
class ShardedSafetensorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** a, b in shard 1; c in shard 2; a = [0, 1, 2, 3], b = [10, 11], c = [20, 21, 22]. */
    private Path shards() throws IOException {
        write("m-00001-of-00002.safetensors", Map.of("a", new float[] {0, 1, 2, 3}, "b", new float[] {10, 11}));
        write("m-00002-of-00002.safetensors", Map.of("c", new float[] {20, 21, 22}));
        return index(n -> { });
    }

    private void write(String file, Map<String, float[]> tensors) throws IOException {
        List<String> names = tensors.keySet().stream().sorted().toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve(file), names.stream()
                .map(n -> new TensorSpec(n, DType.F32, new long[] {tensors.get(n).length})).toList())) {
            for (String n : names) {
                w.writeFloats(n, tensors.get(n));
            }
        }
    }

    private Path index(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", 36);
        ObjectNode wm = root.putObject("weight_map");
        wm.put("a", "m-00001-of-00002.safetensors");
        wm.put("b", "m-00001-of-00002.safetensors");
        wm.put("c", "m-00002-of-00002.safetensors");
        edit.accept(wm);
        Path p = dir.resolve("m.safetensors.index.json");
        JSON.writeValue(p.toFile(), root);
        return p;
    }

    @Test
    void readsEveryTensorFromItsShard() throws IOException {
        try (ShardedSafetensors s = ShardedSafetensors.open(shards())) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(s.names()));
            assertEquals(2, s.shardPaths().size());
            float[] c = new float[3];
            s.data("c").asFloatBuffer().get(c);
            assertArrayEquals(new float[] {20, 21, 22}, c);
            assertEquals(11f, s.slice("b", 4, 4).getFloat(0));
            assertArrayEquals(new long[] {4}, s.info("a").shape());
        }
    }

    @Test
    void indexAndShardsThatDisagreeAreRefused() throws IOException {
        shards();
        String m = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(
                index(wm -> wm.put("d", "m-00002-of-00002.safetensors")))).getMessage();
        assertTrue(m.contains("lists tensor 'd' in shard 'm-00002-of-00002.safetensors', which does not contain it"), m);
        m = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index(wm -> wm.remove("b"))))
                .getMessage();
        assertTrue(m.contains("holds tensor 'b', which the index does not list"), m);
        m = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(
                index(wm -> wm.put("c", "m-00003-of-00003.safetensors")))).getMessage();
        assertTrue(m.contains("shard 'm-00003-of-00003.safetensors' (of tensor 'c') is missing"), m);
        m = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(
                index(wm -> wm.put("c", "../m-00002-of-00002.safetensors")))).getMessage();
        assertTrue(m.contains("must be the file name of a shard in the same folder"), m);
        Files.writeString(dir.resolve("empty.index.json"), "{\"metadata\": {}}");
        m = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(dir.resolve("empty.index.json")))
                .getMessage();
        assertTrue(m.contains("weight_map"), m);
    }
}
