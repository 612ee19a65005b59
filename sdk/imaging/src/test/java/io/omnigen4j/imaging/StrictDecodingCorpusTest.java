package io.omnigen4j.imaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageDecodeException.Reason;
import io.omnigen4j.sdk.image.ImageFileCheck;
import io.omnigen4j.sdk.image.ImageSize;
import io.omnigen4j.sdk.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and unsupported image files, generated here: each must fail with the expected {@link Reason} and a message
 * naming the problem (and the file, when decoded from one), instead of a lenient decoder's guess.
 */
class StrictDecodingCorpusTest {
    private final DesktopImageCodec codec = new DesktopImageCodec();

    private ImageDecodeException rejects(byte[] data, Reason reason, String... fragments) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(data));
        System.out.println(reason + ": " + e.getMessage());
        assertEquals(reason, e.reason(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        if (reason != Reason.UNSUPPORTED_OR_CORRUPT) {
            // Found by the structural check alone, before any decoder runs; the header probe fails the same way.
            assertEquals(reason, assertThrows(ImageDecodeException.class, () -> ImageFileCheck.verify(data))
                    .reason());
            assertEquals(reason, assertThrows(ImageDecodeException.class, () -> codec.probeSize(data)).reason());
        }
        return e;
    }

    @Test
    void emptyFile(@TempDir Path dir) throws Exception {
        rejects(new byte[0], Reason.EMPTY, "empty (0 bytes)");
        Path f = Files.write(dir.resolve("empty.png"), new byte[0]);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(f));
        assertEquals(Reason.EMPTY, e.reason());
        assertEquals(f.toString(), e.input());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertEquals(Reason.EMPTY, assertThrows(ImageDecodeException.class, () -> codec.probeSize(f)).reason());
    }

    @Test
    void truncatedPngAtSeveralPoints() {
        byte[] png = png();
        int idat = indexOf(png, "IDAT") - 4;
        int iend = indexOf(png, "IEND") - 4;
        assertEquals(png.length, iend + 12, "premise: IEND is last");
        int[][] cuts = {{5}, {8}, {12}, {20}, {idat + 6}, {idat + 30}, {iend}, {png.length - 1}};
        for (int[] c : cuts) {
            int n = c[0];
            rejects(Arrays.copyOf(png, n), Reason.TRUNCATED, "PNG", "truncated at byte " + n);
        }
        rejects(Arrays.copyOf(png, iend), Reason.TRUNCATED, "ends before its IEND chunk");
        rejects(Arrays.copyOf(png, idat + 30), Reason.TRUNCATED, "chunk IDAT at byte " + idat);
    }

    @Test
    void badChunkCrcs() {
        byte[] png = png();
        byte[] badIhdr = png.clone();
        badIhdr[8 + 8 + 13 + 3] ^= 1;   // last CRC byte of IHDR
        rejects(badIhdr, Reason.BAD_CHECKSUM, "bad CRC in PNG chunk IHDR at byte 8");
        int idat = indexOf(png, "IDAT") - 4;
        int len = ByteBuffer.wrap(png, idat, 4).getInt();
        byte[] badIdatCrc = png.clone();
        badIdatCrc[idat + 8 + len] ^= (byte) 0x80;
        rejects(badIdatCrc, Reason.BAD_CHECKSUM, "bad CRC in PNG chunk IDAT at byte " + idat);
        byte[] badIdatData = png.clone();
        badIdatData[idat + 8 + len / 2] ^= 0x10;   // data changed, CRC left stale
        rejects(badIdatData, Reason.BAD_CHECKSUM, "chunk IDAT");
    }

    @Test
    void corruptZlibDataWithValidCrcIsCorruptNotGuessed() {
        byte[] png = png();
        int idat = indexOf(png, "IDAT") - 4;
        int len = ByteBuffer.wrap(png, idat, 4).getInt();
        byte[] bad = png.clone();
        Arrays.fill(bad, idat + 8 + 2, idat + 8 + len, (byte) 0xFF);   // keep the zlib header, wreck the stream
        fixCrc(bad, idat);
        rejects(bad, Reason.UNSUPPORTED_OR_CORRUPT, "PNG image data is corrupt");
    }

    @Test
    void zeroSizes() throws Exception {
        rejects(pngWithIhdr(0, 5), Reason.MALFORMED, "width of 0");
        rejects(pngWithIhdr(5, 0), Reason.MALFORMED, "height of 0");
        byte[] jpg = jpeg();
        int sof = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xC0});
        byte[] zeroH = jpg.clone();
        zeroH[sof + 5] = 0;
        zeroH[sof + 6] = 0;
        rejects(zeroH, Reason.MALFORMED, "height of 0");
        byte[] zeroW = jpg.clone();
        zeroW[sof + 7] = 0;
        zeroW[sof + 8] = 0;
        rejects(zeroW, Reason.MALFORMED, "width of 0");
    }

    @Test
    void badPngHeaderFields() {
        rejects(pngWithIhdr(4, 4, 16, 3), Reason.MALFORMED, "colour type 3 with bit depth 16");
        byte[] noPlte = pngWithIhdr(4, 4, 8, 3);
        rejects(noPlte, Reason.MALFORMED, "no PLTE chunk");
    }

    @Test
    void truncatedJpegAtSeveralPoints() throws Exception {
        byte[] jpg = jpeg();
        int sos = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xDA});
        // Premise: the lenient path (ImageIO alone) returns an image for a JPEG cut before its end marker.
        BufferedImage lenient = ImageIO.read(new ByteArrayInputStream(Arrays.copyOf(jpg, sos + 40)));
        assertNotNull(lenient, "premise: ImageIO fills a truncated JPEG instead of failing");
        int[] cuts = {2, 3, 25, sos + 1, sos + 40, jpg.length - 2, jpg.length - 1};
        for (int n : cuts) {
            ImageDecodeException e = rejects(Arrays.copyOf(jpg, n), Reason.TRUNCATED, "JPEG",
                    "truncated at byte " + n);
            if (n > sos + 14) {
                assertTrue(e.getMessage().contains("ends before its end marker (EOI)"), e.getMessage());
                assertTrue(e.getMessage().contains("compressed data of scan 1"), e.getMessage());
            }
        }
    }

    @Test
    void jpegWhoseCompressedDataEndsEarlyIsNotFilledWithGrey() throws Exception {
        byte[] jpg = jpeg();
        int sos = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xDA});
        ByteArrayOutputStream cut = new ByteArrayOutputStream();
        cut.write(jpg, 0, sos + 60);
        cut.write(0xFF);
        cut.write(0xD9);
        byte[] data = cut.toByteArray();
        ImageFileCheck.verify(data);   // structurally complete: only the decoder can tell
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(data));
        System.out.println("short scan: " + e.getMessage());
        assertEquals(Reason.TRUNCATED, e.reason());
        assertTrue(e.getMessage().contains("premature end of data segment"), e.getMessage());
    }

    @Test
    void unsupportedJpegEncodings() throws Exception {
        byte[] jpg = jpeg();
        int sof = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xC0});
        byte[] twelveBit = jpg.clone();
        twelveBit[sof + 4] = 12;
        rejects(twelveBit, Reason.UNSUPPORTED_COLOR_MODEL, "12-bit", "convert it to an 8-bit RGB");
        byte[] arithmetic = jpg.clone();
        arithmetic[sof + 1] = (byte) 0xC9;
        rejects(arithmetic, Reason.UNSUPPORTED_COLOR_MODEL, "arithmetic-coded JPEG (SOF9)", "re-save");
        byte[] lossless = jpg.clone();
        lossless[sof + 1] = (byte) 0xC3;
        rejects(lossless, Reason.UNSUPPORTED_COLOR_MODEL, "lossless JPEG");
    }

    @Test
    void unknownFormatSaysSo() {
        rejects("GIF-ish nonsense".getBytes(StandardCharsets.US_ASCII), Reason.UNSUPPORTED_OR_CORRUPT,
                "not a PNG or JPEG file", "47 49 46");
    }

    @Test
    void fileNameAndReasonSurviveDecodeFromPath(@TempDir Path dir) throws Exception {
        byte[] bad = png();
        bad[8 + 8 + 13] ^= 1;
        Path f = Files.write(dir.resolve("photo.png"), bad);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(f));
        assertEquals(Reason.BAD_CHECKSUM, e.reason());
        assertEquals(f.toString(), e.input());
        assertTrue(e.getMessage().startsWith(f + ": bad CRC in PNG chunk IHDR"), e.getMessage());
        assertTrue(e.detail().startsWith("bad CRC"), e.detail());
    }

    @Test
    void intactFilesStillDecode() throws Exception {
        byte[] png = png();
        assertEquals(new ImageSize(40, 30), codec.probeSize(png));
        assertEquals(40, codec.decode(png).width());
        byte[] jpg = jpeg();
        ImageFileCheck.Info info = ImageFileCheck.verify(jpg);
        assertEquals(ImageFileCheck.Format.JPEG, info.format());
        assertEquals(3, info.components());
        assertEquals(new ImageSize(40, 30), codec.decode(jpg).size());
        // Trailing bytes after IEND / EOI are ignored, as PIL does.
        byte[] trailing = Arrays.copyOf(jpg, jpg.length + 5);
        assertEquals(new ImageSize(40, 30), codec.decode(trailing).size());
        assertEquals(codec.decode(png), codec.decode(Arrays.copyOf(png, png.length + 3)));
    }

    // ---- generated inputs ----

    private static RgbImage image() {
        byte[] px = new byte[40 * 30 * 3];
        new Random(7).nextBytes(px);
        return RgbImage.of(40, 30, px);
    }

    private byte[] png() {
        return codec.encodePng(image(), Map.of());
    }

    private static byte[] jpeg() throws Exception {
        RgbImage img = image();
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] px = img.toByteArray();
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int o = (y * img.width() + x) * 3;
                bi.setRGB(x, y, ((px[o] & 0xFF) << 16) | ((px[o + 1] & 0xFF) << 8) | (px[o + 2] & 0xFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(bi, "jpeg", out));
        return out.toByteArray();
    }

    private static byte[] pngWithIhdr(int w, int h) {
        return pngWithIhdr(w, h, 8, 2);
    }

    /** Signature, IHDR with the given fields, a small valid-CRC IDAT and IEND. */
    private static byte[] pngWithIhdr(int w, int h, int depth, int colorType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.writeBytes(chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) depth)
                .put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) 0).array()));
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.putInt(data.length).put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return b.putInt((int) crc.getValue()).array();
    }

    private static void fixCrc(byte[] png, int chunkStart) {
        int len = ByteBuffer.wrap(png, chunkStart, 4).getInt();
        CRC32 crc = new CRC32();
        crc.update(png, chunkStart + 4, len + 4);
        ByteBuffer.wrap(png, chunkStart + 8 + len, 4).putInt((int) crc.getValue());
    }

    private static int indexOf(byte[] data, String ascii) {
        return indexOf(data, ascii.getBytes(StandardCharsets.US_ASCII));
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
