package io.omnigen4j.sdk.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RgbImageTest {
    @Test
    void copiesInputAndOutput() {
        byte[] px = {1, 2, 3, 4, 5, 6};
        RgbImage img = RgbImage.of(2, 1, px);
        px[0] = 99;
        assertEquals(1, img.get(0, 0, 0));
        img.toByteArray()[1] = 99;
        assertEquals(2, img.get(0, 0, 1));
        assertTrue(img.asReadOnlyBuffer().isReadOnly());
        assertEquals(6, img.get(1, 0, 2));
    }

    @Test
    void validates() {
        assertThrows(IllegalArgumentException.class, () -> RgbImage.of(0, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.of(2, 2, new byte[11]));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.of(2, 2, null));
        assertThrows(IllegalArgumentException.class, () -> RgbImage.checkSize(100_000, 100_000));
        RgbImage img = RgbImage.of(1, 1, new byte[3]);
        assertThrows(IndexOutOfBoundsException.class, () -> img.get(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> img.crop(0, 0, 2, 1));
    }
}
