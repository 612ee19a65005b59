package io.omnigen4j.export.checkpoint;

import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A view over a {@link TensorStore} that records which tensors the graph builders read, so that the export can
 * check the other direction too: every tensor of the checkpoint is either read or explicitly ignored. A tensor
 * nobody reads would be dropped silently (say a config with fewer layers than the weights, or a module this
 * exporter does not know).
 *
 * <p>A tensor counts as read when its header entry or its bytes are asked for ({@link #info}, {@link #slice}); the
 * graph builders ask for the entry of every weight they place in a graph when they build it, before any byte is
 * written, so the check can run between building and writing. {@link #contains} (probing for optional tensors)
 * does not count.
 *
 * <p>{@link #IGNORED}: tensors that a checkpoint may legitimately hold and the export does not need. OmniGen-v1's
 * checkpoints (both layouts) hold none of them: every one of their tensors is read.
 */
public final class TensorUsage implements TensorStore {

    /**
     * Tensors the export may leave unread without an error: Phi-3/Llama rotary {@code inv_freq} buffers, which
     * transformers saved in checkpoints of some older versions ({@code llm.layers.N.self_attn.rotary_emb.inv_freq})
     * and which are recomputed from the config (the SDK computes RoPE itself, see spec §5).
     */
    public static final List<Pattern> IGNORED = List.of(Pattern.compile("(^|.*\\.)rotary_emb\\.inv_freq"));

    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)layers\\.(\\d+)\\.");

    private final TensorStore store;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    private TensorUsage(TensorStore store) {
        this.store = store;
    }

    /**
     * Starts recording reads of {@code store}; closing the view closes the store.
     *
     * @param store the weights
     * @return the recording view
     */
    public static TensorUsage track(TensorStore store) {
        return new TensorUsage(java.util.Objects.requireNonNull(store, "store"));
    }

    /**
     * Whether tensor {@code name} is one the export may leave unread ({@link #IGNORED}).
     *
     * @param name stored tensor name
     * @return true when it matches an ignored pattern
     */
    public static boolean ignorable(String name) {
        for (Pattern p : IGNORED) {
            if (p.matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The tensors read so far.
     *
     * @return their names (a snapshot)
     */
    public Set<String> read() {
        return Set.copyOf(read);
    }

    /**
     * Tensors of the store nobody has read and that are not {@link #ignorable}.
     *
     * @return their names, in the store's order
     */
    public List<String> unread() {
        List<String> out = new ArrayList<>();
        for (String n : store.names()) {
            if (!read.contains(n) && !ignorable(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Tensors of the store nobody has read that are {@link #ignorable}.
     *
     * @return their names, in the store's order
     */
    public List<String> ignoredUnread() {
        List<String> out = new ArrayList<>();
        for (String n : store.names()) {
            if (!read.contains(n) && ignorable(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Up to {@code max} names as the store describes them (diffusers views add the stored names), then how many
     * more: for error messages.
     *
     * @param names tensor names of this store
     * @param max   how many to spell out
     * @return e.g. {@code 'a', 'b', 'c' and 6 more}
     */
    public String list(List<String> names, int max) {
        List<String> shown = new ArrayList<>();
        for (String n : names.subList(0, Math.min(max, names.size()))) {
            shown.add(store.describe(n));
        }
        return String.join(", ", shown) + (names.size() > max ? " and " + (names.size() - max) + " more" : "");
    }

    /**
     * The highest layer index ({@code .layers.N.}) among {@code names}, to tell a user that the weights have more
     * layers than the config says.
     *
     * @param names tensor names
     * @return the largest N, or -1 when no name has a layer index
     */
    public static int maxLayerIndex(List<String> names) {
        int max = -1;
        for (String n : names) {
            Matcher m = LAYER.matcher(n);
            if (m.find()) {
                try {
                    max = Math.max(max, Integer.parseInt(m.group(1)));
                } catch (NumberFormatException ignored) {
                    // absurdly long digits: not a layer index worth reporting
                }
            }
        }
        return max;
    }

    @Override
    public Path path() {
        return store.path();
    }

    @Override
    public Set<String> names() {
        return store.names();
    }

    @Override
    public boolean contains(String name) {
        return store.contains(name);
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = store.info(name);
        read.add(name);
        return t;
    }

    @Override
    public ByteBuffer slice(String name, long offset, long length) throws IOException {
        ByteBuffer b = store.slice(name, offset, length);
        read.add(name);
        return b;
    }

    @Override
    public String describe(String name) {
        return store.describe(name);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
