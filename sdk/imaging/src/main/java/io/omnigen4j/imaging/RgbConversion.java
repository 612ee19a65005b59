package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.RgbImage;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns a decoded {@link BufferedImage} into 8-bit RGB the way PIL's {@code convert("RGB")} does: the stored R, G, B
 * samples are taken as they are (alpha dropped without compositing, no colour-profile conversion), grey is
 * replicated to three channels, palettes are looked up. {@code getRGB} is avoided for grey and RGB images because it
 * colour-converts (e.g. brightens linear-grey images). 16-bit samples keep their high byte, as PIL does for RGB.
 * Only colour spaces other than RGB and grey (e.g. CMYK) go through Java's colour conversion, which is not PIL-exact.
 */
final class RgbConversion {
    private RgbConversion() {
    }

    static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        RgbImage.checkSize(w, h);
        ColorModel cm = img.getColorModel();
        int csType = cm.getColorSpace().getType();
        byte[] out = new byte[w * h * 3];
        if (!(cm instanceof IndexColorModel) && csType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            copyBands(img.getRaster(), cm, new int[] {0, 1, 2}, out);
        } else if (!(cm instanceof IndexColorModel) && csType == ColorSpace.TYPE_GRAY
                && cm.getNumColorComponents() == 1) {
            copyBands(img.getRaster(), cm, new int[] {0, 0, 0}, out);
        } else {
            int[] argb = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, argb, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    out[o] = (byte) (argb[x] >>> 16);
                    out[o + 1] = (byte) (argb[x] >>> 8);
                    out[o + 2] = (byte) argb[x];
                }
            }
        }
        return RgbImage.of(w, h, out);
    }

    /** Copies raster bands {@code bandFor[c]} to output channel c, scaling samples to 8 bits. */
    private static void copyBands(Raster raster, ColorModel cm, int[] bandFor, byte[] out) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        int[] bits = new int[3];
        for (int c = 0; c < 3; c++) {
            bits[c] = cm.getComponentSize(bandFor[c]);
        }
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) to8(row[x * bands + bandFor[c]], bits[c]);
                }
            }
        }
    }

    private static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }
}
