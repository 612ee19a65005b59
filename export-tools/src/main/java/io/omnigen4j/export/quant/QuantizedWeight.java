package io.omnigen4j.export.quant;

import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A [N, K] weight quantized block-wise along K, as the three initializers ONNX Runtime's contrib operators take.
 * Each is a {@link TensorData} that re-reads the rows from the {@link RowSource} and recomputes what it needs when
 * written, a chunk of rows (about 4 MB of float32) at a time, so heap use stays flat for any tensor size.
 *
 * <ul>
 *   <li>{@link Layout#MATMUL_NBITS} ({@code com.microsoft.MatMulNBits} input B): data uint8
 *       [N, blocks, blockSize·bits/8], every row padded to whole blocks.</li>
 *   <li>{@link Layout#GATHER} ({@code com.microsoft.GatherBlockQuantized} with uint8 data and the {@code bits}
 *       attribute): data uint8 [N, K·bits/8], no padding.</li>
 * </ul>
 * Both: scales float32 [N, blocks]; zero points (asymmetric schemes only) uint8 [N, ⌈blocks·bits/8⌉]. Codes and
 * zero points of 4 bits go two per byte, the lower index in the low nibble.
 */
public final class QuantizedWeight {

    public enum Layout { MATMUL_NBITS, GATHER }

    private static final int CHUNK_VALUES = 1 << 20;

    private final RowSource source;
    private final QuantScheme scheme;
    private final Layout layout;
    private final String label;
    private final int n;
    private final int k;
    private final int blocks;

    /**
     * @param label names the weight in error messages (say the checkpoint key and row range)
     */
    public QuantizedWeight(RowSource source, QuantScheme scheme, Layout layout, String label) {
        this.source = Objects.requireNonNull(source, "source");
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.label = label;
        this.n = source.rows();
        this.k = source.cols();
        this.blocks = scheme.blocksPerRow(k);
        if (layout == Layout.GATHER && (long) k * scheme.bits() % 8 != 0) {
            throw new IllegalArgumentException(label + ": " + k + " columns cannot be packed " + scheme.bits()
                    + " bits a value into whole bytes");
        }
    }

    public QuantScheme scheme() {
        return scheme;
    }

    public Layout layout() {
        return layout;
    }

    /** N: rows (MatMulNBits' output features, or embedding rows). */
    public int rows() {
        return n;
    }

    /** K: values per row (MatMulNBits' input features, or the embedding width). */
    public int cols() {
        return k;
    }

    public int blocksPerRow() {
        return blocks;
    }

    /** The packed codes, uint8. */
    public TensorData data() {
        long[] shape = layout == Layout.MATMUL_NBITS ? new long[] {n, blocks, scheme.blobBytes()}
                : new long[] {n, (long) k * scheme.bits() / 8};
        int rowBytes = Math.toIntExact(shape.length == 3 ? shape[1] * shape[2] : shape[1]);
        boolean pad = layout == Layout.MATMUL_NBITS;
        return new Streamed(OnnxType.UINT8, shape, rowBytes, (q, values, r, scales, zps, out, o) ->
                q.packRow(values, r * k, k, scales, zps, r * blocks, pad, out, o));
    }

    /** The per-block scales, float32 [N, blocks]. */
    public TensorData scales() {
        return new Streamed(OnnxType.FLOAT, new long[] {n, blocks}, blocks * Float.BYTES,
                (q, values, r, scales, zps, out, o) -> {
                    ByteBuffer b = ByteBuffer.wrap(out, o, blocks * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < blocks; i++) {
                        b.putFloat(scales[r * blocks + i]);
                    }
                    return blocks * Float.BYTES;
                });
    }

    /** The per-block zero points, uint8 [N, ⌈blocks·bits/8⌉]; only for asymmetric schemes. */
    public TensorData zeroPoints() {
        if (scheme.symmetric()) {
            throw new IllegalStateException(label + ": a symmetric scheme has no zero points");
        }
        int rowBytes = scheme.zeroPointBytesPerRow(k);
        return new Streamed(OnnxType.UINT8, new long[] {n, rowBytes}, rowBytes,
                (q, values, r, scales, zps, out, o) -> q.packZeroPoints(zps, r * blocks, blocks, out, o));
    }

    /** Writes one row's share of a tensor into {@code out[o …]} and returns the byte count. */
    @FunctionalInterface
    private interface RowWriter {
        int write(BlockQuantizer q, float[] values, int row, float[] scales, int[] zeroPoints, byte[] out, int o);
    }

    private final class Streamed implements TensorData {
        private final OnnxType type;
        private final long[] shape;
        private final int rowBytes;
        private final RowWriter writer;

        Streamed(OnnxType type, long[] shape, int rowBytes, RowWriter writer) {
            this.type = type;
            this.shape = shape;
            this.rowBytes = rowBytes;
            this.writer = writer;
        }

        @Override
        public OnnxType type() {
            return type;
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public void writeTo(ByteSink sink) throws IOException {
            BlockQuantizer q = new BlockQuantizer(scheme);
            int chunkRows = Math.max(1, Math.min(n, CHUNK_VALUES / Math.max(1, k)));
            float[] values = new float[chunkRows * k];
            float[] scales = new float[chunkRows * blocks];
            int[] zps = new int[chunkRows * blocks];
            for (int r0 = 0; r0 < n; r0 += chunkRows) {
                int rows = Math.min(chunkRows, n - r0);
                byte[] out = new byte[rows * rowBytes]; // fresh per chunk: a sink may keep what it is given
                source.read(r0, rows, values);
                int o = 0;
                for (int r = 0; r < rows; r++) {
                    try {
                        q.blockParams(values, r * k, k, scales, zps, r * blocks);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(label + ", row " + (r0 + r) + ": " + e.getMessage(), e);
                    }
                    int w = writer.write(q, values, r, scales, zps, out, o);
                    if (w != rowBytes) {
                        throw new IllegalStateException(label + ": row wrote " + w + " bytes, expected " + rowBytes);
                    }
                    o += w;
                }
                sink.accept(ByteBuffer.wrap(out, 0, o));
            }
        }
    }
}
