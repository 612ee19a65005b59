package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;
import io.omnigen4j.export.quant.QuantScheme;
import io.omnigen4j.export.quant.QuantizedWeight;
import io.omnigen4j.export.quant.RowSource;
import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Adds checkpoint tensors to graphs as initializers, checking each tensor's shape against what the model config
 * implies so that a checkpoint that does not match its config fails at export with the key and both shapes named.
 * The content key is the checkpoint name plus the transform, so graphs of one export share the bytes.
 */
public final class CheckpointWeights {

    private final TensorStore file;
    private final WeightFormat format;

    /** Weights as float32 everywhere. */
    public CheckpointWeights(TensorStore file) {
        this(file, WeightFormat.FP32);
    }

    /** Weights in {@code format}: it decides how {@link #project} and {@link #embedding} store their weights. */
    public CheckpointWeights(TensorStore file, WeightFormat format) {
        this.file = file;
        this.format = java.util.Objects.requireNonNull(format, "format");
    }

    public WeightFormat format() {
        return format;
    }

    /**
     * {@code x · W[start : start + count]ᵀ} for the linear weight {@code name} [out, in] (checked against
     * {@code out, in}): one block of rows of a (possibly fused) projection, as its own node. Float32 weights become
     * a MatMul on the transposed rows; quantized formats a {@code com.microsoft.MatMulNBits} on the rows as stored.
     */
    public Value project(GraphBuilder g, Value x, String name, long out, long in, int start, int count) {
        if (!format.quantized()) {
            return g.op("MatMul").in(x, linearRowsT(g, name, out, in, start, count)).out();
        }
        return projectQuantized(g, x, name, out, in, start, count);
    }

    /** {@code x · Wᵀ} for the whole linear weight {@code name} [out, in]. */
    public Value project(GraphBuilder g, Value x, String name, long out, long in) {
        return project(g, x, name, out, in, 0, Math.toIntExact(out));
    }

    /** Rows of the embedding table {@code name} [rows, cols] picked by {@code ids}: Gather, or its quantized form. */
    public Value embedding(GraphBuilder g, Value ids, String name, long rows, long cols) {
        if (!format.quantized() || !format.quantizeEmbedding()) {
            Value table = plain(g, name, rows, cols);
            return g.op("Gather").in(table, ids).attr("axis", 0L).out();
        }
        return embeddingQuantized(g, ids, name, rows, cols);
    }

