package io.omnigen4j.export.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writer → reader round trips for every dtype, and the writer's own validation and atomic-commit behaviour. */
class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDtypeWithMetadata() throws IOException {
        float[] f32 = {1.5f, -2.25f, 3e-8f, Float.MAX_VALUE, -0.0f, 7f};
        // values exactly representable in binary16 / bfloat16, so the round trip is exact
        float[] f16 = {0.5f, -1.0f, 65504f, 0x1p-24f, 1.0009765625f, -3.140625f};
        float[] bf16 = {1.0f, -2.0f, 0.15625f, 3.3895314e38f, 1.0078125f, -0.0f};
        long[] i64 = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 32010, 1L << 40};
        byte[] u8 = {0, 1, (byte) 127, (byte) 128, (byte) 255, 42};
        List<TensorSpec> specs = List.of(
                TensorSpec.of("a.f32", DType.F32, 2, 3),
                TensorSpec.of("b.f16", DType.F16, 6),
                TensorSpec.of("c.bf16", DType.BF16, 3, 2),
                TensorSpec.of("d.i64", DType.I64, 1, 6),
                TensorSpec.of("e.u8", DType.U8, 2, 1, 3),
                TensorSpec.of("f.empty", DType.F32, 0, 4),
                TensorSpec.of("g.scalar", DType.F32));
        Path file = dir.resolve("rt.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs,
                SafetensorsWriter.metadata("format", "pt", "note", "ünïcödé"))) {
            w.writeFloats("a.f32", f32);
            w.writeFloats("b.f16", f16);
            w.writeFloats("c.bf16", bf16);
            w.writeLongs("d.i64", i64);
            w.write("e.u8", ByteBuffer.wrap(u8));
            // f.empty has no bytes and needs no call
            w.writeFloats("g.scalar", new float[] {42f});
        }
        assertEquals(0, (8 + headerLength(file)) % 8, "data section starts at a multiple of 8");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("a.f32", "b.f16", "c.bf16", "d.i64", "e.u8", "f.empty", "g.scalar"),
                    List.copyOf(f.names()));
            assertEquals(Map.of("format", "pt", "note", "ünïcödé"), f.metadata());
            assertArrayEquals(f32, f.floats("a.f32"));
            assertArrayEquals(f16, f.floats("b.f16"));
            assertArrayEquals(bf16, f.floats("c.bf16"));
            assertArrayEquals(i64, f.longs("d.i64"));
            assertArrayEquals(u8, f.bytes("e.u8"));
            assertArrayEquals(new long[] {0, 1, 127, 128, 255, 42}, f.longs("e.u8"));
            assertEquals(0, f.floats("f.empty").length);
            assertArrayEquals(new long[] {0, 4}, f.info("f.empty").shape());
            assertArrayEquals(new float[] {42f}, f.floats("g.scalar"));
            assertEquals(0, f.info("g.scalar").rank());
            assertEquals(DType.BF16, f.info("c.bf16").dtype());
            assertArrayEquals(new long[] {2, 1, 3}, f.info("e.u8").shape());
        }
        assertNoPartialFiles();
    }

    @Test
    void halfAndBfloatRoundToNearestEven() {
        // binary16: 1 + 2^-11 is a tie between 1 and 1 + 2^-10 → even (1); 1 + 3·2^-11 → 1 + 2^-9
        assertEquals(0x3C00, FloatEncoding.toHalf(1f + 0x1p-11f) & 0xFFFF);
        assertEquals(0x3C02, FloatEncoding.toHalf(1f + 3 * 0x1p-11f) & 0xFFFF);
        assertEquals(0x7C00, FloatEncoding.toHalf(70000f) & 0xFFFF);
        assertEquals(0x7BFF, FloatEncoding.toHalf(65519f) & 0xFFFF);
        assertEquals(0x7C00, FloatEncoding.toHalf(65520f) & 0xFFFF);
        assertEquals(0x0001, FloatEncoding.toHalf(0x1p-24f) & 0xFFFF);
        assertEquals(0x0000, FloatEncoding.toHalf(0x1p-25f) & 0xFFFF, "tie at half the smallest subnormal → 0");
        assertEquals(0x0001, FloatEncoding.toHalf(0x1.8p-25f) & 0xFFFF);
        assertEquals(0x0400, FloatEncoding.toHalf(0x1p-14f) & 0xFFFF);
        assertEquals(0x8000, FloatEncoding.toHalf(-0f) & 0xFFFF);
        assertTrue(Float.isNaN(SafetensorsFile.halfToFloat(FloatEncoding.toHalf(Float.NaN))));
        for (int h = 0; h < 0x7C00; h++) {
            float v = SafetensorsFile.halfToFloat((short) h);
            assertEquals(h, FloatEncoding.toHalf(v) & 0xFFFF, "every finite half survives float and back");
        }
        // bfloat16
        assertEquals(0x3F80, FloatEncoding.toBf16(1f + 0x1p-8f) & 0xFFFF, "tie → even");
        assertEquals(0x3F82, FloatEncoding.toBf16(1f + 3 * 0x1p-8f) & 0xFFFF, "tie → even (up)");
        assertEquals(0x3F81, FloatEncoding.toBf16(1f + 0x1.2p-8f) & 0xFFFF);
        assertTrue(Float.isNaN(Float.intBitsToFloat((FloatEncoding.toBf16(Float.NaN) & 0xFFFF) << 16)));
    }

    @Test
    void chunkedAndStreamedWritesMatchWholeWrites() throws IOException {
        int n = 200_000; // spans several internal chunks
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        List<TensorSpec> specs = List.of(TensorSpec.of("x", DType.F32, n), TensorSpec.of("y", DType.U8, 10));
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 0.5f - 7;
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(a, specs)) {
            w.writeFloats("x", (first, dst, count) -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = (first + i) * 0.5f - 7;
                }
            });
            w.write("y", ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(b, specs)) {
            ByteBuffer all = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            all.asFloatBuffer().put(x);
            for (int off = 0; off < n * 4; off += 333_333) {
                ByteBuffer part = all.duplicate();
                part.position(off).limit(Math.min(n * 4, off + 333_333));
                w.writeChunk("x", part);
            }
            w.writeChunk("y", ByteBuffer.wrap(new byte[] {0, 1, 2, 3}));
            w.writeChunk("y", ByteBuffer.wrap(new byte[] {4, 5, 6, 7, 8, 9}));
            assertTrue(w.isComplete());
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        try (SafetensorsFile f = SafetensorsFile.open(a)) {
            assertArrayEquals(x, f.floats("x"));
        }
    }

    @Test
    void wrongSizeIsSpecificAndLeavesNoFile() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("w", DType.F32, 2, 3)));
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> w.write("w", ByteBuffer.allocate(20)));
        assertTrue(e.getMessage().contains("tensor 'w' (F32 [2, 3]) needs 24 bytes, got 20"), e.getMessage());
        assertFalse(Files.exists(file));
        assertNoPartialFiles();
        SafetensorsException again = assertThrows(SafetensorsException.class,
                () -> w.write("w", ByteBuffer.allocate(24)));
        assertTrue(again.getMessage().contains("unusable after an earlier error"), again.getMessage());
        w.close(); // no-op after failure
    }

    @Test
    void chunkOverrunIsRejected() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("w", DType.U8, 5)))) {
            w.writeChunk("w", ByteBuffer.allocate(3));
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> w.writeChunk("w", ByteBuffer.allocate(3)));
            assertTrue(e.getMessage().contains("would overrun it by 1"), e.getMessage());
        }
        assertNoPartialFiles();
    }

    @Test
    void outOfOrderUndeclaredAndDuplicateNamesAreRejected() throws IOException {
        List<TensorSpec> specs = List.of(TensorSpec.of("first", DType.U8, 1), TensorSpec.of("second", DType.U8, 1));
        SafetensorsWriter w1 = SafetensorsWriter.create(dir.resolve("o.safetensors"), specs);
        SafetensorsException e1 = assertThrows(SafetensorsException.class,
                () -> w1.write("second", ByteBuffer.allocate(1)));
        assertTrue(e1.getMessage().contains("'second' written out of order; the next tensor due is 'first'"),
                e1.getMessage());

        SafetensorsWriter w2 = SafetensorsWriter.create(dir.resolve("u.safetensors"), specs);
        SafetensorsException e2 = assertThrows(SafetensorsException.class,
                () -> w2.write("third", ByteBuffer.allocate(1)));
        assertTrue(e2.getMessage().contains("tensor 'third' was not declared"), e2.getMessage());

        SafetensorsWriter w3 = SafetensorsWriter.create(dir.resolve("r.safetensors"), specs);
        w3.write("first", ByteBuffer.allocate(1));
        SafetensorsException e3 = assertThrows(SafetensorsException.class,
                () -> w3.write("first", ByteBuffer.allocate(1)));
        assertTrue(e3.getMessage().contains("it is already complete"), e3.getMessage());

        SafetensorsException e4 = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.create(dir.resolve("d.safetensors"),
                        List.of(TensorSpec.of("x", DType.U8, 1), TensorSpec.of("x", DType.F32, 1))));
        assertTrue(e4.getMessage().contains("tensor 'x' is declared twice"), e4.getMessage());

        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("__metadata__", DType.U8, 1));
        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("neg", DType.U8, 2, -1));
        assertNoPartialFiles();
    }

    @Test
    void closingIncompleteWriterDeletesTempAndNamesTheGap() throws IOException {
        Path file = dir.resolve("inc.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(file,
                List.of(TensorSpec.of("a", DType.F32, 4), TensorSpec.of("b", DType.F32, 4), TensorSpec.of("c", DType.U8, 1)));
        w.writeChunk("a", ByteBuffer.allocate(16));
        w.writeChunk("b", ByteBuffer.allocate(8));
        SafetensorsException e = assertThrows(SafetensorsException.class, w::close);
        assertTrue(e.getMessage().contains("tensor 'b' has 8 of 16 bytes and 1 more are missing"), e.getMessage());
        assertFalse(Files.exists(file));
        assertNoPartialFiles();
    }

    @Test
    void failingSourceDeletesTempAndKeepsExistingTarget() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "previous content");
        SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("a", DType.F32, 100_000)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.writeFloats("a", (first, dst, count) -> {
            if (first > 0) {
                throw new IllegalStateException("generator broke");
            }
        }));
        assertEquals("generator broke", e.getMessage());
        assertEquals("previous content", Files.readString(file));
        assertNoPartialFiles();
    }

    @Test
    void finishReplacesExistingTargetAtomically() throws IOException {
        Path file = dir.resolve("replace.safetensors");
        Files.writeString(file, "old");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("v", DType.I64, 2)))) {
            assertEquals("old", Files.readString(file), "target untouched until finish");
            w.writeLongs("v", new long[] {5, 6});
            assertEquals(file.toAbsolutePath(), w.finish());
            assertEquals(w.fileSize(), Files.size(file));
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new long[] {5, 6}, f.longs("v"));
            assertTrue(f.metadata().isEmpty());
        }
        assertNoPartialFiles();
    }

    @Test
    void writeFloatsRejectsIntegerTensorsAndWrongCounts() throws IOException {
        SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("i.safetensors"),
                List.of(TensorSpec.of("ids", DType.I64, 3)));
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> w.writeFloats("ids", new float[3]));
        assertTrue(e.getMessage().contains("writeFloats needs F32, F16 or BF16"), e.getMessage());
        SafetensorsWriter w2 = SafetensorsWriter.create(dir.resolve("j.safetensors"),
                List.of(TensorSpec.of("f", DType.F32, 3)));
        SafetensorsException e2 = assertThrows(SafetensorsException.class, () -> w2.writeFloats("f", new float[2]));
        assertTrue(e2.getMessage().contains("has 3 elements, got 2 floats"), e2.getMessage());
        assertNoPartialFiles();
    }

    @Test
    void headerIsCompactJsonPaddedWithSpaces() throws IOException {
        Path file = dir.resolve("h.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("ab", DType.U8, 1)),
                SafetensorsWriter.metadata("format", "pt"))) {
            w.write("ab", ByteBuffer.wrap(new byte[] {9}));
        }
        byte[] all = Files.readAllBytes(file);
        int n = (int) headerLength(file);
        String header = new String(all, 8, n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"ab\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        assertEquals(8 + n + 1, all.length);
    }

    @Test
    void finishedFileHasOrdinaryPermissions() throws IOException {
        Path file = dir.resolve("perm.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of("v", DType.U8, 1)))) {
            w.write("v", ByteBuffer.allocate(1));
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file),
                    "same as any new file (umask), not the owner-only mode of a temp file");
        }
    }

    private static long headerLength(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private void assertNoPartialFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> partial = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".partial")).toList();
            assertTrue(partial.isEmpty(), "leftover temporary files: " + partial);
        }
    }
}
