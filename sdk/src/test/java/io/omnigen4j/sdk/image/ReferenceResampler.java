package io.omnigen4j.sdk.image;

/**
 * Test oracle: a deliberately plain transcription of spec §3 (PIL 8-bit resampling) — weights recomputed for every
 * output pixel, no tables, no shared code with {@link PilResampler}. Images are int[height][width][3].
 */
final class ReferenceResampler {
    private ReferenceResampler() {
    }

    static int[][][] resize(int[][][] img, int outW, int outH, boolean bicubic) {
        int[][][] cur = img;
        int w = cur[0].length;
        int h = cur.length;
        if (outW != w) {
            int[][][] next = new int[h][outW][3];
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < 3; c++) {
                    int[] line = new int[w];
                    for (int x = 0; x < w; x++) {
                        line[x] = cur[y][x][c];
                    }
                    for (int i = 0; i < outW; i++) {
                        next[y][i][c] = sample(line, w, outW, i, bicubic);
                    }
                }
            }
            cur = next;
            w = outW;
        }
        if (outH != h) {
            int[][][] next = new int[outH][w][3];
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int[] line = new int[h];
                    for (int y = 0; y < h; y++) {
                        line[y] = cur[y][x][c];
                    }
                    for (int i = 0; i < outH; i++) {
                        next[i][x][c] = sample(line, h, outH, i, bicubic);
                    }
                }
            }
            cur = next;
        }
        return cur;
    }

    /** Output sample i of a 1-D resize of {@code line} (length in) to length out. */
    static int sample(int[] line, int in, int out, int i, boolean bicubic) {
        double scale = (double) in / (double) out;
        double fs = scale > 1.0 ? scale : 1.0;
        double support = fs * (bicubic ? 2.0 : 0.5);
        double ss = 1.0 / fs;
        double center = (i + 0.5) * scale;
        int xmin = (int) (center - support + 0.5);
        if (xmin < 0) {
            xmin = 0;
        }
        int xmax = (int) (center + support + 0.5);
        if (xmax > in) {
            xmax = in;
        }
        double[] w = new double[xmax - xmin];
        double sum = 0.0;
        for (int x = xmin; x < xmax; x++) {
            double arg = (x - center + 0.5) * ss;
            double v = bicubic ? cubic(arg) : box(arg);
            w[x - xmin] = v;
            sum = sum + v;
        }
        int acc = 1 << 21;
        for (int x = xmin; x < xmax; x++) {
            double wn = w[x - xmin];
            if (sum != 0.0) {
                wn = wn / sum;
            }
            int k = wn >= 0 ? (int) (wn * 4194304.0 + 0.5) : (int) (wn * 4194304.0 - 0.5);
            acc += line[x] * k;
        }
        int v = acc >> 22;
        return Math.max(0, Math.min(255, v));
    }

    static double box(double x) {
        return (-0.5 < x && x <= 0.5) ? 1.0 : 0.0;
    }

    static double cubic(double x) {
        double a = -0.5;
        double t = Math.abs(x);
        if (t < 1.0) {
            return ((a + 2) * t - (a + 3)) * t * t + 1;
        } else if (t < 2.0) {
            return (((t - 5) * t + 8) * t - 4) * a;
        }
        return 0.0;
    }

    static int[][][] toArray(RgbImage img) {
        int[][][] a = new int[img.height()][img.width()][3];
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    a[y][x][c] = img.get(x, y, c);
                }
            }
        }
        return a;
    }

    static RgbImage toImage(int[][][] a) {
        int h = a.length;
        int w = a[0].length;
        byte[] b = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    b[(y * w + x) * 3 + c] = (byte) a[y][x][c];
                }
            }
        }
        return RgbImage.of(w, h, b);
    }
}
