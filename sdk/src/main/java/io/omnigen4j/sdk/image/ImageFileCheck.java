package io.omnigen4j.sdk.image;

import io.omnigen4j.sdk.image.ImageDecodeException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * Structural check of an encoded PNG or JPEG before any pixel decoding, in pure Java (no {@code java.desktop}, so an
 * Android {@link ImageCodec} can use it too). Lenient decoders fill missing data with grey or skip bad checksums;
 * PIL, which the reference pipeline uses, refuses such files, so this check rejects them with the actual problem:
 * <ul>
 *   <li>an empty file ({@link Reason#EMPTY});</li>
 *   <li>a PNG cut inside its signature or a chunk, or ending before its {@code IEND} chunk; a JPEG cut inside a
 *       marker segment or ending before its end marker (EOI) ({@link Reason#TRUNCATED}, with the byte offset);</li>
 *   <li>a PNG chunk whose CRC-32 does not match, {@code IHDR} and {@code IDAT} included ({@link Reason#BAD_CHECKSUM},
 *       naming the chunk);</li>
 *   <li>zero width or height, invalid header fields, chunks or markers out of order ({@link Reason#MALFORMED});</li>
 *   <li>encodings the decoders do not convert: 12-bit, lossless, hierarchical or arithmetic-coded JPEG, JPEG with 2
 *       or more than 4 components ({@link Reason#UNSUPPORTED_COLOR_MODEL}, saying what to convert to).</li>
 * </ul>
 * Bytes after {@code IEND} or EOI are ignored, as PIL does. Other formats are not checked ({@link Format#OTHER}).
 * The compressed data itself (zlib, Huffman) is left to the decoder. Runs in time linear in the file size.
 */
public final class ImageFileCheck {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The container recognised from the first bytes. */
    public enum Format {
        /** Portable Network Graphics. */
        PNG,
        /** JPEG (JFIF, Exif or Adobe). */
        JPEG,
        /** Anything else: not checked here. */
        OTHER
    }

    /**
     * What the check learned from the headers.
     *
     * @param format         the container
     * @param size           the declared width and height, or null for {@link Format#OTHER}
     * @param bitDepth       PNG bit depth or JPEG sample precision; 0 for {@link Format#OTHER}
     * @param pngColorType   the PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA), or -1
     * @param components     JPEG colour components (1, 3 or 4), or the PNG's samples per pixel; 0 for OTHER
     * @param adobeTransform the JPEG's Adobe APP14 colour transform (0 none/CMYK, 1 YCbCr, 2 YCCK), or -1 when the
     *                       file has no Adobe marker (or is not a JPEG)
     */
    public record Info(Format format, ImageSize size, int bitDepth, int pngColorType, int components,
                       int adobeTransform) {
    }

    private ImageFileCheck() {
    }

    /**
     * Checks {@code data}'s structure as described in the class comment.
     *
     * @param data the file's bytes
     * @return the format and header facts; {@link Format#OTHER} with a null size when the data is neither PNG nor JPEG
     *   (left to other decoders)
     * @throws ImageDecodeException naming the problem and, where it applies, the byte offset or chunk
     */
    public static Info verify(byte[] data) throws ImageDecodeException {
        if (data.length == 0) {
            throw new ImageDecodeException(Reason.EMPTY, "the file is empty (0 bytes); it is not an image");
        }
        if (startsWithPngSignature(data)) {
            return checkPng(data);
        }
        if (data.length >= 2 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8) {
            return checkJpeg(data);
        }
        return new Info(Format.OTHER, null, 0, -1, 0, -1);
    }

    /** True when {@code data} starts with the PNG signature, or is a prefix of it (a PNG cut in its signature). */
    private static boolean startsWithPngSignature(byte[] data) {
        int n = Math.min(data.length, PNG_SIGNATURE.length);
        for (int i = 0; i < n; i++) {
            if (data[i] != PNG_SIGNATURE[i]) {
                return false;
            }
        }
        // A single 0x89 byte is too weak a hint to call the file a PNG.
        return n >= 4;
    }

    // ---- PNG ----

    private static Info checkPng(byte[] d) throws ImageDecodeException {
        if (d.length < PNG_SIGNATURE.length) {
            throw truncated("PNG truncated at byte " + d.length + ", inside its 8-byte signature");
        }
        int pos = PNG_SIGNATURE.length;
        int width = 0;
        int height = 0;
        int depth = 0;
        int colorType = -1;
        boolean seenPalette = false;
        boolean inIdat = false;
        boolean idatDone = false;
        CRC32 crc = new CRC32();
        while (true) {
            if (pos == d.length) {
                throw truncated("PNG ends before its IEND chunk (truncated at byte " + pos + ")"
                        + (colorType >= 0 && !inIdat && !idatDone ? ", before any image data (IDAT)" : ""));
            }
            if (d.length - pos < 8) {
                throw truncated("PNG truncated at byte " + d.length + ", inside the header of the chunk at byte "
                        + pos);
            }
            long len = u32(d, pos);
            String type = chunkType(d, pos + 4);
            if (type == null) {
                throw malformed("PNG has no valid chunk at byte " + pos + " (type bytes "
                        + hex(d, pos + 4, 4) + "); the file is corrupt");
            }
            if (len > Integer.MAX_VALUE) {
                throw malformed("PNG chunk " + type + " at byte " + pos + " declares " + len
                        + " data bytes, over the format's limit of 2^31-1");
            }
            long end = pos + 12L + len;
            if (end > d.length) {
                throw truncated("PNG truncated at byte " + d.length + ": chunk " + type + " at byte " + pos
                        + " declares " + len + " data bytes plus a 4-byte CRC, only " + (d.length - pos - 8)
                        + " bytes follow its header");
            }
            crc.reset();
            crc.update(d, pos + 4, (int) len + 4);
            long stored = u32(d, (int) end - 4);
            if (crc.getValue() != stored) {
                throw new ImageDecodeException(Reason.BAD_CHECKSUM, String.format(Locale.ROOT,
                        "bad CRC in PNG chunk %s at byte %d (stored 0x%08x, computed 0x%08x); the file is corrupt",
                        type, pos, stored, crc.getValue()));
            }
            int data = pos + 8;
            if (colorType < 0 && !type.equals("IHDR")) {
                throw malformed("PNG's first chunk is " + type + ", not IHDR");
            }
            switch (type) {
                case "IHDR" -> {
                    if (colorType >= 0) {
                        throw malformed("PNG has a second IHDR chunk at byte " + pos);
                    }
                    if (len != 13) {
                        throw malformed("PNG IHDR chunk has " + len + " data bytes instead of 13");
                    }
                    long w = u32(d, data);
                    long h = u32(d, data + 4);
                    depth = d[data + 8] & 0xFF;
                    colorType = d[data + 9] & 0xFF;
                    checkDimension("width", w);
                    checkDimension("height", h);
                    width = (int) w;
                    height = (int) h;
                    checkDepth(depth, colorType);
                    if (d[data + 10] != 0 || d[data + 11] != 0) {
                        throw malformed("PNG IHDR declares compression method " + (d[data + 10] & 0xFF)
                                + " and filter method " + (d[data + 11] & 0xFF) + "; only 0 and 0 exist");
                    }
                    if ((d[data + 12] & 0xFF) > 1) {
                        throw malformed("PNG IHDR declares interlace method " + (d[data + 12] & 0xFF)
                                + "; only 0 (none) and 1 (Adam7) exist");
                    }
                }
                case "PLTE" -> seenPalette = true;
                case "IDAT" -> {
                    if (idatDone) {
                        throw malformed("PNG IDAT chunk at byte " + pos + " is separated from the earlier IDAT"
                                + " chunks; image data must be consecutive");
                    }
                    if (colorType == 3 && !seenPalette) {
                        throw malformed("PNG palette image has no PLTE chunk before its image data");
                    }
                    inIdat = true;
                }
                case "IEND" -> {
                    if (!inIdat && !idatDone) {
                        throw malformed("PNG has no image data (no IDAT chunk before IEND)");
                    }
                    return new Info(Format.PNG, new ImageSize(width, height), depth, colorType,
                            channels(colorType), -1);
                }
                default -> {
                }
            }
            if (inIdat && !type.equals("IDAT")) {
                inIdat = false;
                idatDone = true;
            }
            pos = (int) end;
        }
    }

    private static void checkDimension(String name, long v) throws ImageDecodeException {
        if (v == 0) {
            throw malformed("PNG IHDR declares a " + name + " of 0 pixels; an image needs at least 1");
        }
        if (v > Integer.MAX_VALUE) {
            throw malformed("PNG IHDR declares a " + name + " of " + v + " pixels, over the format's limit of"
                    + " 2^31-1");
        }
    }

    private static void checkDepth(int depth, int colorType) throws ImageDecodeException {
        boolean ok = switch (colorType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
        if (!ok) {
            throw malformed("PNG IHDR declares colour type " + colorType + " with bit depth " + depth
                    + ", a combination the PNG format does not define");
        }
    }

    private static int channels(int colorType) {
        return switch (colorType) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
    }

    /** The 4 chunk-type bytes as text when they are ASCII letters, else null (not a chunk boundary). */
    private static String chunkType(byte[] d, int at) {
        for (int i = at; i < at + 4; i++) {
            int c = d[i] & 0xFF;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return null;
            }
        }
        return new String(d, at, 4, StandardCharsets.US_ASCII);
    }

    // ---- JPEG ----

    private static Info checkJpeg(byte[] d) throws ImageDecodeException {
        int pos = 2;
        int scans = 0;
        ImageSize size = null;
        int precision = 0;
        int components = 0;
        int adobeTransform = -1;
        while (true) {
            // Like libjpeg, skip stray bytes before a marker and 0xFF fill bytes.
            while (pos < d.length && (d[pos] & 0xFF) != 0xFF) {
                pos++;
            }
            while (pos + 1 < d.length && (d[pos + 1] & 0xFF) == 0xFF) {
                pos++;
            }
            if (pos + 1 >= d.length) {
                throw truncated("JPEG ends before its end marker (EOI): truncated at byte " + d.length
                        + (scans == 0 ? ", before any image data" : ""));
            }
            int marker = d[pos + 1] & 0xFF;
            if (marker == 0xD9) {
                if (size == null || scans == 0) {
                    throw malformed("JPEG has no " + (size == null ? "frame header (SOF)" : "image data (SOS)")
                            + " before its end marker at byte " + pos);
                }
                return new Info(Format.JPEG, size, precision, -1, components, adobeTransform);
            }
            if (marker == 0xD8) {
                throw malformed("JPEG has a second start-of-image marker at byte " + pos);
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x00) {
                pos += 2;   // standalone markers (and a stray stuffed zero)
                continue;
            }
            if (d.length - pos < 4) {
                throw truncated("JPEG truncated at byte " + d.length + ", inside the " + markerName(marker)
                        + " marker at byte " + pos);
            }
            int len = ((d[pos + 2] & 0xFF) << 8) | (d[pos + 3] & 0xFF);
            if (len < 2) {
                throw malformed("JPEG " + markerName(marker) + " segment at byte " + pos + " declares length "
                        + len + " (at least 2)");
            }
            int body = pos + 4;
            int end = pos + 2 + len;
            if (end > d.length) {
                throw truncated("JPEG truncated at byte " + d.length + ", inside the " + markerName(marker)
                        + " segment at byte " + pos + " (it declares " + len + " bytes)");
            }
            if (isSof(marker)) {
                if (size != null) {
                    throw malformed("JPEG has a second frame header (" + markerName(marker) + ") at byte " + pos);
                }
                if (len < 8) {
                    throw malformed("JPEG frame header at byte " + pos + " is " + len + " bytes, too short");
                }
                checkProcess(marker);
                precision = d[body] & 0xFF;
                int h = ((d[body + 1] & 0xFF) << 8) | (d[body + 2] & 0xFF);
                int w = ((d[body + 3] & 0xFF) << 8) | (d[body + 4] & 0xFF);
                components = d[body + 5] & 0xFF;
                if (len != 8 + 3 * components) {
                    throw malformed("JPEG frame header at byte " + pos + " declares " + components
                            + " components but is " + len + " bytes long (expected " + (8 + 3 * components) + ")");
                }
                if (w == 0 || h == 0) {
                    throw malformed("JPEG frame header declares a " + (w == 0 ? "width" : "height")
                            + " of 0 pixels" + (h == 0 && w != 0 ? " (a height set later by a DNL marker is not"
                            + " supported)" : ""));
                }
                if (precision != 8) {
                    throw new ImageDecodeException(Reason.UNSUPPORTED_COLOR_MODEL, "JPEG with " + precision
                            + "-bit samples is not supported (PIL rejects it too); convert it to an 8-bit RGB PNG"
                            + " or JPEG");
                }
                if (components != 1 && components != 3 && components != 4) {
                    throw new ImageDecodeException(Reason.UNSUPPORTED_COLOR_MODEL, "JPEG with " + components
                            + " colour components is not supported (only grey, YCbCr/RGB and CMYK/YCCK); convert"
                            + " it to 8-bit RGB");
                }
                size = new ImageSize(w, h);
            } else if (marker == 0xEE && len >= 14 && new String(d, body, 5, StandardCharsets.ISO_8859_1)
                    .equals("Adobe")) {
                adobeTransform = d[body + 11] & 0xFF;
            } else if (marker == 0xDA) {
                if (size == null) {
                    throw malformed("JPEG scan (SOS) at byte " + pos + " comes before any frame header (SOF)");
                }
                scans++;
                end = skipEntropyData(d, end, scans);
            }
            pos = end;
        }
    }

    /** Index of the marker that ends the entropy-coded data starting at {@code from}. */
    private static int skipEntropyData(byte[] d, int from, int scan) throws ImageDecodeException {
        int i = from;
        while (true) {
            while (i < d.length && (d[i] & 0xFF) != 0xFF) {
                i++;
            }
            if (i + 1 >= d.length) {
                throw truncated("JPEG ends before its end marker (EOI): truncated at byte " + d.length
                        + ", inside the compressed data of scan " + scan);
            }
            int next = d[i + 1] & 0xFF;
            if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
                i += next == 0xFF ? 1 : 2;   // stuffed byte, restart marker, or fill byte
                continue;
            }
            return i;
        }
    }

    private static boolean isSof(int m) {
        return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    }

    private static void checkProcess(int sof) throws ImageDecodeException {
        String what = switch (sof) {
            case 0xC0, 0xC1, 0xC2 -> null;
            case 0xC3 -> "lossless JPEG";
            case 0xC5, 0xC6, 0xC7 -> "hierarchical JPEG";
            default -> "arithmetic-coded JPEG";
        };
        if (what != null) {
            throw new ImageDecodeException(Reason.UNSUPPORTED_COLOR_MODEL, what + " (" + markerName(sof)
                    + ") is not supported; re-save it as a baseline or progressive JPEG, or as PNG");
        }
    }

    private static String markerName(int m) {
        if (isSof(m)) {
            return String.format(Locale.ROOT, "SOF%d", m - 0xC0);
        }
        return switch (m) {
            case 0xC4 -> "DHT";
            case 0xDA -> "SOS";
            case 0xDB -> "DQT";
            case 0xDD -> "DRI";
            case 0xFE -> "COM";
            default -> m >= 0xE0 && m <= 0xEF ? "APP" + (m - 0xE0) : String.format(Locale.ROOT, "0xFF%02X", m);
        };
    }

    // ---- helpers ----

    private static long u32(byte[] d, int at) {
        return ((d[at] & 0xFFL) << 24) | ((d[at + 1] & 0xFF) << 16) | ((d[at + 2] & 0xFF) << 8) | (d[at + 3] & 0xFF);
    }

    private static String hex(byte[] d, int at, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = at; i < Math.min(d.length, at + n); i++) {
            sb.append(String.format(Locale.ROOT, i == at ? "%02x" : " %02x", d[i] & 0xFF));
        }
        return sb.toString();
    }

    private static ImageDecodeException truncated(String message) {
        return new ImageDecodeException(Reason.TRUNCATED, message + "; the file is incomplete");
    }

    private static ImageDecodeException malformed(String message) {
        return new ImageDecodeException(Reason.MALFORMED, message);
    }
}
