package io.omnigen4j.sdk.prompt;

import java.util.Arrays;
import java.util.List;

/**
 * One unpadded row of one branch: token ids (placeholders are id 0) and the placeholder spans in occurrence
 * order. Spans are recorded while the ids are assembled, never recovered by searching for zeros (id 0 = {@code
 * <unk>} could also come from text).
 */
public record BranchInput(long[] ids, List<ImageSpan> spans) {

    public BranchInput {
        ids = ids.clone();
        spans = List.copyOf(spans);
        for (ImageSpan s : spans) {
            if (s.end() > ids.length) {
                throw new IllegalArgumentException("span " + s + " beyond " + ids.length + " ids");
            }
        }
    }

    /** A text-only row. */
    public static BranchInput textOnly(long[] ids) {
        return new BranchInput(ids, List.of());
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    /** Id at {@code i} without copying. */
    public long id(int i) {
        return ids[i];
    }

    /** Unpadded length ℓ (text plus input-image placeholder tokens). */
    public int length() {
        return ids.length;
    }

    /** Number of images this row uses (one per span; repeated tags count once per occurrence). */
    public int imageOccurrences() {
        return spans.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BranchInput b && Arrays.equals(b.ids, ids) && b.spans.equals(spans);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids) * 31 + spans.hashCode();
    }

    @Override
    public String toString() {
        return "BranchInput[length=" + ids.length + ", spans=" + spans + "]";
    }
}
