package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.NonFiniteValueException;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A checkpoint tensor as initializer content, read from the memory-mapped file only when the exporter writes it
 * and streamed in chunks (bounded heap for a 15 GB checkpoint). Optionally transposed (2-D [out,in] linear
 * weights become [in,out] for MatMul) or reshaped. Every value is checked for NaN/Inf as it is converted
 * ({@link NonFiniteValueException}, naming the tensor and the first bad element). Always emitted as float32 now; the {@code type} parameter is the
 * hook for fp16/bf16 export.
 */
public final class CheckpointTensor implements TensorData {

    private static final int CHUNK_ELEMENTS = 1 << 20;

    private final TensorStore file;
    private final TensorInfo info;
    private final long[] shape;
    private final boolean transpose;
    /** First stored row and row count taken (a transposed tensor may take a block of its rows). */
    private final int rowStart;
    private final int rowCount;

    private CheckpointTensor(TensorStore file, TensorInfo info, long[] shape, boolean transpose, int rowStart,
                             int rowCount) {
        this.file = file;
        this.info = info;
        this.shape = shape;
        this.transpose = transpose;
        this.rowStart = rowStart;
        this.rowCount = rowCount;
    }

    /** The tensor as stored, reshaped to {@code shape} (same element count) or as-is when none is given. */
    public static CheckpointTensor of(TensorStore file, String name, long... shape) throws IOException {
        TensorInfo info = file.info(name);
        long[] s = shape.length == 0 ? info.shape() : shape.clone();
        if (count(s) != info.elementCount()) {
            throw new IllegalArgumentException(name + ": cannot view " + Arrays.toString(info.shape()) + " as "
                    + Arrays.toString(s));
        }
        return new CheckpointTensor(file, info, s, false, 0, 0);
    }

    /** A 2-D [rows, cols] tensor transposed to [cols, rows]. */
    public static CheckpointTensor transposed(TensorStore file, String name) throws IOException {
        TensorInfo info = file.info(name);
        return transposedRows(file, name, 0, info.rank() == 2 ? Math.toIntExact(info.dim(0)) : 0);
    }

    /**
     * Rows {@code [start, start + count)} of a 2-D [rows, cols] tensor, transposed to [cols, count]: one block of
     * a fused linear weight (say the K rows of {@code qkv_proj}) as its own MatMul weight.
     */
    public static CheckpointTensor transposedRows(TensorStore file, String name, int start, int count)
            throws IOException {
        TensorInfo info = file.info(name);
        if (info.rank() != 2) {
            throw new IllegalArgumentException(name + ": expected a 2-D tensor, got " + info);
        }
        if (start < 0 || count <= 0 || start + (long) count > info.dim(0)) {
            throw new IllegalArgumentException(name + ": rows [" + start + ", " + (start + (long) count)
                    + ") are outside its " + info.dim(0) + " rows");
        }
        return new CheckpointTensor(file, info, new long[] {info.dim(1), count}, true, start, count);
    }

    private static long count(long[] s) {
        long n = 1;
        for (long d : s) {
            n *= d;
        }
        return n;
    }

    @Override
    public OnnxType type() {
        return OnnxType.FLOAT;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void writeTo(ByteSink sink) throws IOException {
        if (transpose) {
            writeTransposed(sink);
        } else {
            writeStraight(sink);
        }
    }

    private void writeStraight(ByteSink sink) throws IOException {
        long n = info.elementCount();
        int es = info.dtype().byteSize();
        float[] values = null;
        for (long start = 0; start < n; start += CHUNK_ELEMENTS) {
            int len = (int) Math.min(CHUNK_ELEMENTS, n - start);
            ByteBuffer src = file.slice(info.name(), start * es, (long) len * es);
            if (values == null || values.length < len) {
                values = new float[len];
            }
            if (info.dtype() == DType.F32) {
                src.asFloatBuffer().get(values, 0, len);
            } else {
                for (int i = 0; i < len; i++) {
                    values[i] = SafetensorsFile.floatAt(info.dtype(), src, i);
                }
            }
            // NaN/Inf checked on the converted chunk while it is in cache: no second read of the checkpoint.
            if (NonFiniteValueException.exponentFlags(values, len) < 0) {
                int bad = NonFiniteValueException.firstNonFinite(info.dtype(), src, len);
                throw NonFiniteValueException.of(file, info.name(), start + bad,
                        SafetensorsFile.floatAt(info.dtype(), src, bad));
            }
            ByteBuffer out = ByteBuffer.allocate(len * 4).order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(values, 0, len);
            sink.accept(out);
        }
    }

    /** Emits output rows (input columns) in tiles so reads stay mostly sequential. */
    private void writeTransposed(ByteSink sink) throws IOException {
        int rows = rowCount;
        int cols = Math.toIntExact(info.dim(1));
        // Only the rows taken: a block of a fused (or, in the diffusers layout, re-assembled) weight maps alone.
        int es = info.dtype().byteSize();
        ByteBuffer src = file.slice(info.name(), (long) rowStart * cols * es, (long) rows * cols * es);
        int tile = Math.max(1, Math.min(cols, CHUNK_ELEMENTS / Math.max(1, rows)));
        float[] buf = new float[tile * rows];
        for (int c0 = 0; c0 < cols; c0 += tile) {
            int tc = Math.min(tile, cols - c0);
            for (int r = 0; r < rows; r++) {
                int base = r * cols + c0;
                for (int k = 0; k < tc; k++) {
                    buf[k * rows + r] = SafetensorsFile.floatAt(info.dtype(), src, base + k);
                }
            }
            // NaN/Inf checked on the tile while it is in cache: no second read of the checkpoint.
            if (NonFiniteValueException.exponentFlags(buf, tc * rows) < 0) {
                // Tiles run column-wise: look again in stored order for the first bad element.
                int bad = NonFiniteValueException.firstNonFinite(info.dtype(), src, rows * cols);
                throw NonFiniteValueException.of(file, info.name(), (long) rowStart * cols + bad,
                        SafetensorsFile.floatAt(info.dtype(), src, bad));
            }
            ByteBuffer out = ByteBuffer.allocate(tc * rows * 4).order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(buf, 0, tc * rows);
            sink.accept(out);
        }
    }
}
