package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.ImageCodec;
import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageDecodeException.Reason;
import io.omnigen4j.sdk.image.ImageSize;
import io.omnigen4j.sdk.image.PngEncoder;
import io.omnigen4j.sdk.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link ImageCodec} for desktop JVMs (needs {@code java.desktop}; not for Android). Decodes with the JDK's
 * {@code javax.imageio} and falls back to Apache commons-imaging for what ImageIO cannot read; when neither can, the
 * error names both and their reasons. ImageIO goes first because it reproduces PIL's pixels (see
 * {@link DecoderBackend}). Pixels follow PIL's {@code convert("RGB")} ({@link RgbConversion}); EXIF orientation and
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

    public long maxPixels() {
        return maxPixels;
    }

    @Override
    public ImageSize probeSize(byte[] encoded) throws ImageDecodeException {
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
        throw unreadable("cannot read the image header", failures, last);
    }

    @Override
    public RgbImage decode(byte[] encoded) throws ImageDecodeException {
        ImageSize declared = probeSize(encoded);
        if (declared.pixelCount() > maxPixels) {
            throw new ImageDecodeException(Reason.TOO_MANY_PIXELS, "image declares " + declared + " = "
                    + declared.pixelCount() + " pixels, more than the budget of " + maxPixels
                    + " pixels; it was not decoded. Downscale it first or raise the codec's pixel budget.");
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
        throw unreadable("cannot decode the image", failures, last);
    }

    @Override
    public byte[] encodePng(RgbImage image, Map<String, String> textMetadata) {
        return PngEncoder.encode(image, textMetadata);
    }

    private static ImageDecodeException unreadable(String what, List<String> failures, Exception cause) {
        return new ImageDecodeException(Reason.UNSUPPORTED_OR_CORRUPT, what
                + " (unsupported format or corrupt data); tried " + String.join("; ", failures), cause);
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
