package io.omnigen4j.export.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.graphs.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxModelWriterTest {

    @TempDir
    Path dir;

    @Test
    void matMulAddWithExternalWeightsRunsInOrt() throws Exception {
        GraphBuilder g = new GraphBuilder("mm");
        Value x = g.input("x", OnnxType.FLOAT, "batch", 3);
        Value w = g.weight("w", TensorData.ofFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4));
        Value b = g.constFloats(new float[] {0.5f, 0, 0, 0}, 4);
        g.output(Ops.linear(g, x, w, b), "y", OnnxType.FLOAT, "batch", 4);
        Path model = dir.resolve("mm.onnx");
        try (ExternalDataFile data = new ExternalDataFile(dir.resolve("mm.onnx.data"))) {
            new OnnxModelWriter("test", 16).write(g, model, data, Map.of("k", "v"));
        }
        assertTrue(Files.size(dir.resolve("mm.onnx.data")) >= 48);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, 0, 0, 0, 1, 1}), new long[] {2, 3});
             OrtSession.Result r = s.run(Map.of("x", t))) {
            float[] y = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
            assertArrayEquals(new float[] {1.5f, 2, 3, 4, 14.5f, 16, 18, 20}, y);
            assertEquals("v", s.getMetadata().getCustomMetadata().get("k"));
        }
    }
}