    /**
     * {@code com.microsoft.MatMulNBits} on rows [start, start + count) as stored (N = count, K = in): packed codes,
     * scales and (asymmetric formats) zero points, each streamed from the checkpoint when written.
     */
    private Value projectQuantized(GraphBuilder g, Value x, String name, long out, long in, int start, int count) {
        try {
            checked(name, new long[] {out, in});
            QuantScheme scheme = scheme();
            String rows = name + "[" + start + ":" + (start + count) + "]";
            QuantizedWeight q = new QuantizedWeight(RowSource.checkpoint(file, name, start, count), scheme,
                    QuantizedWeight.Layout.MATMUL_NBITS, file.path().getFileName() + ": " + rows);
            String base = rows + "." + scheme.tag();
            GraphBuilder.NodeBuilder node = g.op("MatMulNBits", GraphBuilder.MS_DOMAIN)
                    .in(x, g.weight(base + ".B", base + ".B", q.data()),
                            g.weight(base + ".scales", base + ".scales", q.scales()));
            if (!scheme.symmetric()) {
                node.in(g.weight(base + ".zero_points", base + ".zero_points", q.zeroPoints()));
            }
            return node.attr("K", in).attr("N", (long) count).attr("bits", (long) scheme.bits())
                    .attr("block_size", (long) scheme.blockSize())
                    .attr("accuracy_level", (long) format.accuracyLevel()).out();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code com.microsoft.GatherBlockQuantized} (uint8 data with a {@code bits} attribute, gather axis 0,
     * quantize axis 1): the table's rows quantized like the projections, dequantized to float32 when gathered.
     */
    private Value embeddingQuantized(GraphBuilder g, Value ids, String name, long rows, long cols) {
        try {
            checked(name, new long[] {rows, cols});
            QuantScheme scheme = scheme();
            QuantizedWeight q = new QuantizedWeight(RowSource.checkpoint(file, name, 0, Math.toIntExact(rows)),
                    scheme, QuantizedWeight.Layout.GATHER, file.path().getFileName() + ": " + name);
            String base = name + "." + scheme.tag() + ".gather";
            GraphBuilder.NodeBuilder node = g.op("GatherBlockQuantized", GraphBuilder.MS_DOMAIN)
                    .in(g.weight(base + ".data", base + ".data", q.data()), ids,
                            g.weight(base + ".scales", base + ".scales", q.scales()));
            if (!scheme.symmetric()) {
                node.in(g.weight(base + ".zero_points", base + ".zero_points", q.zeroPoints()));
            }
            return node.attr("gather_axis", 0L).attr("quantize_axis", 1L)
                    .attr("block_size", (long) scheme.blockSize()).attr("bits", (long) scheme.bits()).out();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private QuantScheme scheme() {
        return new QuantScheme(format.bits(), format.blockSize(), format.symmetric());
    }

    public TensorStore file() {
        return file;
    }

    public boolean has(String name) {
        return file.contains(name);
    }

    /**
     * The tensor as stored, checked against {@code expected} (empty = no check); in the format's float type
     * ({@link WeightFormat#floatType()}: float16/bfloat16 in the half-precision graphs).
     */
    public Value plain(GraphBuilder g, String name, long... expected) {
        return load(g, name, false, expected, null);
    }

    /**
     * As {@link #plain}, but always float32: the gains of the norms that stay float32 in the half-precision graphs
     * (a few KB each). Identical to {@link #plain} for float32 and quantized formats.
     */
    public Value plainFloat(GraphBuilder g, String name, long... expected) {
        return load(g, name, false, expected, null, true);
    }

    /** The element type {@link #plain}, {@link #linearT} and the float {@link #project} weights are stored in. */
    public OnnxType floatType() {
        return format.floatType();
    }

    /** The tensor as stored but viewed with shape {@code view}, checked against {@code expected}. */
    public Value reshaped(GraphBuilder g, String name, long[] expected, long... view) {
        return load(g, name, false, expected, view);
    }

    /** A linear weight [out, in] transposed to [in, out] for MatMul. */
    public Value linearT(GraphBuilder g, String name, long out, long in) {
        return load(g, name, true, new long[] {out, in}, null);
    }

    /**
     * Rows {@code [start, start + count)} of a linear weight [out, in] (checked against {@code out, in}), transposed
     * to [in, count]: one part of a fused projection as its own MatMul weight.
     */
    public Value linearRowsT(GraphBuilder g, String name, long out, long in, int start, int count) {
        try {
            checked(name, new long[] {out, in});
            CheckpointTensor data = CheckpointTensor.transposedRows(file, name, start, count);
            String suffix = "[" + start + ":" + (start + count) + "]";
            return g.weight(name + suffix + ".T", halfKey(name + suffix + "^T"), inFormat(data, name + suffix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TensorInfo checked(String name, long[] expected) throws SafetensorsException {
        TensorInfo info = info(name);
        if (expected != null && expected.length > 0 && !Arrays.equals(info.shape(), expected)) {
            throw new SafetensorsException(file.path() + ": tensor " + file.describe(name) + " has shape "
                    + Arrays.toString(info.shape()) + " but the model config implies " + Arrays.toString(expected)
                    + "; the checkpoint and its config.json do not match");
        }
        if (!info.dtype().isFloating()) {
            throw new SafetensorsException(file.path() + ": tensor " + file.describe(name) + " is " + info.dtype()
                    + "; model weights must be F32, F16 or BF16");
        }
        return info;
    }

    private Value load(GraphBuilder g, String name, boolean transpose, long[] expected, long[] view) {
        return load(g, name, transpose, expected, view, false);
    }

    /** {@code data} in the format's float type: as is for float32, re-encoded while written for fp16/bf16. */
    private TensorData inFormat(CheckpointTensor data, String what) {
        return format.half() ? new HalfTensor(data, format.floatType(), file.path().getFileName() + ": " + what) : data;
    }

    /** Half-precision content gets its own key: the same checkpoint tensor may also be stored as float32. */
    private String halfKey(String key) {
        return format.half() ? key + "@" + format.floatType().manifestName() : key;
    }

    private Value load(GraphBuilder g, String name, boolean transpose, long[] expected, long[] view,
                       boolean keepFloat) {
        try {
            checked(name, expected);
            CheckpointTensor data = transpose ? CheckpointTensor.transposed(file, name)
                    : view != null ? CheckpointTensor.of(file, name, view) : CheckpointTensor.of(file, name);
            String key = name + (transpose ? "^T" : "") + (view != null ? Arrays.toString(view) : "");
            String initName = name + (transpose ? ".T" : "");
            if (keepFloat) {
                return g.weight(initName, key, data);
            }
            return g.weight(initName, halfKey(key), inFormat(data, name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TensorInfo info(String name) throws SafetensorsException {
        if (!file.contains(name)) {
            throw new SafetensorsException(file.path() + ": missing tensor " + file.describe(name)
                    + "; the file is not an OmniGen checkpoint in the expected layout or is incomplete");
        }
        return file.info(name);
    }
}
