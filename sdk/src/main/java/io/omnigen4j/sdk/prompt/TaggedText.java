package io.omnigen4j.sdk.prompt;

import java.util.Arrays;
import java.util.List;

/**
 * A text split at its image tags: {@code chunks.size() == tagNumbers.length + 1}; tag k sits between chunk k and
 * chunk k+1. Chunks may be empty (adjacent tags, a tag at either end). Tag numbers are as written (1-based), in
 * order of appearance.
 */
public record TaggedText(List<String> chunks, int[] tagNumbers) {

    public TaggedText {
        chunks = List.copyOf(chunks);
        tagNumbers = tagNumbers.clone();
        if (chunks.size() != tagNumbers.length + 1) {
            throw new IllegalArgumentException(chunks.size() + " chunks for " + tagNumbers.length + " tags");
        }
    }

    @Override
    public int[] tagNumbers() {
        return tagNumbers.clone();
    }

    public int tagCount() {
        return tagNumbers.length;
    }

    /** Tag number of the k-th occurrence (0-based k). */
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
