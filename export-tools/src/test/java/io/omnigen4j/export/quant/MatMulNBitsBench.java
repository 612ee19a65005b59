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
 * configuration: median and minimum milliseconds per call after warm-up (variants measured round-robin, so load
 * from other processes spreads evenly), the output error against the float32 MatMul as max|Δ| / max|y| and
 * mean|Δ| / mean|y|, session creation time and the RSS growth it caused, and the Java build time of the graph
 * (quantization + serialisation).
 *
 * <pre>
 * java -cp CLASSPATH io.omnigen4j.export.quant.MatMulNBitsBench [--shapes 3072x3072,3072x8192,8192x3072]
 *      [--m 514,100] [--threads 1,2] [--variants q8b128s0,q4b32a4,...|all] [--runs 5] [--warmup 2]
 * </pre>
 * {@code --rss KxN M THREADS VARIANT...} instead starts one JVM per variant and prints how much the process's RSS
 * grows when the session is created and when it first runs (the graph bytes are built and the heap settled before).
 * A variant is the {@link QuantScheme#tag()} followed by the accuracy level: {@code q8b128s4} = int8, blocks of
 * 128, symmetric, accuracy_level 4.
 */
public final class MatMulNBitsBench {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--rss")) {
            rss(args);
            return;
        }
        if (args.length > 0 && args[0].equals("--rss-child")) {
            rssChild(args);
            return;
        }
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
        System.out.printf("%-10s %-9s %3s %4s %9s %9s %10s %10s %8s %8s %9s%n", "KxN", "variant", "thr", "M",
                "med ms", "min ms", "maxrel", "meanrel", "load ms", "RSS MB", "build ms");
        for (int[] kn : shapes) {
            int k = kn[0];
            int n = kn[1];
            Random rnd = new Random(42L * k + n);
            float[] w = QuantGraphs.gaussian(rnd, n * k, 0.02);
            float[] x = QuantGraphs.gaussian(rnd, maxM * k, 1.0);
            List<String> all = new ArrayList<>();
            all.add("fp32");
            all.addAll(variants);
            double[] buildMs = new double[all.size()];
            for (int t : threads) {
                OrtSession[] sessions = new OrtSession[all.size()];
                double[] loadMs = new double[all.size()];
                double[] rssMb = new double[all.size()];
                try {
                    for (int v = 0; v < all.size(); v++) {
                        // "build ms": Java quantization (three streamed passes) + serialisation of the graph
                        long b0 = System.nanoTime();
                        byte[] model = model(all.get(v), w, n, k);
                        buildMs[v] = (System.nanoTime() - b0) / 1e6;
                        long rss0 = rssKb();
                        long l0 = System.nanoTime();
                        sessions[v] = QuantGraphs.session(model, t);
                        loadMs[v] = (System.nanoTime() - l0) / 1e6;
                        rssMb[v] = (rssKb() - rss0) / 1024.0;
                    }
                    for (int m : ms) {
                        float[] xm = Arrays.copyOf(x, m * k);
                        float[][] outs = new float[all.size()][];
                        double[][] times = new double[all.size()][runs];
                        // Round-robin over the variants so load from other processes spreads over all of them.
                        for (int r = -warmup; r < runs; r++) {
                            for (int v = 0; v < all.size(); v++) {
                                long t0 = System.nanoTime();
                                outs[v] = run(sessions[v], xm, m, k);
                                if (r >= 0) {
                                    times[v][r] = (System.nanoTime() - t0) / 1e6;
                                }
                            }
                        }
                        for (int v = 0; v < all.size(); v++) {
                            Arrays.sort(times[v]);
                            double[] err = errors(outs[v], outs[0]);
                            System.out.printf("%-10s %-9s %3d %4d %9.2f %9.2f %10.2e %10.2e %8.1f %8.1f %9.1f%n",
                                    k + "x" + n, all.get(v), t, m, times[v][runs / 2], times[v][0], err[0], err[1],
                                    loadMs[v], rssMb[v], buildMs[v]);
                        }
                    }
                } finally {
                    for (OrtSession s : sessions) {
                        if (s != null) {
                            s.close();
                        }
                    }
                }
            }
        }
    }

    static byte[] model(String variant, float[] w, int n, int k) throws java.io.IOException {
        return variant.equals("fp32") ? QuantGraphs.matMul(w, n, k)
                : QuantGraphs.matMulNBits(new QuantizedWeight(RowSource.of(w, n, k), scheme(variant),
                QuantizedWeight.Layout.MATMUL_NBITS, "bench"), level(variant), 2);
    }

    private static void rss(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        System.out.printf("%-10s %-9s %4s %3s %12s %12s %9s%n", "KxN", "variant", "M", "thr", "session MB",
                "1st run MB", "load ms");
        for (int i = 4; i < args.length; i++) {
            Process p = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    MatMulNBitsBench.class.getName(), "--rss-child", args[1], args[2], args[3], args[i])
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            System.out.println(out.lines().filter(l -> !l.startsWith("SLF4J")).reduce("", (a, b) -> b));
        }
    }

    private static void rssChild(String[] args) throws Exception {
        String[] kn = args[1].split("x");
        int k = Integer.parseInt(kn[0]);
        int n = Integer.parseInt(kn[1]);
        int m = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        String variant = args[4];
        Random rnd = new Random(1);
        byte[] model = model(variant, QuantGraphs.gaussian(rnd, n * k, 0.02), n, k);
        float[] x = QuantGraphs.gaussian(rnd, m * k, 1.0);
        OrtEnvironment.getEnvironment();
        System.gc();
        Thread.sleep(200);
        long r0 = rssKb();
        long l0 = System.nanoTime();
        try (OrtSession s = QuantGraphs.session(model, threads)) {
            double loadMs = (System.nanoTime() - l0) / 1e6;
            long r1 = rssKb();
            run(s, x, m, k);
            long r2 = rssKb();
            System.out.printf("%-10s %-9s %4d %3d %12.1f %12.1f %9.1f%n", args[1], variant, m, threads,
                    (r1 - r0) / 1024.0, (r2 - r1) / 1024.0, loadMs);
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
