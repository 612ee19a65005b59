package io.omnigen4j.export.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tensor lying beyond the 2 GiB offset, without writing 2 GiB: the file is sparse (the gap tensor's bytes are
 * never written, so they read as zeros and cost no disk). Checks the reader's offsets are 64-bit end to end.
 */
class SafetensorsLargeFileTest {

    @TempDir
    Path dir;

    @Test
    void readsTensorBeyondTwoGiB() throws IOException {
        long gap = (1L << 31) + 56; // pushes "far" past the 2 GiB mark (and past Integer.MAX_VALUE)
        long farBegin = 8 + gap;
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"head\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"gap\":{\"dtype\":\"U8\",\"shape\":[" + gap + "],\"data_offsets\":[8," + farBegin + "]},"
                + "\"far\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + farBegin + "," + (farBegin + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int n = (h.length + 7) & ~7;
        long dataStart = 8L + n;
        Path file = dir.resolve("big.safetensors");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE)) {
            ByteBuffer hb = ByteBuffer.allocate(8 + n).order(ByteOrder.LITTLE_ENDIAN);
            hb.putLong(n).put(h);
            while (hb.hasRemaining()) {
                hb.put((byte) ' ');
            }
            hb.flip();
            writeAt(ch, hb, 0);
            writeAt(ch, floats(1.25f, -3.5f), dataStart);
            writeAt(ch, floats(10f, 20f, -30f, 0.125f), dataStart + farBegin);
            // a marker byte inside the gap, right after the 2 GiB boundary
            writeAt(ch, ByteBuffer.wrap(new byte[] {(byte) 0xAB}), dataStart + (1L << 31));
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(dataStart + farBegin + 16, f.path().toFile().length());
            assertArrayEquals(new float[] {1.25f, -3.5f}, f.floats("head"));
            assertArrayEquals(new float[] {10f, 20f, -30f, 0.125f}, f.floats("far"));
            assertEquals(farBegin, f.info("far").begin());
            assertEquals(gap, f.info("gap").byteLength());

            SafetensorsException big = assertThrows(SafetensorsException.class, () -> f.data("gap"));
            assertTrue(big.getMessage().contains("tensors over 2 GB must be read with slice()"), big.getMessage());
            // slice across the 2 GiB file offset: the marker sits at data offset 2^31, i.e. gap byte 2^31 - 8
            ByteBuffer s = f.slice("gap", (1L << 31) - 8 - 4, 8);
            assertEquals(0, s.get(0));
            assertEquals((byte) 0xAB, s.get(4));
            assertEquals(0, s.get(5));
            ByteBuffer far = f.slice("far", 8, 8);
            assertEquals(-30f, far.getFloat(0));
        }
    }

    private static ByteBuffer floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.flip();
    }

    private static void writeAt(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
