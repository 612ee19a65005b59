package io.omnigen4j.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the tEXt and uncompressed iTXt chunks of a PNG, independently of the encoder under test. */
final class PngText {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngText() {
    }

    static Map<String, String> read(byte[] png) {
        if (png.length < 8 || !Arrays.equals(Arrays.copyOf(png, 8), SIGNATURE)) {
            throw new IllegalArgumentException("not a PNG");
        }
        Map<String, String> text = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        while (b.remaining() >= 12) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[length];
            b.get(data);
            b.getInt(); // CRC
            String t = new String(type, StandardCharsets.US_ASCII);
            if (t.equals("tEXt")) {
                int nul = indexOf(data, 0, 0);
                text.put(new String(data, 0, nul, StandardCharsets.ISO_8859_1),
                        new String(data, nul + 1, data.length - nul - 1, StandardCharsets.ISO_8859_1));
            } else if (t.equals("iTXt")) {
                int nul = indexOf(data, 0, 0);
                int lang = indexOf(data, nul + 3, 0);
                int translated = indexOf(data, lang + 1, 0);
                text.put(new String(data, 0, nul, StandardCharsets.ISO_8859_1),
                        new String(data, translated + 1, data.length - translated - 1, StandardCharsets.UTF_8));
            }
        }
        return text;
    }

    private static int indexOf(byte[] a, int from, int value) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        throw new IllegalArgumentException("unterminated text chunk field");
    }
}
