package io.omnigen4j.sdk.prompt;

/**
 * Placeholder rows [start, end) of one tag occurrence in a branch's ids, and the 0-based index of the supplied
 * image whose tokens go there. Repeated tags give several spans with the same {@code imageIndex} (each occurrence
 * is a separate copy of the image, VAE-encoded on its own).
 */
public record ImageSpan(int start, int end, int imageIndex) {

    public ImageSpan {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
        if (imageIndex < 0) {
            throw new IllegalArgumentException("bad image index " + imageIndex);
        }
    }

    public int length() {
        return end - start;
    }

    /** The same span moved right by {@code offset} rows (left padding). */
    public ImageSpan shifted(int offset) {
        return offset == 0 ? this : new ImageSpan(start + offset, end + offset, imageIndex);
    }
}
