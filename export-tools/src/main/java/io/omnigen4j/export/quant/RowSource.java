package io.omnigen4j.export.quant;

import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.NonFiniteValueException;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Rows of a 2-D float matrix, read a few at a time (a quantizer never holds a whole large tensor). */
public interface RowSource {

    int rows();

    int cols();

    /** Reads rows {@code [first, first + count)} into {@code dst}, row-major, as float32. */
    void read(int first, int count, float[] dst) throws IOException;

    /** A [rows, cols] matrix already in memory (row-major). */
    static RowSource of(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill [" + rows + ", " + cols + "]");
        }
        return new RowSource() {
            public int rows() {
                return rows;
            }

            public int cols() {
                return cols;
            }

            public void read(int first, int count, float[] dst) {
                System.arraycopy(values, first * cols, dst, 0, count * cols);
            }
        };
    }

    /**
     * Rows {@code [start, start + count)} of the 2-D checkpoint tensor {@code name} (F32, F16 or BF16, widened
     * exactly), memory-mapped a slice at a time; a NaN or infinite value is a {@link NonFiniteValueException}.
     */
    static RowSource checkpoint(TensorStore file, String name, int start, int count) throws IOException {
        TensorInfo info = file.info(name);
        if (info.rank() != 2) {
            throw new IllegalArgumentException(name + ": expected a 2-D tensor, got " + info);
        }
        if (start < 0 || count <= 0 || start + (long) count > info.dim(0)) {
            throw new IllegalArgumentException(name + ": rows [" + start + ", " + (start + (long) count)
                    + ") are outside its " + info.dim(0) + " rows");
        }
        int cols = Math.toIntExact(info.dim(1));
        DType dtype = info.dtype();
        int es = dtype.byteSize();
        return new RowSource() {
            public int rows() {
                return count;
            }

            public int cols() {
                return cols;
            }

            public void read(int first, int n, float[] dst) throws IOException {
                long offset = (long) (start + first) * cols * es;
                ByteBuffer b = file.slice(name, offset, (long) n * cols * es);
                int len = n * cols;
                if (dtype == DType.F32) {
                    b.asFloatBuffer().get(dst, 0, len);
                } else {
                    for (int i = 0; i < len; i++) {
                        dst[i] = SafetensorsFile.floatAt(dtype, b, i);
                    }
                }
                // NaN/Inf checked on the rows just read, before they are quantized (no second pass).
                if (NonFiniteValueException.exponentFlags(dst, len) < 0) {
                    int bad = NonFiniteValueException.firstNonFinite(dtype, b, len);
                    throw NonFiniteValueException.of(file, name, (long) (start + first) * cols + bad, dst[bad]);
                }
            }
        };
    }
}
