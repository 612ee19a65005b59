package io.omnigen4j.imaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omnigen4j.sdk.image.RgbImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pixels of the colour models PIL converts specially (CMYK and YCCK JPEG with and without the Adobe marker, with and
 * without subsampling; grey and progressive 4:2:0 YCbCr JPEG; 16-bit grey, RGB, RGBA and grey+alpha PNG; grey and
 * palette PNG with tRNS; 1/2/4-bit grey)
 * against {@code PIL.Image.open(f).convert("RGB")}, recorded with Pillow 9.4 by {@code pillow/make_cases.py}
 * (the conversions involved are unchanged in the reference's Pillow 10.2). Exact equality, no tolerance.
 */
class PillowParityTest {
    private final DesktopImageCodec codec = new DesktopImageCodec();

    static Stream<String> cases() {
        return lines().stream().filter(l -> !l.startsWith("#") && !l.isBlank()).map(l -> l.split(" ")[0]);
    }

    private static List<String> lines() {
        return new String(resource("cases.txt"), StandardCharsets.US_ASCII).lines().toList();
    }

    private static byte[] resource(String name) {
        try (InputStream in = PillowParityTest.class.getResourceAsStream("/pillow/" + name)) {
            assertNotNull(in, "missing test resource pillow/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void decodesAsPillow(String file) throws Exception {
        String[] meta = lines().stream().filter(l -> l.startsWith(file + " ")).findFirst().orElseThrow().split(" ");
        int w = Integer.parseInt(meta[2]);
        int h = Integer.parseInt(meta[3]);
        RgbImage want = RgbImage.of(w, h, resource(file.substring(0, file.lastIndexOf('.')) + ".rgb"));
        RgbImage got = codec.decode(resource(file));
        assertEquals(want.size(), got.size(), file);
        byte[] a = want.toByteArray();
        byte[] b = got.toByteArray();
        int max = 0;
        int differing = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
            max = Math.max(max, d);
            differing += d != 0 ? 1 : 0;
        }
        System.out.printf("%s (PIL mode %s): max diff %d, %d of %d samples differ%n", file, meta[1], max, differing,
                a.length);
        assertTrue(max == 0, file + ": max diff " + max + " over " + differing + " samples");
    }
}
