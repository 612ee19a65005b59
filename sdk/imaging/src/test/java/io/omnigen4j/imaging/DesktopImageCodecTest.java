package io.omnigen4j.imaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;
import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageSize;
import io.omnigen4j.sdk.image.RgbImage;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.common.ImageMetadata;
import org.junit.jupiter.api.Test;

class DesktopImageCodecTest {
    private final DesktopImageCodec codec = new DesktopImageCodec();

    private static RgbImage fixture(String caseName, int n) throws Exception {
        try (SafetensorsFile st = SafetensorsFile.open(Fixtures.caseDir(caseName).resolve("tensors.safetensors"))) {
            int[] s = st.info("preprocess." + n + ".decoded_rgb").intShape();
            return RgbImage.of(s[1], s[0], st.bytes("preprocess." + n + ".decoded_rgb"));
        }
    }

    private static int[] diffStats(RgbImage a, RgbImage b) {
        byte[] x = a.toByteArray();
        byte[] y = b.toByteArray();
        int max = 0;
        int differing = 0;
        for (int i = 0; i < x.length; i++) {
            int d = Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
            max = Math.max(max, d);
            differing += d != 0 ? 1 : 0;
        }
        return new int[] {max, differing, x.length};
    }

    @Test
    void fixturePngsDecodeExactly() throws Exception {
        RgbImage edit = codec.decode(Fixtures.caseDir("edit").resolve("input_1.png"));
        assertEquals(fixture("edit", 0), edit);
        RgbImage subject = codec.decode(Fixtures.caseDir("subject_multi").resolve("input_1.png"));
        assertEquals(fixture("subject_multi", 0), subject);
        assertEquals(new ImageSize(100, 75), codec.probeSize(Fixtures.caseDir("edit").resolve("input_1.png")));
    }

    @Test
    void fixtureJpegWithinTwoLevels() throws Exception {
        Path jpg = Fixtures.caseDir("subject_multi").resolve("input_2.jpg");
        RgbImage want = fixture("subject_multi", 1);
        byte[] data = Files.readAllBytes(jpg);
        RgbImage viaCodec = codec.decode(data);
        int[] c = diffStats(viaCodec, want);
        int[] ci = diffStats(RgbConversion.toRgb(Imaging.getBufferedImage(data)), want);
        int[] io = diffStats(RgbConversion.toRgb(ImageIO.read(new ByteArrayInputStream(data))), want);
        System.out.printf("JPEG %s vs PIL decoded_rgb: codec max %d (%d/%d samples differ); commons-imaging max %d"
                + " (%d differ); ImageIO max %d (%d differ)%n", viaCodec.size(), c[0], c[1], c[2], ci[0], ci[1],
                io[0], io[1]);
        assertEquals(new ImageSize(90, 60), viaCodec.size());
        assertTrue(c[0] <= 2, "JPEG max diff " + c[0]);
    }

    @Test
    void pngRoundTripWithMetadata() throws Exception {
        RgbImage img = randomImage(53, 31, 1);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("prompt", "a red fox, café");
        meta.put("seed", "42");
        meta.put("comment", "Unicode ✓ 日本");
        byte[] png = codec.encodePng(img, meta);
        assertEquals(img, codec.decode(png));
        assertEquals(img, RgbConversion.toRgb(ImageIO.read(new ByteArrayInputStream(png))));   // independent decoder
        ImageMetadata md = Imaging.getMetadata(png);
        String dump = String.valueOf(md);
        System.out.println("commons-imaging sees PNG metadata: " + dump.replace('\n', ' '));
        assertTrue(dump.contains("prompt: a red fox, café"), dump);
        assertTrue(dump.contains("seed: 42"), dump);
        assertTrue(dump.contains("comment: Unicode ✓ 日本"), dump);
    }

