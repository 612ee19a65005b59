package io.omnigen4j.export.graphs;

import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Re-encoding float32 weights as float16/bfloat16 while they are written, and the options that ask for it. */
class HalfTensorTest {

    private static short[] encode(float[] values, OnnxType type) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new HalfTensor(TensorData.ofFloats(values, values.length), type, "t").writeTo(chunk -> {
            byte[] b = new byte[chunk.remaining()];
            chunk.duplicate().get(b);
            bytes.write(b);
        });
        ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        short[] out = new short[values.length];
        b.asShortBuffer().get(out);
        assertEquals(2L * values.length, bytes.size(), "two bytes per value");
        return out;
    }

    @Test
    void float16RoundsToNearestEven() throws IOException {
        // 1 + 2^-11 is halfway between 1 and the next float16: ties to even (1); 1 + 3·2^-11 ties up to 1 + 2^-9.
        float[] v = {0f, -0f, 1f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f, -2.5f, 0x1p-24f, 0x1p-26f, 65504f, 65519f, -65504f};
        short[] h = encode(v, OnnxType.FLOAT16);
        for (int i = 0; i < v.length; i++) {
            float expected = v[i] == 65519f ? 65504f : v[i] == 1f + 0x1p-11f ? 1f
                    : v[i] == 1f + 3 * 0x1p-11f ? 1f + 0x1p-9f : v[i] == 0x1p-26f ? 0f : v[i];
            assertEquals(expected, SafetensorsFile.halfToFloat(h[i]), "value " + v[i]);
        }
    }

    @Test
    void bfloat16KeepsTheTop16BitsRounded() throws IOException {
        float[] v = {1f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 3e38f, -1e-30f};
        short[] h = encode(v, OnnxType.BFLOAT16);
        float[] expected = {1f, 1f, 1f + 0x1p-6f, Float.intBitsToFloat(Float.floatToIntBits(3e38f) + 0x8000 & 0xFFFF0000),
                Float.intBitsToFloat(Float.floatToIntBits(-1e-30f) + 0x8000 & 0xFFFF0000)};
        for (int i = 0; i < v.length; i++) {
            assertEquals(expected[i], Float.intBitsToFloat((h[i] & 0xFFFF) << 16), "value " + v[i]);
        }
    }

    @Test
    void float16OverflowNamesTheTensorAndTheFix() {
        IOException e = assertThrows(IOException.class, () -> encode(new float[] {1f, 2f, 70000f}, OnnxType.FLOAT16));
        assertTrue(e.getMessage().startsWith("t: value 70000.0 at element 2"), e.getMessage());
        assertTrue(e.getMessage().contains("float16's range") && e.getMessage().contains("--precision bf16 or fp32"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new HalfTensor(TensorData.ofFloats(new float[] {1}, 1), OnnxType.FLOAT, "t"));
        assertThrows(IllegalArgumentException.class,
                () -> new HalfTensor(TensorData.ofLongs(new long[] {1}, 1), OnnxType.FLOAT16, "t"));
    }

    @Test
    void optionsMapFp16AndBf16ToHalfFormatsAndRejectQuantizationSettings() {
        Path c = Path.of("ckpt");
        Path o = Path.of("out");
        assertSame(WeightFormat.FP16, ExportOptions.builder(c, o).precision(ExportOptions.Precision.FP16).build()
                .transformerWeights());
        assertSame(WeightFormat.BF16, ExportOptions.builder(c, o).precision(ExportOptions.Precision.parse("BF16"))
                .build().transformerWeights());
        assertSame(WeightFormat.FP32, ExportOptions.builder(c, o).build().transformerWeights());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExportOptions.builder(c, o)
                .precision(ExportOptions.Precision.FP16).quantBlockSize(32).build());
        assertTrue(e.getMessage().contains("precision is fp16"), e.getMessage());
        assertTrue(WeightFormat.FP16.half() && !WeightFormat.FP16.quantized() && !WeightFormat.FP32.half());
        assertThrows(IllegalArgumentException.class,
                () -> new WeightFormat(8, 128, true, 4, true, OnnxType.FLOAT16), "quantized formats are float32");
        assertThrows(IllegalArgumentException.class, () -> new WeightFormat(0, 0, true, 0, false, OnnxType.INT64));
    }
}
