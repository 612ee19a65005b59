package io.omnigen4j.sdk;

import ai.onnxruntime.OrtSession;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Condition K/V kept across {@code generate} calls of one {@link OmniGen}: the prefill of a forward group without
 * input images is a pure function of its token ids, condition positions, attention mask and RoPE factor choice, so
 * a later call with the same ones (the default negative prompt in every call; the same prompt with another seed)
 * reuses it instead of running the prefill again. Results are bit-identical either way.
 *
 * <p>Least recently used entries beyond {@code capacity} are dropped; an entry still in use by a generation is
 * closed when that generation releases it. Thread-safe. Entries hold native memory: the prefill's present K/V,
 * {@code 2 × layers × tokens × hidden × 4} bytes (about 0.8 MB per condition token for the real model).
 */
final class ConditionCache implements AutoCloseable {

    /** What the prefill's outputs depend on, compared by value. */
    record Key(long[] inputIds, long[] positionIds, float[] mask, boolean longFactors, int batch, int length) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && batch == k.batch && length == k.length && longFactors == k.longFactors
                    && Arrays.equals(inputIds, k.inputIds) && Arrays.equals(positionIds, k.positionIds)
                    && Arrays.equals(mask, k.mask);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(inputIds) + Arrays.hashCode(positionIds)) + Arrays.hashCode(mask);
        }

        @Override
        public String toString() {
            return "Key[batch=" + batch + ", length=" + length + "]";
        }
    }

    /** A generation's hold on cached K/V; {@link #release()} once when the generation no longer needs it. */
    final class Lease {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        OrtSession.Result result() {
            return entry.result;
        }

        void release() {
            synchronized (ConditionCache.this) {
                if (released) {
                    return;
                }
                released = true;
                entry.users--;
                if (entry.users == 0 && entry.dropped) {
                    entry.result.close();
                }
            }
        }
    }

    private static final class Entry {
        final OrtSession.Result result;
        int users;
        boolean dropped;

        Entry(OrtSession.Result result) {
            this.result = result;
        }
    }

    private final int capacity;
    /** Access-ordered: iteration starts at the least recently used entry. */
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long hits;
    private long misses;
    private boolean closed;

    ConditionCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be ≥ 0, got " + capacity);
        }
        this.capacity = capacity;
    }

    boolean enabled() {
        return capacity > 0;
    }

    /** The cached K/V for {@code key}, leased to the caller, or null (counted as a miss). */
    synchronized Lease acquire(Key key) {
        Entry e = closed ? null : entries.get(key);
        if (e == null) {
            misses++;
            return null;
        }
        hits++;
        e.users++;
        return new Lease(e);
    }

    /**
     * Takes ownership of a freshly computed prefill {@code result} for {@code key} and leases it to the caller.
     * If another call stored the same key meanwhile, the new result still serves this caller and is closed with
     * its lease (the cached one stays).
     */
    synchronized Lease put(Key key, OrtSession.Result result) {
        Entry fresh = new Entry(result);
        fresh.users = 1;
        if (closed || capacity == 0 || entries.containsKey(key)) {
            fresh.dropped = true;
            return new Lease(fresh);
        }
        entries.put(key, fresh);
        Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > capacity && it.hasNext()) {
            Entry old = it.next().getValue();
            it.remove();
            drop(old);
        }
        return new Lease(fresh);
    }

    private static void drop(Entry e) {
        e.dropped = true;
        if (e.users == 0) {
            e.result.close();
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    /** Drops every entry; entries in use close when released. Later {@link #put} calls cache nothing. */
    @Override
    public synchronized void close() {
        closed = true;
        entries.values().forEach(ConditionCache::drop);
        entries.clear();
    }
}
