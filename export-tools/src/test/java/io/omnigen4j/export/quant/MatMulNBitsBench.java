package io.omnigen4j.export.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Benchmark (not a unit test): ONNX Runtime's MatMulNBits against a float32 MatMul on random weights (normal,
 * std 0.02) and inputs (normal, std 1), per shape, thread count and quantization variant. Prints one line per
 * configuration: median milliseconds per call after warm-up, and the output error against the float32 MatMul as
 * max|Δ| / max|y| and mean|Δ| / mean|y|; plus session creation time and the RSS growth it caused.
 *
 * <pre>
 * java -cp CLASSPATH io.omnigen4j.export.quant.MatMulNBitsBench [--shapes 3072x3072,3072x8192,8192x3072]
 *      [--m 514,100] [--threads 1,2] [--variants q8b128s0,q4b32a4,...|all] [--runs 5] [--warmup 2]
 * </pre>
 * A variant is the {@link QuantScheme#tag()} followed by the accuracy level: {@code q8b128s4} = int8, blocks of
 * 128, symmetric, accuracy_level 4.
 */
public final class MatMulNBitsBench {

    public static void main(String[] args) throws Exception {
        List<int[]> shapes = new ArrayList<>();
        int[] ms = {514, 100};
        int[] threads = {1, 2};
        List<String> variants = allVariants();
        int runs = 5;
        int warmup = 2;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--shapes" -> {
                    for (String s : v.split(",")) {
                        String[] kn = s.split("x");
                        shapes.add(new int[] {Integer.parseInt(kn[0]), Integer.parseInt(kn[1])});
                    }
                }
                case "--m" -> ms = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--threads" -> threads = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--variants" -> variants = v.equals("all") ? allVariants() : List.of(v.split(","));
                case "--runs" -> runs = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (shapes.isEmpty()) {
            shapes = List.of(new int[] {3072, 3072}, new int[] {3072, 8192}, new int[] {8192, 3072});
        }
        int maxM = Arrays.stream(ms).max().orElseThrow();
        System.out.printf("%-10s %-10s %3s %4s %9s %10s %10s %9s %8s%n", "KxN", "variant", "thr", "M", "ms/call",
                "maxrel", "meanrel", "load ms", "RSS MB");
        for (int[] kn : shapes) {
            int k = kn[0];
            int n = kn[1];
            Random rnd = new Random(42L * k + n);
            float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
            float[] x = QuantGraphs.gaussian(rnd, maxM * k, 1.0);
            // float32 reference outputs (per thread count the same values; computed once with the widest M)
            float[][] ref = new float[ms.length][];
            List<String> all = new ArrayList<>();
            all.add("fp32");
            all.addAll(variants);
            for (String variant : all) {
                byte[] model = variant.equals("fp32") ? QuantGraphs.matMul(w, n, k)
                        : QuantGraphs.matMulNBits(new QuantizedWeight(RowSource.of(w, n, k), scheme(variant),
                        QuantizedWeight.Layout.MATMUL_NBITS, "bench"), level(variant), 2);
                for (int t : threads) {
                    long rss0 = rssKb();
                    long l0 = System.nanoTime();
                    try (OrtSession s = QuantGraphs.session(model, t)) {
                        double loadMs = (System.nanoTime() - l0) / 1e6;
                        long rss = rssKb() - rss0;
                        for (int mi = 0; mi < ms.length; mi++) {
                            int m = ms[mi];
                            float[] xm = Arrays.copyOf(x, m * k);
                            float[] y = null;
                            double[] times = new double[runs];
                            for (int r = 0; r < warmup + runs; r++) {
                                long t0 = System.nanoTime();
                                y = run(s, xm, m, k);
                                if (r >= warmup) {
                                    times[r - warmup] = (System.nanoTime() - t0) / 1e6;
                                }
                            }
                            Arrays.sort(times);
                            if (ref[mi] == null) {
                                ref[mi] = y;
                            }
                            double[] err = errors(y, ref[mi]);
                            System.out.printf("%-10s %-10s %3d %4d %9.2f %10.2e %10.2e %9.1f %8.1f%n", k + "x" + n,
                                    variant, t, m, times[runs / 2], err[0], err[1], loadMs, rss / 1024.0);
                        }
                    }
                }
            }
        }
    }

    static List<String> allVariants() {
        List<String> v = new ArrayList<>();
        for (int bits : new int[] {8, 4}) {
            for (int bs : new int[] {32, 64, 128}) {
                for (String sym : new String[] {"s", "a"}) {
                    for (int level : new int[] {0, 4}) {
                        v.add("q" + bits + "b" + bs + sym + level);
                    }
                }
            }
        }
        return v;
    }

    static QuantScheme scheme(String variant) {
        int b = variant.indexOf('b');
        int bits = Integer.parseInt(variant.substring(1, b));
        int end = b + 1;
        while (Character.isDigit(variant.charAt(end))) {
            end++;
        }
        return new QuantScheme(bits, Integer.parseInt(variant.substring(b + 1, end)), variant.charAt(end) == 's');
    }

    static int level(String variant) {
        return variant.charAt(variant.length() - 1) - '0';
    }

    static float[] run(OrtSession s, float[] x, int m, int k) throws Exception {
        try (OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(x),
                new long[] {m, k}); OrtSession.Result r = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    /** {max|Δ| / max|ref|, mean|Δ| / mean|ref|}. */
    static double[] errors(float[] y, float[] ref) {
        double maxD = 0, maxR = 0, sumD = 0, sumR = 0;
        for (int i = 0; i < y.length; i++) {
            double d = Math.abs(y[i] - ref[i]);
            maxD = Math.max(maxD, d);
            maxR = Math.max(maxR, Math.abs(ref[i]));
            sumD += d;
            sumR += Math.abs(ref[i]);
        }
        return new double[] {maxD / maxR, sumD / sumR};
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
