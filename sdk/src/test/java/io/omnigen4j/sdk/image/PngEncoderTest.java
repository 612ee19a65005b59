package io.omnigen4j.sdk.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** Checks the PNG writer with a minimal AWT-free reader (chunk walk, CRC, inflate, unfilter) written here. */
class PngEncoderTest {

    private record Chunk(String type, byte[] data) {
    }

    private static List<Chunk> chunks(byte[] png) {
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                java.util.Arrays.copyOf(png, 8));
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        List<Chunk> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int len = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[len];
            b.get(data);
            CRC32 crc = new CRC32();
            crc.update(type);
            crc.update(data);
            assertEquals((int) crc.getValue(), b.getInt(), "CRC of " + new String(type, StandardCharsets.US_ASCII));
            out.add(new Chunk(new String(type, StandardCharsets.US_ASCII), data));
        }
        return out;
    }

    private static byte[] decodePixels(List<Chunk> chunks, int w, int h) throws Exception {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        chunks.stream().filter(c -> c.type.equals("IDAT")).forEach(c -> idat.writeBytes(c.data));
        Inflater inf = new Inflater();
        inf.setInput(idat.toByteArray());
        byte[] raw = new byte[(w * 3 + 1) * h];
        int n = 0;
        while (n < raw.length && !inf.finished()) {
            n += inf.inflate(raw, n, raw.length - n);
        }
        assertEquals(raw.length, n);
        int stride = w * 3;
        byte[] px = new byte[stride * h];
        for (int y = 0; y < h; y++) {
            int f = raw[y * (stride + 1)];
            for (int i = 0; i < stride; i++) {
                int x = raw[y * (stride + 1) + 1 + i] & 0xFF;
                int a = i >= 3 ? px[y * stride + i - 3] & 0xFF : 0;
                int up = y > 0 ? px[(y - 1) * stride + i] & 0xFF : 0;
                int c = i >= 3 && y > 0 ? px[(y - 1) * stride + i - 3] & 0xFF : 0;
                int pred = switch (f) {
                    case 0 -> 0;
                    case 1 -> a;
                    case 2 -> up;
                    case 3 -> (a + up) / 2;
                    case 4 -> {
                        int p = a + up - c;
                        int pa = Math.abs(p - a);
                        int pb = Math.abs(p - up);
                        int pc = Math.abs(p - c);
                        yield pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
                    }
                    default -> throw new AssertionError("filter " + f);
                };
                px[y * stride + i] = (byte) (x + pred);
            }
        }
        return px;
    }

    @Test
    void roundTripsPixelsAndText() throws Exception {
        RgbImage img = TestImages.synthetic(37, 23, 21);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("prompt", "A cat, café\nline two");
        meta.put("Software", "OmniGen4J");
        meta.put("note", "日本語 ✓");
        byte[] png = PngEncoder.encode(img, meta);
        List<Chunk> ch = chunks(png);
        assertEquals("IHDR", ch.get(0).type);
        ByteBuffer ihdr = ByteBuffer.wrap(ch.get(0).data);
        assertEquals(37, ihdr.getInt());
        assertEquals(23, ihdr.getInt());
        assertArrayEquals(new byte[] {8, 2, 0, 0, 0}, java.util.Arrays.copyOfRange(ch.get(0).data, 8, 13));
        assertEquals("IEND", ch.get(ch.size() - 1).type);
        assertEquals("tEXt", ch.get(1).type);
        assertArrayEquals("prompt\0A cat, café\nline two".getBytes(StandardCharsets.ISO_8859_1), ch.get(1).data);
        assertEquals("tEXt", ch.get(2).type);
        assertEquals("iTXt", ch.get(3).type);
        ByteArrayOutputStream itxt = new ByteArrayOutputStream();
        itxt.writeBytes("note".getBytes(StandardCharsets.ISO_8859_1));
        itxt.writeBytes(new byte[] {0, 0, 0, 0, 0});
        itxt.writeBytes("日本語 ✓".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(itxt.toByteArray(), ch.get(3).data);
        assertArrayEquals(img.toByteArray(), decodePixels(ch, 37, 23));
    }

    @Test
    void largeImageSplitsIdatAndStillRoundTrips() throws Exception {
        byte[] noise = new byte[800 * 600 * 3];
        new java.util.Random(22).nextBytes(noise);   // incompressible: 1.44 MB of IDAT data, more than one 1 MiB chunk
        RgbImage img = RgbImage.of(800, 600, noise);
        List<Chunk> ch = chunks(PngEncoder.encode(img, Map.of(), 1));
        assertEquals(2, ch.stream().filter(c -> c.type.equals("IDAT")).count());
        assertArrayEquals(img.toByteArray(), decodePixels(ch, 800, 600));
    }

    @Test
    void rejectsBadKeywordsAndNul() {
        RgbImage img = TestImages.synthetic(2, 2, 23);
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of("", "v")));
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of(" lead", "v")));
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of("a  b", "v")));
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of("x".repeat(80), "v")));
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of("k\u0101", "v")));
        assertThrows(IllegalArgumentException.class, () -> PngEncoder.encode(img, Map.of("k", "a\0b")));
    }
}
