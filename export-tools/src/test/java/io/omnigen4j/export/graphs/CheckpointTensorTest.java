package io.omnigen4j.export.graphs;

import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint tensors as initializer content: whole, transposed and transposed row blocks, from F32 and BF16. */
class CheckpointTensorTest {

    @TempDir
    Path dir;

    /** A [rows, cols] weight whose value at (r, c) is r·16 + c (exact in bfloat16: at most 8 significant bits here). */
    private static float[] weight(int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] = r * 16 + c;
            }
        }
        return w;
    }

    private SafetensorsFile checkpoint(DType dtype, int rows, int cols) throws IOException {
        Path file = dir.resolve(dtype + ".safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("w", dtype, rows, cols)))) {
            w.writeFloats("w", weight(rows, cols));
        }
        return SafetensorsFile.open(file);
    }

    @Test
    void rowBlocksTransposeExactlyTheRowsAsked() throws IOException {
        int rows = 12, cols = 5;
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            try (SafetensorsFile f = checkpoint(dtype, rows, cols)) {
                // a fused [q; k; v] weight: rows 0-5, 6-8, 9-11
                int[][] blocks = {{0, 6}, {6, 3}, {9, 3}, {0, rows}};
                for (int[] b : blocks) {
                    CheckpointTensor t = CheckpointTensor.transposedRows(f, "w", b[0], b[1]);
                    assertArrayEquals(new long[] {cols, b[1]}, t.shape(), dtype + " block " + b[0]);
                    float[] got = t.toFloatArray();
                    for (int c = 0; c < cols; c++) {
                        for (int r = 0; r < b[1]; r++) {
                            assertEquals((b[0] + r) * 16 + c, got[c * b[1] + r], dtype + " at (" + c + "," + r + ")");
                        }
                    }
                }
                assertArrayEquals(CheckpointTensor.transposed(f, "w").toFloatArray(),
                        CheckpointTensor.transposedRows(f, "w", 0, rows).toFloatArray());
            }
        }
    }

    @Test
    void rowBlocksOutsideTheTensorAreRefusedWithTheRange() throws IOException {
        try (SafetensorsFile f = checkpoint(DType.F32, 4, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CheckpointTensor.transposedRows(f, "w", 2, 3));
            assertTrue(e.getMessage().contains("rows [2, 5)") && e.getMessage().contains("4 rows"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CheckpointTensor.transposedRows(f, "w", -1, 2));
            assertThrows(IllegalArgumentException.class, () -> CheckpointTensor.transposedRows(f, "w", 0, 0));
        }
    }
}
