package io.omnigen4j.export.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The format's "no holes" rule: the tensors' byte ranges tile the data section exactly. */
class SafetensorsContiguityTest {

    @TempDir
    Path dir;

    @Test
    void trailingBytesAfterTheLastTensorAreRejected() throws IOException {
        Path f = dir.resolve("trailing.safetensors");
        SafetensorsFileErrorTest.write(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[13]);
        assertFails(f, ": 5 trailing byte(s) after the data of the last tensor 'a' (its data ends at byte 8 of a"
                + " 13-byte data section)");
    }

    @Test
    void dataWithoutAnyTensorIsTrailing() throws IOException {
        Path f = dir.resolve("empty-header.safetensors");
        SafetensorsFileErrorTest.write(f, "{\"__metadata__\":{\"k\":\"v\"}}", new byte[4]);
        assertFails(f, ": 4 trailing byte(s) after the data of the last tensor (its data ends at byte 0");
    }

    @Test
    void holesBetweenOrBeforeTensorsAreRejected() throws IOException {
        Path f = dir.resolve("gap.safetensors");
        SafetensorsFileErrorTest.write(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", new byte[16]);
        assertFails(f, ": bytes [8, 12) of the data section belong to no tensor (between 'a' and 'b')");

        Path g = dir.resolve("gap-first.safetensors");
        SafetensorsFileErrorTest.write(g, "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
                new byte[4]);
        assertFails(g, ": bytes [0, 2) of the data section belong to no tensor (before the first tensor 'a')");
    }

    @Test
    void contiguousTensorsInAnyHeaderOrderWithEmptyTensorsOpen() throws IOException {
        Path f = dir.resolve("ok.safetensors");
        SafetensorsFileErrorTest.write(f, "{\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[4,7]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[7,7]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[7]);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(3, sf.names().size());
        }
    }

    private static void assertFails(Path f, String expected) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }
}
