package io.omnigen4j.sdk.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Platform-specific image file reading and PNG writing, kept out of the core SDK because the JVM's image APIs
 * ({@code java.desktop}) do not exist on Android. Decoding follows PIL's {@code Image.open(f).convert("RGB")}: alpha
 * is dropped without compositing, grey and palette images become RGB, EXIF orientation and colour profiles are ignored.
 * Implementations should reject what PIL rejects (empty or truncated files, bad checksums) rather than guess pixels;
 * {@link ImageFileCheck} does those checks for PNG and JPEG without decoding.
 */
public interface ImageCodec {
    /** PIL's default decompression-bomb threshold (89,478,485 pixels), used when no budget is given. */
    long DEFAULT_MAX_PIXELS = 89_478_485L;

    /**
     * Reads only the header and returns the declared size, so that callers can refuse huge images before decoding.
     *
     * @param encoded the file's bytes
     * @return the width and height the header declares
     * @throws ImageDecodeException if the data is not a readable image header
     */
    ImageSize probeSize(byte[] encoded) throws ImageDecodeException;

    /**
     * Decodes an image file's bytes to 8-bit RGB.
     *
     * @param encoded the file's bytes (PNG or JPEG; other formats as the codec supports)
     * @return the image
     * @throws ImageDecodeException if the format is unsupported, the data is corrupt, or the declared size exceeds this
     *   codec's pixel budget ({@link ImageDecodeException.Reason#TOO_MANY_PIXELS})
     */
    RgbImage decode(byte[] encoded) throws ImageDecodeException;

    /**
     * Encodes {@code image} as an 8-bit RGB PNG carrying {@code textMetadata} as text chunks (in map iteration order).
     *
     * @param image the image
     * @param textMetadata keyword → text entries (may be empty)
     * @return the PNG file's bytes
     * @throws IllegalArgumentException if a key is not a valid PNG keyword (1–79 Latin-1 characters, no leading,
     *   trailing or double spaces)
     */
    byte[] encodePng(RgbImage image, Map<String, String> textMetadata);

    /**
     * {@link #probeSize(byte[])} on a file; a failure names the file ({@link ImageDecodeException#input()}).
     *
     * @param file an image file
     * @return the width and height the header declares
     * @throws IOException if the file cannot be read, or an {@link ImageDecodeException} naming it
     */
    default ImageSize probeSize(Path file) throws IOException {
        byte[] data = Files.readAllBytes(file);
        try {
            ImageFileCheck.verify(data);   // empty, truncated, bad CRC: the same checks for every codec
            return probeSize(data);
        } catch (ImageDecodeException e) {
            throw e.withInput(file.toString());
        }
    }

    /**
     * {@link #decode(byte[])} on a file; a failure names the file ({@link ImageDecodeException#input()}).
     *
     * @param file an image file
     * @return the image
     * @throws IOException if the file cannot be read, or an {@link ImageDecodeException} naming it
     */
    default RgbImage decode(Path file) throws IOException {
        byte[] data = Files.readAllBytes(file);
        try {
            ImageFileCheck.verify(data);   // empty, truncated, bad CRC: the same checks for every codec
            return decode(data);
        } catch (ImageDecodeException e) {
            throw e.withInput(file.toString());
        }
    }
}
