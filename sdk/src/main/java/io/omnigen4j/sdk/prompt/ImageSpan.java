package io.omnigen4j.sdk.prompt;

/**
 * Placeholder rows [start, end) of one tag occurrence in a branch's ids, and the 0-based index of the supplied
 * image whose tokens go there. Repeated tags give several spans with the same {@code imageIndex} (each occurrence
 * is a separate copy of the image, VAE-encoded on its own).
 *
 * @param start first placeholder row, ≥ 0
 * @param end one past the last row, &gt; {@code start}
 * @param imageIndex 0-based index of the supplied image
 */
public record ImageSpan(int start, int end, int imageIndex) {

    /**
     * Checks the span is non-empty and the index non-negative.
     * @param start first placeholder row, ≥ 0
     * @param end one past the last row, &gt; {@code start}
     * @param imageIndex 0-based index of the supplied image, ≥ 0
     * @throws IllegalArgumentException if a bound is out of range
     */
    public ImageSpan {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
        if (imageIndex < 0) {
            throw new IllegalArgumentException("bad image index " + imageIndex);
        }
    }

    /** {@return the number of rows (the image's token count)} */
    public int length() {
        return end - start;
    }

    /**
     * The same span moved right by {@code offset} rows (left padding).
     * @param offset rows to add to both bounds
     * @return the moved span ({@code this} when {@code offset} is 0)
     */
    public ImageSpan shifted(int offset) {
        return offset == 0 ? this : new ImageSpan(start + offset, end + offset, imageIndex);
    }
}
