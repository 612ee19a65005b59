package io.omnigen4j.export.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every malformed-file case gives its own {@link SafetensorsException} message, naming the file. */
class SafetensorsFileErrorTest {

    @TempDir
    Path dir;

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertFails(f, "truncated file (3 bytes); a safetensors file starts with an 8-byte header length");
    }

    @Test
    void emptyFile() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        Files.write(f, new byte[0]);
        assertFails(f, "truncated file (0 bytes)");
    }

    @Test
    void headerLongerThanFile() throws IOException {
        Path f = dir.resolve("hdr.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + 10).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(100).put("{\"a\":1}   ".getBytes(StandardCharsets.US_ASCII));
        Files.write(f, b.array());
        assertFails(f, "truncated file: header says 100 header bytes but the file has only 10 after the length field");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path f = dir.resolve("absurd.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(-5).putLong(0);
        Files.write(f, b.array());
        assertFails(f, "header length -5 is outside 2..");
    }

    @Test
    void dataSectionShortSoOffsetsAreOutOfBounds() throws IOException {
        Path f = dir.resolve("trunc.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[12]);
        assertFails(f, "tensor 'w' data_offsets [0, 16] are out of bounds of the data section (12 bytes)");
    }

    @Test
    void badHeaderJson() throws IOException {
        Path f = dir.resolve("json.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],", new byte[4]);
        assertFails(f, "header is not valid JSON");
    }

    @Test
    void trailingGarbageAfterHeaderJson() throws IOException {
        Path f = dir.resolve("trail.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} xyz", new byte[4]);
        assertFails(f, "header is not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        Path f = dir.resolve("arr.safetensors");
        write(f, "[1, 2, 3]", new byte[0]);
        assertFails(f, "header must be a JSON object of tensor entries");
    }

    @Test
    void offsetsOutOfBounds() throws IOException {
        Path f = dir.resolve("oob.safetensors");
        write(f, "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}", new byte[10]);
        assertFails(f, "tensor 'w' data_offsets [8, 12] are out of bounds of the data section (10 bytes)");
    }

    @Test
    void offsetsReversedOrNegative() throws IOException {
        Path f = dir.resolve("rev.safetensors");
        write(f, "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,2]}}", new byte[10]);
        assertFails(f, "tensor 'w' data_offsets [4, 2] are out of bounds");
        Path g = dir.resolve("neg.safetensors");
        write(g, "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[-2,0]}}", new byte[10]);
        assertFails(g, "tensor 'w' data_offsets [-2, 0] are out of bounds");
        Path h = dir.resolve("frac.safetensors");
        write(h, "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0.5,2]}}", new byte[10]);
        assertFails(h, "tensor 'w' data_offsets must be two integers, got [0.5,2]");
    }

    @Test
    void dtypeShapeMismatch() throws IOException {
        Path f = dir.resolve("mismatch.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[24]);
        assertFails(f, "tensor 'w' is F32 with shape [2, 3] = 24 bytes, but data_offsets span 20 bytes (dtype/shape mismatch)");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = dir.resolve("overlap.safetensors");
        write(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertFails(f, "tensors 'a' and 'b' overlap in the data section");
    }

    @Test
    void overlapHiddenBehindAnEmptyTensorIsFound() throws IOException {
        Path f = dir.resolve("overlap2.safetensors");
        write(f, "{\"big\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[0,100]},"
                + "\"empty\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[10,10]},"
                + "\"late\":{\"dtype\":\"U8\",\"shape\":[50],\"data_offsets\":[50,100]}}", new byte[100]);
        assertFails(f, "tensors 'big' and 'late' overlap in the data section");
    }

    @Test
    void nestedRangeOverlapIsFound() throws IOException {
        Path f = dir.resolve("overlap3.safetensors");
        write(f, "{\"outer\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[0,100]},"
                + "\"inner1\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[10,20]},"
                + "\"inner2\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[40,50]}}", new byte[100]);
        assertFails(f, "tensors 'outer' and 'inner1' overlap in the data section");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = dir.resolve("dtype.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        assertFails(f, "tensor 'w' has dtype 'F8_E4M3', which is not supported");
    }

    @Test
    void missingFields() throws IOException {
        Path f = dir.resolve("fields.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        assertFails(f, "tensor 'w' needs the fields dtype, shape and data_offsets");
    }

    @Test
    void invalidDimension() throws IOException {
        Path f = dir.resolve("dim.safetensors");
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]);
        assertFails(f, "tensor 'w' has an invalid dimension 1.5");
    }

    @Test
    void duplicateTensorName() throws IOException {
        Path f = dir.resolve("dup.safetensors");
        write(f, "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2]);
        SafetensorsException e = assertFails(f, "header is not valid JSON");
        assertTrue(e.getMessage().contains("Duplicate field 'w'"), e.getMessage());
    }

    @Test
    void nonStringMetadata() throws IOException {
        Path f = dir.resolve("meta.safetensors");
        write(f, "{\"__metadata__\":{\"format\":\"pt\",\"n\":3}}", new byte[0]);
        assertFails(f, "__metadata__ value of 'n' must be a string, got 3");
    }

    @Test
    void missingFileAndUnknownTensor() throws IOException {
        assertFails(dir.resolve("nope.safetensors"), "file not found");
        Path f = dir.resolve("ok.safetensors");
        write(f, "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> sf.floats("v"));
            assertTrue(e.getMessage().endsWith("no tensor named 'v'"), e.getMessage());
            SafetensorsException e2 = assertThrows(SafetensorsException.class, () -> sf.floats("w"));
            assertTrue(e2.getMessage().contains("tensor 'w' is U8, not a floating-point type"), e2.getMessage());
        }
    }

    @Test
    void wellFormedHandWrittenFileOpens() throws IOException {
        Path f = dir.resolve("good.safetensors");
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        write(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"k\":\"v\"}}",
                data.array());
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(1.5f, sf.floats("w")[0]);
            assertEquals(-2f, sf.floats("w")[1]);
            assertEquals("v", sf.metadata().get("k"));
        }
    }

    private static SafetensorsException assertFails(Path f, String expected) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), () -> "message should name the file: " + e.getMessage());
        return e;
    }

    /** Header text padded with spaces to a multiple of 8, then the data bytes. */
    static void write(Path f, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int n = (h.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + n + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(h);
        for (int i = h.length; i < n; i++) {
            b.put((byte) ' ');
        }
        b.put(data);
        Files.write(f, b.array());
    }
}
