package io.omnigen4j.sdk.prompt;

import java.util.Arrays;
import java.util.List;

/**
 * A text split at its image tags: {@code chunks.size() == tagNumbers.length + 1}; tag k sits between chunk k and
 * chunk k+1. Chunks may be empty (adjacent tags, a tag at either end). Tag numbers are as written (1-based), in
 * order of appearance.
 *
 * @param chunks the text between tags (immutable)
 * @param tagNumbers the tag numbers in order of appearance (copied on the way in and out)
 */
public record TaggedText(List<String> chunks, int[] tagNumbers) {

    /**
     * Copies both parts and checks their lengths agree.
     * @param chunks the text between tags
     * @param tagNumbers the tag numbers in order of appearance
     * @throws IllegalArgumentException if there is not exactly one more chunk than tags
     */
    public TaggedText {
        chunks = List.copyOf(chunks);
        tagNumbers = tagNumbers.clone();
        if (chunks.size() != tagNumbers.length + 1) {
            throw new IllegalArgumentException(chunks.size() + " chunks for " + tagNumbers.length + " tags");
        }
    }

    /** {@return a copy of the tag numbers, in order of appearance} */
    @Override
    public int[] tagNumbers() {
        return tagNumbers.clone();
    }

    /** {@return the number of tag occurrences} */
    public int tagCount() {
        return tagNumbers.length;
    }

    /**
     * Tag number of the k-th occurrence.
     * @param k 0-based occurrence index
     * @return the number as written (1-based)
     */
    public int tagNumber(int k) {
        return tagNumbers[k];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaggedText t && t.chunks.equals(chunks) && Arrays.equals(t.tagNumbers, tagNumbers);
    }

    @Override
    public int hashCode() {
        return chunks.hashCode() * 31 + Arrays.hashCode(tagNumbers);
    }

    @Override
    public String toString() {
        return "TaggedText[chunks=" + chunks + ", tagNumbers=" + Arrays.toString(tagNumbers) + "]";
    }
}
