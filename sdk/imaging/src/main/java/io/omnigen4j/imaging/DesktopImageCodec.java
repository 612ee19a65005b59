package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.ImageCodec;
import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageDecodeException.Reason;
import io.omnigen4j.sdk.image.ImageFileCheck;
import io.omnigen4j.sdk.image.ImageSize;
import io.omnigen4j.sdk.image.PngEncoder;
import io.omnigen4j.sdk.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link ImageCodec} for desktop JVMs (needs {@code java.desktop}; not for Android). PNG and JPEG are decoded
 * strictly: {@link ImageFileCheck} first rejects empty and truncated files, bad PNG chunk CRCs, zero sizes and
 * unsupported JPEG encodings with the actual problem, then the JDK's {@code javax.imageio} decodes (it reproduces
 * PIL's pixels, see {@link DecoderBackend}); a JPEG whose compressed data ends early is rejected instead of being
 * filled with grey. Other formats (GIF, BMP, WebP, PNM, …) are decoded best-effort by ImageIO and then Apache
 * commons-imaging; when neither can, the error names both and their reasons. Pixels follow PIL's
 * {@code convert("RGB")} ({@link RgbConversion}, including CMYK/YCCK JPEG and 16-bit grey PNG); EXIF orientation and
 * colour profiles are not applied. The size declared in the header is checked against the pixel budget before any
 * decoding. PNG output uses the SDK's pure-Java {@link PngEncoder}. Thread-safe.
 */
public final class DesktopImageCodec implements ImageCodec {
    private static final List<DecoderBackend> ORDER = List.of(DecoderBackend.IMAGE_IO, DecoderBackend.COMMONS_IMAGING);

    private final long maxPixels;

    /** A codec with PIL's default budget, {@link ImageCodec#DEFAULT_MAX_PIXELS}. */
    public DesktopImageCodec() {
        this(DEFAULT_MAX_PIXELS);
    }

    /**
     * @param maxPixels largest declared width·height that {@link #decode(byte[])} accepts (positive)
     */
    public DesktopImageCodec(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("pixel budget must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    /**
     * The largest declared width·height that {@link #decode(byte[])} accepts.
     * @return the pixel budget
     */
    public long maxPixels() {
        return maxPixels;
    }

    @Override
    public ImageSize probeSize(byte[] encoded) throws ImageDecodeException {
        ImageFileCheck.Info info = ImageFileCheck.verify(encoded);
        return info.size() != null ? info.size() : probeOther(encoded);
    }

    /** Header size of a format {@link ImageFileCheck} does not know, from the first backend that reads it. */
    private static ImageSize probeOther(byte[] encoded) throws ImageDecodeException {
        List<String> failures = new ArrayList<>();
        Exception last = null;
        for (DecoderBackend b : ORDER) {
            try {
                return b.probe(encoded);
            } catch (Exception e) {
                failures.add(b.label() + ": " + describe(e));
                last = e;
            }
        }
        throw unreadable(encoded, "cannot read the image header", failures, last);
    }

    @Override
    public RgbImage decode(byte[] encoded) throws ImageDecodeException {
        ImageFileCheck.Info info = ImageFileCheck.verify(encoded);
        ImageSize declared = info.size() != null ? info.size() : probeOther(encoded);
        if (declared.pixelCount() > maxPixels) {
            throw new ImageDecodeException(Reason.TOO_MANY_PIXELS, "image declares " + declared + " = "
                    + declared.pixelCount() + " pixels, more than the budget of " + maxPixels
                    + " pixels; it was not decoded. Downscale it first or raise the codec's pixel budget.");
        }
        if (info.format() != ImageFileCheck.Format.OTHER) {
            return checkSize(StrictDecoding.decode(encoded, info), declared);
        }
        List<String> failures = new ArrayList<>();
        Exception last = null;
        for (DecoderBackend b : ORDER) {
            try {
                RgbImage img = RgbConversion.toRgb(b.read(encoded));
                if (!img.size().equals(declared)) {
                    throw new IllegalStateException("decoded " + img.size() + " but the header declares " + declared);
                }
                return img;
            } catch (Exception e) {
                failures.add(b.label() + ": " + describe(e));
                last = e;
            }
        }
        throw unreadable(encoded, "cannot decode the image", failures, last);
    }

    @Override
    public byte[] encodePng(RgbImage image, Map<String, String> textMetadata) {
        return PngEncoder.encode(image, textMetadata);
    }

    private static RgbImage checkSize(RgbImage img, ImageSize declared) throws ImageDecodeException {
        if (!img.size().equals(declared)) {
            throw new ImageDecodeException(Reason.UNSUPPORTED_OR_CORRUPT, "decoded " + img.size()
                    + " but the header declares " + declared + "; the file is corrupt");
        }
        return img;
    }

    private static ImageDecodeException unreadable(byte[] data, String what, List<String> failures,
            Exception cause) {
        StringBuilder head = new StringBuilder();
        for (int i = 0; i < Math.min(8, data.length); i++) {
            head.append(String.format(java.util.Locale.ROOT, i == 0 ? "%02x" : " %02x", data[i] & 0xFF));
        }
        return new ImageDecodeException(Reason.UNSUPPORTED_OR_CORRUPT, what + ": not a PNG or JPEG file (it starts"
                + " with bytes " + head + ") and no other decoder reads it; use PNG or JPEG. Tried "
                + String.join("; ", failures), cause);
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
