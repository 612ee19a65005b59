package io.omnigen4j.samples.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak heap (sum of the JVM heap pools' peak usage since the last reset: an upper bound of the heap in use at
 * any one time, garbage included) and peak resident set size (Linux {@code VmHWM}; reset through
 * {@code /proc/self/clear_refs} where the kernel allows it, otherwise the process's lifetime peak).
 */
final class MemoryProbe {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private MemoryProbe() {
    }

    /** Collects garbage, then resets the heap pools' peaks and (if possible) the RSS peak; true if RSS was reset. */
    static boolean reset() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                pool.resetPeakUsage();
            }
        }
        return resetRssPeak() == null;
    }

    /**
     * Resets the peak RSS ({@code VmHWM}) to the current RSS by writing "5" to {@code /proc/self/clear_refs}
     * (Linux ≥ 4.0). Returns null when done, otherwise why not (then {@code VmHWM} keeps the process's lifetime peak).
     */
    static String resetRssPeak() {
        if (!Files.exists(CLEAR_REFS)) {
            return CLEAR_REFS + " does not exist (not Linux)";
        }
        try {
            Files.writeString(CLEAR_REFS, "5");
            return null;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return "cannot write " + CLEAR_REFS + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "; Linux before 4.0?)";
        }
    }

    /**
     * Resident memory now, from {@code /proc/self/status}: all of it, the anonymous part (heap, ONNX Runtime's
     * arenas, tensors) and the file-backed part (memory-mapped weights, code). -1 where not available.
     */
    record Rss(long total, long anon, long file) {
        static Rss now() {
            return new Rss(statusKb("VmRSS:"), statusKb("RssAnon:"), statusKb("RssFile:"));
        }
    }

    static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** Heap in use right after a full collection: the live set. */
    static long liveHeapBytes() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Peak RSS in bytes, or -1 where {@code /proc/self/status} is not available (not Linux). */
    static long peakRssBytes() {
        return statusKb("VmHWM:");
    }

    static long rssBytes() {
        return statusKb("VmRSS:");
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    String v = line.substring(key.length()).trim();
                    return Long.parseLong(v.substring(0, v.indexOf(' '))) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Bytes allocated on the heap by the current thread so far, or -1 where the JVM cannot tell. */
    static long threadAllocatedBytes() {
        var bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
            return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    /** The 1-minute load average, or -1 where {@code /proc/loadavg} is not available. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
