package io.omnigen4j.imaging;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Removes a PNG's colour-management chunks ({@code gAMA}, {@code cHRM}, {@code sRGB}, {@code iCCP}) before decoding.
 * commons-imaging applies gamma correction and ICC conversion from them, while PIL — and so the original pipeline —
 * returns the stored sample values unchanged. Chunks are copied verbatim (CRCs stay valid); anything that does not
 * parse as a PNG chunk sequence is returned untouched, for the decoder to report.
 */
final class PngColorChunks {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final Set<String> COLOR_CHUNKS = Set.of("gAMA", "cHRM", "sRGB", "iCCP");

    private PngColorChunks() {
    }

    static boolean isPng(byte[] data) {
        if (data.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (data[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /** {@code png} without colour-management chunks, or {@code png} itself if there are none or it is malformed. */
    static byte[] strip(byte[] png) {
        if (!isPng(png)) {
            return png;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length);
        out.write(png, 0, SIGNATURE.length);
        boolean removed = false;
        int pos = SIGNATURE.length;
        while (pos < png.length) {
            if (png.length - pos < 12) {
                return png;
            }
            long len = ((png[pos] & 0xFFL) << 24) | ((png[pos + 1] & 0xFF) << 16) | ((png[pos + 2] & 0xFF) << 8)
                    | (png[pos + 3] & 0xFF);
            long end = pos + 12L + len;
            if (end > png.length) {
                return png;
            }
            String type = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (COLOR_CHUNKS.contains(type)) {
                removed = true;
            } else {
                out.write(png, pos, (int) (end - pos));
            }
            pos = (int) end;
            if (type.equals("IEND")) {
                break;
            }
        }
        return removed ? out.toByteArray() : png;
    }
}
