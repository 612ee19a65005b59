package io.omnigen4j.export.checkpoint;

import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The diffusers transformer's tensors under their original-layout names ({@link DiffusersNames}), so the graph
 * builders read both layouts alike. {@code qkv_proj} is the row-wise concatenation of {@code to_q}, {@code to_k},
 * {@code to_v}, never materialised: a byte range inside one part is that part's memory-mapped slice, and only a
 * range crossing parts is copied (no larger than the range asked for, which readers keep to a chunk or a row
 * block: the graphs read q, k and v as separate row blocks, so none crosses in practice).
 *
 * <p>Checked on open: every diffusers tensor has an original counterpart (an unknown tensor could be a module this
 * exporter would silently drop), the three parts of every {@code qkv_proj} are present, and they share dtype,
 * rank 2 and column count.
 */
final class DiffusersTransformerWeights implements TensorStore {

    private final TensorStore stored;
    /** Original name → stored parts in row order (one for a renamed tensor). */
    private final Map<String, List<String>> parts;
    private final Map<String, TensorInfo> infos;

    private DiffusersTransformerWeights(TensorStore stored, Map<String, List<String>> parts,
                                        Map<String, TensorInfo> infos) {
        this.stored = stored;
        this.parts = parts;
        this.infos = infos;
    }

    /** Wraps {@code stored} (diffusers names); closes it when this view is closed. Errors close nothing. */
    static DiffusersTransformerWeights over(TensorStore stored) throws SafetensorsException {
        List<String> unknown = new ArrayList<>();
        Map<String, String[]> grouped = new TreeMap<>();
        for (String name : stored.names()) {
            DiffusersNames.Origin o = DiffusersNames.toOriginal(name);
            if (o == null) {
                unknown.add(name);
                continue;
            }
            grouped.computeIfAbsent(o.original(), k -> new String[o.parts()])[o.part()] = name;
        }
        if (!unknown.isEmpty()) {
            throw new SafetensorsException(stored.path() + ": " + unknown.size() + " tensor(s) that diffusers'"
                    + " OmniGenTransformer2DModel does not have: " + list(unknown) + "; this is not an OmniGen"
                    + " transformer in the diffusers layout, or one with modules this exporter would drop");
        }
        Map<String, List<String>> parts = new LinkedHashMap<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> e : grouped.entrySet()) {
            String original = e.getKey();
            String[] p = e.getValue();
            List<String> expected = DiffusersNames.toDiffusers(original);
            for (int i = 0; i < p.length; i++) {
                if (p[i] == null) {
                    throw new SafetensorsException(stored.path() + ": missing tensor '" + expected.get(i)
                            + "' (with " + list(Arrays.stream(p).filter(s -> s != null).toList()) + " it makes up '"
                            + original + "'); the checkpoint is incomplete");
                }
            }
            parts.put(original, List.of(p));
            infos.put(original, p.length == 1 ? renamed(stored.info(p[0]), original)
                    : concatenated(stored, original, p));
        }
        return new DiffusersTransformerWeights(stored, Collections.unmodifiableMap(parts),
                Collections.unmodifiableMap(infos));
    }

    private static String list(List<String> names) {
        List<String> shown = names.subList(0, Math.min(names.size(), 8));
        return "'" + String.join("', '", shown) + "'" + (names.size() > shown.size() ? " …" : "");
    }

    private static TensorInfo renamed(TensorInfo t, String name) {
        return new TensorInfo(name, t.dtype(), t.shape(), t.begin(), t.end());
    }

    private static TensorInfo concatenated(TensorStore stored, String original, String[] p)
            throws SafetensorsException {
        TensorInfo first = stored.info(p[0]);
        long rows = 0;
        for (String name : p) {
            TensorInfo t = stored.info(name);
            if (t.rank() != 2 || t.dtype() != first.dtype() || t.dim(1) != first.dim(1)) {
                throw new SafetensorsException(stored.path() + ": tensors " + list(List.of(p)) + " make up '"
                        + original + "' and must be 2-D with the same dtype and column count, got "
                        + stored.info(p[0]) + ", " + stored.info(p[1]) + ", " + stored.info(p[2]));
            }
            rows += t.dim(0);
        }
        long bytes = rows * first.dim(1) * first.dtype().byteSize();
        return new TensorInfo(original, first.dtype(), new long[] {rows, first.dim(1)}, 0, bytes);
    }

    @Override
    public Path path() {
        return stored.path();
    }

    @Override
    public Set<String> names() {
        return infos.keySet();
    }

    @Override
    public boolean contains(String name) {
        return infos.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = infos.get(name);
        if (t == null) {
            throw new SafetensorsException(path() + ": no tensor " + describe(name));
        }
        return t;
    }

    @Override
    public ByteBuffer slice(String name, long offset, long length) throws IOException {
        TensorInfo t = info(name);
        if (offset < 0 || length < 0 || offset + length > t.byteLength() || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + length + ") outside tensor " + t);
        }
        List<String> p = parts.get(name);
        if (p.size() == 1) {
            return stored.slice(p.get(0), offset, length);
        }
        long start = 0;
        ByteBuffer copy = null;
        for (String part : p) {
            long size = stored.info(part).byteLength();
            long from = Math.max(offset, start);
            long to = Math.min(offset + length, start + size);
            if (from < to) {
                if (from == offset && to == offset + length) {
                    return stored.slice(part, from - start, length); // inside one part: no copy
                }
                if (copy == null) {
                    copy = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
                }
                copy.put(stored.slice(part, from - start, to - from));
            }
            start += size;
        }
        if (copy == null) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return copy.flip();
    }

    /** Adds the diffusers names, which are what the user's files hold. */
    @Override
    public String describe(String name) {
        List<String> p = parts.containsKey(name) ? parts.get(name) : DiffusersNames.toDiffusers(name);
        if (p.isEmpty()) {
            return "'" + name + "'";
        }
        if (p.size() == 1) {
            return "'" + name + "' (diffusers name '" + p.get(0) + "')";
        }
        return "'" + name + "' (in the diffusers layout the row-wise concatenation of " + list(p) + ")";
    }

    @Override
    public void close() throws IOException {
        stored.close();
    }
}
