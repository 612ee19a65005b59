package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageDecodeException.Reason;
import io.omnigen4j.sdk.image.ImageFileCheck;
import io.omnigen4j.sdk.image.RgbImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes a PNG or JPEG that passed {@link ImageFileCheck} with the JDK's ImageIO only: no fallback to a more lenient
 * decoder, and libjpeg's "premature end of data segment" (compressed data ending before the last pixel, which it
 * would fill with grey) is an error. Four-component JPEGs are read as raw samples and converted as PIL does
 * ({@link RgbConversion#cmykToRgb}).
 */
final class StrictDecoding {
    private StrictDecoding() {
    }

    static RgbImage decode(byte[] data, ImageFileCheck.Info info) throws ImageDecodeException {
        boolean jpeg = info.format() == ImageFileCheck.Format.JPEG;
        String name = jpeg ? "JPEG" : "PNG";
        List<String> warnings = new ArrayList<>();
        RgbImage img;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader r = reader(jpeg ? "jpeg" : "png");
            try {
                r.setInput(in, true, true);
                r.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                img = jpeg && info.components() == 4
                        ? RgbConversion.cmykToRgb(r.readRaster(0, null), info.adobeTransform())
                        : RgbConversion.toRgb(r.read(0), info);
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage();
            Throwable c = e.getCause();
            String cause = c != null && c.getMessage() != null && !c.getMessage().equals(m) ? ": " + c.getMessage() : "";
            throw new ImageDecodeException(Reason.UNSUPPORTED_OR_CORRUPT, name + " image data is corrupt or"
                    + " incomplete (javax.imageio: " + (m == null ? e.getClass().getSimpleName() : m) + cause + ")",
                    e);
        }
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end of data segment") || lower.contains("missing eoi")) {
                throw new ImageDecodeException(Reason.TRUNCATED, name + " compressed data ends before the last"
                        + " pixel (libjpeg: \"" + w + "\"); the rest would be filled with grey, so the file is"
                        + " rejected as incomplete");
            }
        }
        return img;
    }

    /** The JDK's own reader for the format (other ImageIO plugins on the class path may differ from PIL). */
    private static ImageReader reader(String format) throws IOException {
        ImageReader first = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().startsWith("com.sun.imageio.")) {
                if (first != null) {
                    first.dispose();
                }
                return r;
            }
            if (first == null) {
                first = r;
            } else {
                r.dispose();
            }
        }
        if (first == null) {
            throw new IOException("no ImageIO reader for " + format);
        }
        return first;
    }
}
