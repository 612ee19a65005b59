package io.omnigen4j.export.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split into several safetensors files by Hugging Face's {@code save_pretrained}: an index JSON
 * ({@code model.safetensors.index.json}, {@code diffusion_pytorch_model.safetensors.index.json}) whose
 * {@code weight_map} names the shard of every tensor, shards in the same folder. Each shard is a
 * {@link SafetensorsFile} (memory-mapped, header validated on open).
 *
 * <p>The index is checked against the shards on open: every listed tensor must be in its shard, and every tensor of
 * a shard must be listed for that shard, so a stale index or a mixed-up shard fails here with both names instead of
 * exporting a wrong tensor. Thread-safe for reads after open.
 */
public final class ShardedSafetensors implements TensorStore {

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path index;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> shards;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    /**
     * Opens the index file {@code indexJson} and every shard it names.
     *
     * @param indexJson the {@code *.safetensors.index.json} file
     * @return the store; close it to release the shards
     * @throws IOException when the index is malformed, a shard is missing or invalid, or index and shards disagree
     */
    public static ShardedSafetensors open(Path indexJson) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(indexJson));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(indexJson + ": index file not found");
        } catch (IOException e) {
            throw new SafetensorsException(indexJson + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new SafetensorsException(indexJson + ": needs a non-empty \"weight_map\" object of tensor name to"
                    + " shard file name");
        }
        Path dir = indexJson.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            Iterator<Map.Entry<String, JsonNode>> it = map.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String tensor = e.getKey();
                JsonNode v = e.getValue();
                if (!v.isTextual() || !isPlainFileName(v.textValue())) {
                    throw new SafetensorsException(indexJson + ": weight_map entry '" + tensor + "' must be the file"
                            + " name of a shard in the same folder, got " + v);
                }
                String shard = v.textValue();
                SafetensorsFile f = files.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new SafetensorsException(indexJson + ": shard '" + shard + "' (of tensor '" + tensor
                                + "') is missing from " + dir + "; download every shard the index lists");
                    }
                    f = SafetensorsFile.open(p);
                    files.put(shard, f);
                }
                if (!f.contains(tensor)) {
                    throw new SafetensorsException(indexJson + ": lists tensor '" + tensor + "' in shard '" + shard
                            + "', which does not contain it; the index does not belong to these shards");
                }
                byTensor.put(tensor, f);
            }
            for (Map.Entry<String, SafetensorsFile> s : files.entrySet()) {
                for (String t : s.getValue().names()) {
                    if (byTensor.get(t) != s.getValue()) {
                        throw new SafetensorsException(indexJson + ": shard '" + s.getKey() + "' holds tensor '" + t
                                + "', which the index " + (byTensor.containsKey(t) ? "places in another shard"
                                : "does not list") + "; the index does not belong to these shards");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : files.values()) {
                try {
                    f.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        return new ShardedSafetensors(indexJson, Collections.unmodifiableMap(byTensor),
                List.copyOf(files.values()));
    }

    private static boolean isPlainFileName(String s) {
        return !s.isEmpty() && !s.contains("/") && !s.contains("\\") && !s.equals(".") && !s.equals("..");
    }

    /**
     * The shard files.
     *
     * @return their paths, in the order the index first names them
     */
    public List<Path> shardPaths() {
        List<Path> out = new ArrayList<>();
        for (SafetensorsFile f : shards) {
            out.add(f.path());
        }
        return out;
    }

    @Override
    public Path path() {
        return index;
    }

    /** Tensor names in index order. */
    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        return shardOf(name).info(name);
    }

    @Override
    public ByteBuffer slice(String name, long offset, long length) throws IOException {
        return shardOf(name).slice(name, offset, length);
    }

    private SafetensorsFile shardOf(String name) throws SafetensorsException {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new SafetensorsException(index + ": no tensor named '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : shards) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
