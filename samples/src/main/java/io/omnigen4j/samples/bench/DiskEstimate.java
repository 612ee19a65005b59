package io.omnigen4j.samples.bench;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.generate.CheckpointLayout;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.export.onnx.ExternalDataFile;
import io.omnigen4j.export.safetensors.TensorSpec;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Disk space of a benchmark folder's checkpoint and export, computed from the spec's tensor list (nothing is read or
 * written), so a run can say up front what it needs and stop before writing 15 GB into a disk that holds 10.
 *
 * <p>The checkpoint is exact up to the safetensors headers and tokenizer files (a fixed allowance). The export counts
 * every checkpoint tensor once (graphs of one export share their weights), the VAE's Winograd convolutions at 4× their
 * size (6×6 transformed kernels for 3×3 ones), and for int8/int4 the decoder layers' four linear weights at 8 or 4 bits
 * plus one float32 scale per {@value #ASSUMED_BLOCK} weights; everything else (token embedding, position table, norms,
 * the VAE) stays float32. Each weight starts at an {@link ExternalDataFile#ALIGNMENT}-aligned offset, which is counted
 * in full. With larger quantization blocks the real export is a little smaller: an upper estimate.
 */
final class DiskEstimate {

    /** Quantization block assumed by the estimate: the smallest common choice, so the estimate errs high. */
    static final int ASSUMED_BLOCK = 32;
    /** Config, tokenizer and graph files, safetensors headers: a fixed allowance on top of the weights. */
    static final long FILES_ALLOWANCE = 64L << 20;

    private DiskEstimate() {
    }

    /** Bytes of the generated checkpoint for {@code spec}. */
    static long checkpointBytes(BenchSpec spec) {
        CheckpointSpec cs = spec.checkpointSpec();
        return sum(transformerTensors(cs)) + sum(vaeTensors(cs)) + FILES_ALLOWANCE;
    }

    /** Bytes of the model folder exported from that checkpoint in {@code precision} with {@code convolution}. */
    static long exportBytes(BenchSpec spec, ExportOptions.Precision precision, VaeGraphs.Convolution convolution) {
        CheckpointSpec cs = spec.checkpointSpec();
        long bytes = FILES_ALLOWANCE;
        int bits = bits(precision);
        for (TensorSpec t : transformerTensors(cs)) {
            boolean packed = quantizedLinear(t.name()) && bits < 32;
            // Quantized: data, scales and perhaps zero points, each at its own aligned offset.
            bytes += (packed ? packedBytes(t.elementCount(), bits) : t.byteLength())
                    + (packed ? 3L : 1L) * ExternalDataFile.ALIGNMENT;
        }
        for (TensorSpec t : vaeTensors(cs)) {
            boolean winograd = convolution == VaeGraphs.Convolution.WINOGRAD && winogradConv(t);
            bytes += (winograd ? 4 * t.byteLength() : t.byteLength()) + ExternalDataFile.ALIGNMENT;
        }
        return bytes;
    }

    private static int bits(ExportOptions.Precision p) {
        return switch (p) {
            case FP32 -> 32;
            case FP16, BF16 -> 16;
            case INT8 -> 8;
            case INT4 -> 4;
        };
    }

    /** Weights at {@code bits} each plus a float32 scale per block (for 16 bits: no scales). */
    private static long packedBytes(long elements, int bits) {
        long data = (elements * bits + 7) / 8;
        return bits == 16 ? data : data + (elements + ASSUMED_BLOCK - 1) / ASSUMED_BLOCK * Float.BYTES;
    }

    /** The decoder layers' projections: what a quantized export stores in fewer bits. */
    static boolean quantizedLinear(String name) {
        return name.startsWith("llm.layers.") && (name.endsWith(".qkv_proj.weight") || name.endsWith(".o_proj.weight")
                || name.endsWith(".gate_up_proj.weight") || name.endsWith(".down_proj.weight"));
    }

    /** A 3×3 stride-1 convolution weight [out, in, 3, 3] with both widths large enough for Winograd. */
    private static boolean winogradConv(TensorSpec t) {
        long[] s = t.shape();
        return s.length == 4 && s[2] == 3 && s[3] == 3 && !t.name().contains("downsamplers")
                && s[0] >= VaeGraphs.WINOGRAD_MIN_CHANNELS && s[1] >= VaeGraphs.WINOGRAD_MIN_CHANNELS;
    }

    private static List<TensorSpec> transformerTensors(CheckpointSpec cs) {
        return CheckpointLayout.transformer(cs.transformer(), cs.latentChannels());
    }

    private static List<TensorSpec> vaeTensors(CheckpointSpec cs) {
        return CheckpointLayout.vae(cs.vae(), cs.legacyVaeAttentionNames());
    }

    private static long sum(List<TensorSpec> tensors) {
        return tensors.stream().mapToLong(TensorSpec::byteLength).sum();
    }

    /** Usable bytes on the file system that holds {@code dir} (or its nearest existing parent). */
    static long usableBytes(Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return Long.MAX_VALUE;
        }
        try {
            FileStore store = Files.getFileStore(p);
            return store.getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE; // cannot tell: let the run try
        }
    }

    /** Bytes of the files under {@code dir} (0 when absent). */
    static long treeBytes(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            long total = 0;
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                total += Files.size(f);
            }
            return total;
        }
    }

    /** Decimal gigabytes with one decimal, as disk sizes are usually given ({@code df -H}); MB below 1 GB. */
    static String gb(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
