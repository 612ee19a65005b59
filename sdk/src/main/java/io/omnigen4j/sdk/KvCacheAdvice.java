package io.omnigen4j.sdk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Warns before a call whose condition K/V would take most of the free memory. The operating system kills a process
 * that runs out of memory without a message; a log line first names the cause and the switch that avoids it
 * ({@code kvCache(false)}: every step runs the whole sequence and keeps no K/V). Advice only: the call goes on, and
 * the results stay those the request asked for.
 */
final class KvCacheAdvice {

    /** Warn when the K/V would take more than this share of the memory available now. */
    static final double SHARE = 0.5;

    private KvCacheAdvice() {
    }

    /**
     * Bytes of the condition K/V a call keeps: K and V, every layer, {@code kvHeads × headDim} floats per condition
     * token of every row of every forward group.
     */
    static long kvBytes(int layers, int kvHeads, int headDim, long conditionTokens) {
        return 2L * layers * kvHeads * headDim * Float.BYTES * conditionTokens;
    }

    /** The warning for {@code kvBytes} against {@code availableBytes}, if there is one to give. */
    static Optional<String> warning(long kvBytes, long availableBytes) {
        if (availableBytes <= 0 || kvBytes <= SHARE * availableBytes) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "the condition K/V of this call need about %.1f GB and %.1f GB"
                + " of memory is available: if the process is killed, generate without the KV cache"
                + " (GenerationRequest.Builder.kvCache(false), CLI --kv-cache off), which keeps no K/V but runs"
                + " the whole sequence at every step", kvBytes / 1e9, availableBytes / 1e9));
    }

    /** MemAvailable of /proc/meminfo (Linux, Android), or empty where it cannot be read. */
    static OptionalLong availableBytes() {
        return availableBytes(Path.of("/proc/meminfo"));
    }

    static OptionalLong availableBytes(Path meminfo) {
        try {
            List<String> lines = Files.readAllLines(meminfo);
            for (String l : lines) {
                if (l.startsWith("MemAvailable:")) {
                    String[] parts = l.substring("MemAvailable:".length()).trim().split("\\s+");
                    long kb = Long.parseLong(parts[0]);
                    return OptionalLong.of(kb * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or an unexpected format: no advice.
        }
        return OptionalLong.empty();
    }
}
