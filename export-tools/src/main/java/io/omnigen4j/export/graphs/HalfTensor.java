package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.safetensors.FloatEncoding;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 tensor stream re-encoded as float16 or bfloat16 (round-to-nearest-even, as PyTorch's {@code .half()} /
 * {@code .bfloat16()}) chunk by chunk while it is written, so the half-precision export streams from the mapped
 * checkpoint with the same bounded heap as the float32 one. A finite value that float16 cannot hold (|x| &gt; 65504)
 * fails the export with the tensor named instead of becoming an infinity in the graph.
 */
public final class HalfTensor implements TensorData {

    /** Largest finite float16 value; anything that rounds above it becomes infinite. */
    static final float FP16_MAX = 65504f;

    private final TensorData source;
    private final OnnxType type;
    private final String what;

    /**
     * @param source a FLOAT tensor (say a {@link CheckpointTensor})
     * @param type   {@link OnnxType#FLOAT16} or {@link OnnxType#BFLOAT16}
     * @param what   the tensor's name in error messages
     */
    public HalfTensor(TensorData source, OnnxType type, String what) {
        this.source = Objects.requireNonNull(source, "source");
        this.type = Objects.requireNonNull(type, "type");
        this.what = what;
        if (source.type() != OnnxType.FLOAT) {
            throw new IllegalArgumentException(what + ": source must be float32, got " + source.type());
        }
        if (type != OnnxType.FLOAT16 && type != OnnxType.BFLOAT16) {
            throw new IllegalArgumentException(what + ": target must be FLOAT16 or BFLOAT16, got " + type);
        }
    }

    @Override
    public OnnxType type() {
        return type;
    }

    @Override
    public long[] shape() {
        return source.shape();
    }

    @Override
    public void writeTo(ByteSink sink) throws IOException {
        long[] index = {0};
        boolean fp16 = type == OnnxType.FLOAT16;
        source.writeTo(chunk -> {
            FloatBuffer in = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            int n = in.remaining();
            ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                float v = in.get(i);
                short h = fp16 ? FloatEncoding.toHalf(v) : FloatEncoding.toBf16(v);
                // Finite in, infinite out: only float16's range can do that (bfloat16 has float32's exponent).
                if (fp16 && (h & 0x7FFF) == 0x7C00 && Float.isFinite(v)) {
                    throw new IOException(what + ": value " + v + " at element " + (index[0] + i) + " (of shape "
                            + Arrays.toString(shape()) + " as exported) is outside float16's range (±" + FP16_MAX
                            + "); export with --precision bf16 or fp32");
                }
                out.putShort(h);
            }
            index[0] += n;
            out.flip();
            sink.accept(out);
        });
    }
}