    @Test
    void pixelBudgetIsCheckedFromHeaderBeforeDecoding() throws Exception {
        // A PNG declaring 50000x50000 (2.5 G pixels) with almost no image data.
        byte[] bomb = headerOnlyPng(50_000, 50_000);
        assertEquals(new ImageSize(50_000, 50_000), codec.probeSize(bomb));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(bomb));
        assertEquals(ImageDecodeException.Reason.TOO_MANY_PIXELS, e.reason());
        assertTrue(e.getMessage().contains("50000x50000"), e.getMessage());
        // A small real image against a small budget.
        byte[] png = codec.encodePng(randomImage(20, 10, 2), Map.of());
        assertEquals(ImageDecodeException.Reason.TOO_MANY_PIXELS,
                assertThrows(ImageDecodeException.class, () -> new DesktopImageCodec(199).decode(png)).reason());
        assertEquals(new ImageSize(20, 10), new DesktopImageCodec(200).decode(png).size());
    }

    @Test
    void garbageIsAClearError() {
        byte[] junk = "definitely not an image".getBytes(StandardCharsets.US_ASCII);
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(junk));
        assertEquals(ImageDecodeException.Reason.UNSUPPORTED_OR_CORRUPT, e.reason());
        assertTrue(e.getMessage().contains("commons-imaging") && e.getMessage().contains("javax.imageio"),
                e.getMessage());
        System.out.println("garbage message: " + e.getMessage());
        // Truncated PNG: the header parses, the data does not.
        byte[] png = codec.encodePng(randomImage(40, 40, 3), Map.of());
        byte[] cut = java.util.Arrays.copyOf(png, png.length / 2);
        ImageDecodeException e2 = assertThrows(ImageDecodeException.class, () -> codec.decode(cut));
        System.out.println("truncated message: " + e2.getMessage());
    }

    @Test
    void fileErrorsNameTheFile() throws Exception {
        Path tmp = Files.createTempFile("omnigen4j-bad", ".png");
        try {
            Files.write(tmp, new byte[] {1, 2, 3});
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> codec.decode(tmp));
            assertTrue(e.getMessage().startsWith(tmp.toString()), e.getMessage());
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void progressiveJpegDecodes() throws Exception {
        BufferedImage src = new BufferedImage(48, 32, BufferedImage.TYPE_3BYTE_BGR);
        fillRandom(src.getRaster(), 4, 255);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bos)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            w.write(null, new IIOImage(src, null, null), p);
        } finally {
            w.dispose();
        }
        byte[] jpg = bos.toByteArray();
        Exception commons = assertThrows(Exception.class, () -> Imaging.getBufferedImage(jpg));
        System.out.println("commons-imaging on progressive JPEG: " + commons.getMessage());
        RgbImage got = codec.decode(jpg);
        assertEquals(RgbConversion.toRgb(ImageIO.read(new ByteArrayInputStream(jpg))), got);
        assertEquals(new ImageSize(48, 32), codec.probeSize(jpg));
    }

    @Test
    void alphaIsDroppedWithoutCompositing() throws Exception {
        BufferedImage src = new BufferedImage(17, 9, BufferedImage.TYPE_INT_ARGB);
        Random rnd = new Random(5);
        byte[] want = new byte[17 * 9 * 3];
        for (int y = 0; y < 9; y++) {
            for (int x = 0; x < 17; x++) {
                int rgb = rnd.nextInt(1 << 24);
                int a = x == 0 ? 0 : rnd.nextInt(256);   // include fully transparent pixels
                src.setRGB(x, y, (a << 24) | rgb);
                int o = (y * 17 + x) * 3;
                want[o] = (byte) (rgb >> 16);
                want[o + 1] = (byte) (rgb >> 8);
                want[o + 2] = (byte) rgb;
            }
        }
        assertEquals(RgbImage.of(17, 9, want), codec.decode(writePng(src)));
    }

    @Test
    void greyPaletteAndSixteenBitBecomeRgb() throws Exception {
        // 8-bit grey: raw value replicated (getRGB would colour-convert linear grey; commons-imaging is lossy here).
        BufferedImage grey = new BufferedImage(11, 7, BufferedImage.TYPE_BYTE_GRAY);
        fillRandom(grey.getRaster(), 6, 255);
        assertEquals(expected(grey.getRaster(), 0, 0, 0, 0), codec.decode(writePng(grey)));
        // 16-bit grey: clipped to 255 as PIL's "I;16" to "RGB" (see PillowParityTest).
        BufferedImage grey16 = new BufferedImage(11, 7, BufferedImage.TYPE_USHORT_GRAY);
        fillRandom(grey16.getRaster(), 7, 511);
        RgbImage grey16Rgb = codec.decode(writePng(grey16));
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 11; x++) {
                assertEquals(Math.min(grey16.getRaster().getSample(x, y, 0), 255),
                        grey16Rgb.toByteArray()[(y * 11 + x) * 3] & 0xFF);
            }
        }
        // Palette.
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        new Random(8).nextBytes(r);
        new Random(9).nextBytes(g);
        new Random(10).nextBytes(b);
        IndexColorModel icm = new IndexColorModel(4, 16, r, g, b);
        BufferedImage pal = new BufferedImage(13, 5, BufferedImage.TYPE_BYTE_BINARY, icm);
        fillRandom(pal.getRaster(), 11, 15);
        byte[] want = new byte[13 * 5 * 3];
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 13; x++) {
                int idx = pal.getRaster().getSample(x, y, 0);
                int o = (y * 13 + x) * 3;
                want[o] = r[idx];
                want[o + 1] = g[idx];
                want[o + 2] = b[idx];
            }
        }
        assertEquals(RgbImage.of(13, 5, want), codec.decode(writePng(pal)));
    }

    /** PIL ignores gAMA and iCCP; commons-imaging would apply them, so the codec strips them first. */
    @Test
    void pngColourChunksAreIgnoredLikePil() throws Exception {
        RgbImage img = randomImage(29, 19, 12);
        byte[] plain = codec.encodePng(img, Map.of());
        byte[] gamma = insertAfterIhdr(plain, "gAMA", ByteBuffer.allocate(4).putInt(45455).array());
        ByteArrayOutputStream iccp = new ByteArrayOutputStream();
        iccp.writeBytes("linear\0\0".getBytes(StandardCharsets.ISO_8859_1));
        try (DeflaterOutputStream z = new DeflaterOutputStream(iccp)) {
            z.write(ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData());
        }
        byte[] icc = insertAfterIhdr(plain, "iCCP", iccp.toByteArray());
        assertNotEquals(img, RgbConversion.toRgb(Imaging.getBufferedImage(gamma)),
                "premise: commons-imaging applies gAMA when left in");
        assertEquals(img, codec.decode(gamma));
        assertEquals(img, codec.decode(icc));
        // The commons-imaging fallback sees the chunks stripped.
        assertEquals(img, RgbConversion.toRgb(DecoderBackend.COMMONS_IMAGING.read(gamma)));
        assertEquals(img, RgbConversion.toRgb(DecoderBackend.COMMONS_IMAGING.read(icc)));
    }

    /** PPM is not an ImageIO format: the codec falls back to commons-imaging. */
    @Test
    void fallsBackToCommonsImagingForFormatsImageIoLacks() throws Exception {
        RgbImage img = randomImage(5, 3, 14);
        ByteArrayOutputStream ppm = new ByteArrayOutputStream();
        ppm.writeBytes("P6\n5 3\n255\n".getBytes(StandardCharsets.US_ASCII));
        ppm.writeBytes(img.toByteArray());
        byte[] data = ppm.toByteArray();
        assertThrows(Exception.class, () -> DecoderBackend.IMAGE_IO.read(data));
        assertEquals(new ImageSize(5, 3), codec.probeSize(data));
        assertEquals(img, codec.decode(data));
    }

    @Test
    void decodeSpeedOneMegapixel() throws Exception {
        RgbImage img = randomImage(1024, 1024, 13);
        byte[] png = codec.encodePng(img, Map.of());
        long decode = Long.MAX_VALUE;
        long encode = Long.MAX_VALUE;
        RgbImage back = null;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            back = codec.decode(png);
            long t1 = System.nanoTime();
            codec.encodePng(img, Map.of("k", "v"));
            long t2 = System.nanoTime();
            decode = Math.min(decode, t1 - t0);
            encode = Math.min(encode, t2 - t1);
        }
        System.out.printf("1024x1024 noise PNG (%d bytes), best of 4: decode %d ms, encode %d ms%n", png.length,
                decode / 1_000_000, encode / 1_000_000);
        assertEquals(img, back);
    }

    // ---- helpers ----

    private static RgbImage randomImage(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        new Random(seed).nextBytes(px);
        return RgbImage.of(w, h, px);
    }

    private static void fillRandom(WritableRaster r, long seed, int max) {
        Random rnd = new Random(seed);
        for (int y = 0; y < r.getHeight(); y++) {
            for (int x = 0; x < r.getWidth(); x++) {
                for (int c = 0; c < r.getNumBands(); c++) {
                    r.setSample(x, y, c, rnd.nextInt(max + 1));
                }
            }
        }
    }

    private static RgbImage expected(WritableRaster r, int b0, int b1, int b2, int shift) {
        int w = r.getWidth();
        int h = r.getHeight();
        byte[] px = new byte[w * h * 3];
        int[] bands = {b0, b1, b2};
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    px[(y * w + x) * 3 + c] = (byte) (r.getSample(x, y, bands[c]) >> shift);
                }
            }
        }
        return RgbImage.of(w, h, px);
    }

    private static byte[] writePng(BufferedImage img) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "png", out));
        return out.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static byte[] headerOnlyPng(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.writeBytes(chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array()));
        // One tiny (empty zlib stream) IDAT, so that the file is structurally complete but holds no real pixels.
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    private static byte[] insertAfterIhdr(byte[] png, String type, byte[] data) {
        int cut = 8 + 12 + 13;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, cut);
        out.writeBytes(chunk(type, data));
        out.write(png, cut, png.length - cut);
        return out.toByteArray();
    }

}
