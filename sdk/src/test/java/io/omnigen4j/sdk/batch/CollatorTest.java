package io.omnigen4j.sdk.batch;

import io.omnigen4j.sdk.prompt.BranchInput;
import io.omnigen4j.sdk.prompt.ImageSpan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The hand-made example of spec §4.4 (ℓ = 3, pad = 2, N = 4, S = 10) and the derived prefill/step inputs. */
class CollatorTest {

    private static final float M = Collation.MASKED;

    private static Collation example() {
        return Collator.collate(List.of(
                BranchInput.textOnly(new long[] {1, 10, 11}),
                BranchInput.textOnly(new long[] {1, 20, 21, 22, 23})), 4);
    }

    private static float m(Collation c, int b, int i, int j) {
        int s = c.sequenceLength();
        return c.attentionMask()[(b * s + i) * s + j];
    }

    @Test
    void shapesAndPadding() {
        Collation c = example();
        assertEquals(2, c.batch());
        assertEquals(5, c.conditionLength());
        assertEquals(4, c.outputTokens());
        assertEquals(10, c.sequenceLength());
        assertEquals(5, c.stepTokens());
        assertArrayEquals(new int[] {3, 5}, c.lengths());
        assertEquals(2, c.padding(0));
        assertArrayEquals(new long[] {2, 2, 1, 10, 11, 1, 20, 21, 22, 23}, c.inputIds());
    }

    @Test
    void positionIds() {
        Collation c = example();
        assertArrayEquals(new long[] {0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, c.positionIds());
        assertArrayEquals(new long[] {0, 0, 0, 1, 2, 0, 1, 2, 3, 4}, c.conditionPositionIds());
        assertArrayEquals(new long[] {3, 4, 5, 6, 7, 5, 6, 7, 8, 9}, c.stepPositionIds());
    }

    @Test
    void maskOfThePaddedRow() {
        Collation c = example();
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                float expected;
                if (i < 2) {
                    expected = 1; // pad rows all ones
                } else if (i <= 5) {
                    expected = j >= 2 && j <= i ? 1 : 0; // text + time: causal over real columns
                } else {
                    expected = j >= 2 ? 1 : 0; // output image: every non-pad column
                }
                assertEquals(expected, m(c, 0, i, j), "row " + i + " col " + j);
            }
        }
    }

    @Test
    void maskOfTheFullRow() {
        Collation c = example();
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                float expected = i <= 5 ? (j <= i ? 1 : 0) : 1;
                assertEquals(expected, m(c, 1, i, j), "row " + i + " col " + j);
            }
        }
    }

    @Test
    void inputImageSpanIsABidirectionalBlockAfterShifting() {
        BranchInput withImage = new BranchInput(new long[] {1, 0, 0, 5}, List.of(new ImageSpan(1, 3, 0)));
        Collation c = Collator.collate(List.of(withImage, BranchInput.textOnly(new long[] {1, 2, 3, 4, 5, 6})), 1);
        assertEquals(List.of(new ImageSpan(3, 5, 0)), c.spans().get(0));
        assertEquals(List.of(), c.spans().get(1));
        assertEquals(1, m(c, 0, 3, 4)); // first image token sees the second (bidirectional)
        assertEquals(1, m(c, 0, 4, 3));
        assertEquals(1, m(c, 0, 3, 2)); // causal to earlier text
        assertEquals(0, m(c, 0, 3, 5)); // blind to later text
        assertEquals(1, m(c, 0, 5, 4)); // later text sees the image
        assertEquals(0, m(c, 0, 3, 1)); // pad column
    }

    @Test
    void prefillMaskIsTheAdditiveTopLeftBlock() {
        Collation c = example();
        float[] p = c.prefillAdditiveMask();
        assertEquals(2 * 5 * 5, p.length);
        // padded row 0: pad rows see all; row 2 sees only itself among real columns
        for (int j = 0; j < 5; j++) {
            assertEquals(0f, p[j], 0f);
        }
        assertArrayEquals(new float[] {M, M, 0, M, M}, java.util.Arrays.copyOfRange(p, 10, 15));
        assertArrayEquals(new float[] {M, M, 0, 0, 0}, java.util.Arrays.copyOfRange(p, 20, 25));
        // full row 1, last condition row: all visible
        assertArrayEquals(new float[] {0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(p, 45, 50));
    }

    @Test
    void stepMasks() {
        Collation c = example();
        float[] rows = c.stepMaskRows();
        assertEquals(2 * 5 * 10, rows.length);
        assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(rows, 0, 10));
        assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, java.util.Arrays.copyOfRange(rows, 10, 20));

        float[] cached = c.stepAdditiveMask(false);
        assertArrayEquals(new float[] {M, M, 0, 0, 0, 0, M, M, M, M}, java.util.Arrays.copyOfRange(cached, 0, 10));
        assertArrayEquals(new float[] {M, M, 0, 0, 0, 0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(cached, 10, 20));

        float[] step0 = c.stepAdditiveMask(true);
        for (int r = 0; r < 10; r++) {
            for (int j = 5; j < 10; j++) {
                assertEquals(M, step0[r * 10 + j], "new key columns masked at step 0");
            }
        }
        assertArrayEquals(new float[] {M, M, 0, 0, 0}, java.util.Arrays.copyOfRange(step0, 10, 15));
        assertArrayEquals(new float[] {0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(step0, 50, 55)); // row 1
    }

    @Test
    void fullAdditiveMaskMatchesTheMask() {
        Collation c = example();
        float[] full = c.fullAdditiveMask();
        for (int i = 0; i < full.length; i++) {
            assertEquals(c.attentionMask()[i] == 1f ? 0f : M, full[i], 0f);
        }
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> Collator.collate(List.of(), 4));
        assertThrows(IllegalArgumentException.class,
                () -> Collator.collate(List.of(BranchInput.textOnly(new long[] {1})), 0));
        assertThrows(IllegalArgumentException.class,
                () -> Collator.collate(List.of(BranchInput.textOnly(new long[0])), 4));
    }
}
