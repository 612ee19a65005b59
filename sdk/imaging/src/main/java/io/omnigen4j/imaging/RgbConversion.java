package io.omnigen4j.imaging;

import io.omnigen4j.sdk.image.ImageFileCheck;
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
 * colour-converts (e.g. brightens linear-grey images). 16-bit samples keep their high byte, as PIL does for RGB,
 * RGBA and grey+alpha; 16-bit grey without alpha is clipped to 255 instead, as PIL's mode "I" / "I;16" conversion
 * does (values above 255 become white). CMYK and YCCK JPEGs follow PIL and libjpeg exactly ({@link #cmykToRgb}).
 * Other colour spaces go through Java's colour conversion, which is not PIL-exact.
 */
final class RgbConversion {
    private RgbConversion() {
    }

    /** As {@link #toRgb(BufferedImage)}, with the header facts ImageIO's colour model hides (e.g. PNG tRNS). */
    static RgbImage toRgb(BufferedImage img, ImageFileCheck.Info info) {
        // ImageIO turns grey+tRNS into grey+alpha, so the PNG header, not the colour model, tells PIL's mode.
        if (info.format() == ImageFileCheck.Format.PNG && info.pngColorType() == 0 && info.bitDepth() == 16) {
            return clippedGrey(img.getRaster());
        }
        return toRgb(img);
    }

    /** PIL's "I"/"I;16" to "RGB": the 16-bit grey value clipped to 0..255 and replicated. */
    private static RgbImage clippedGrey(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                byte v = (byte) Math.min(row[x], 255);
                int o = (y * w + x) * 3;
                out[o] = v;
                out[o + 1] = v;
                out[o + 2] = v;
            }
        }
        return RgbImage.of(w, h, out);
    }

    /**
     * A 4-component JPEG's raw samples to RGB as PIL does. libjpeg first turns YCCK (Adobe transform other than 0)
     * into CMYK with its fixed-point YCbCr tables; PIL then inverts all four channels of every 4-component JPEG,
     * Adobe marker or not (it assumes Adobe's inverted CMYK), and converts with
     * {@code R = (255-K) - (C·(255-K))/255} (rounded as its MULDIV255).
     *
     * @param adobeTransform the Adobe APP14 transform, or -1 without an Adobe marker (then the samples are CMYK)
     */
    static RgbImage cmykToRgb(Raster raster, int adobeTransform) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        RgbImage.checkSize(w, h);
        boolean ycck = adobeTransform > 0;
        boolean inverted = true;
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * 4];
        int[] cmyk = new int[4];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int i = x * 4;
                if (ycck) {
                    Ycc.toCmy(row[i], row[i + 1], row[i + 2], cmyk);
                } else {
                    cmyk[0] = row[i];
                    cmyk[1] = row[i + 1];
                    cmyk[2] = row[i + 2];
                }
                cmyk[3] = row[i + 3];
                int o = (y * w + x) * 3;
                int nk = 255 - (inverted ? 255 - cmyk[3] : cmyk[3]);
                for (int c = 0; c < 3; c++) {
                    int v = inverted ? 255 - cmyk[c] : cmyk[c];
                    out[o + c] = (byte) clip8(nk - mulDiv255(v, nk));
                }
            }
        }
        return RgbImage.of(w, h, out);
    }

    /** PIL's MULDIV255: a·b/255 rounded, in integers. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** libjpeg's YCCK to CMYK: the JFIF YCbCr-to-RGB matrix in 16-bit fixed point, each result subtracted from 255. */
    private static final class Ycc {
        private static final int SCALE = 16;
        private static final int HALF = 1 << (SCALE - 1);
        private static final int[] CR_R = new int[256];
        private static final int[] CB_B = new int[256];
        private static final int[] CR_G = new int[256];
        private static final int[] CB_G = new int[256];

        static {
            for (int i = 0; i < 256; i++) {
                int x = i - 128;
                CR_R[i] = (fix(1.40200) * x + HALF) >> SCALE;
                CB_B[i] = (fix(1.77200) * x + HALF) >> SCALE;
                CR_G[i] = -fix(0.71414) * x;
                CB_G[i] = -fix(0.34414) * x + HALF;
            }
        }

        private static int fix(double v) {
            return (int) (v * (1 << SCALE) + 0.5);
        }

        static void toCmy(int yy, int cb, int cr, int[] out) {
            out[0] = clip8(255 - (yy + CR_R[cr]));
            out[1] = clip8(255 - (yy + ((CB_G[cb] + CR_G[cr]) >> SCALE)));
            out[2] = clip8(255 - (yy + CB_B[cb]));
        }
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
