package io.omnigen4j.sdk.vae;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.export.graphs.VaeGraphs;
import io.omnigen4j.sdk.model.ModelFolder;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures one VAE configuration per JVM (not a test; run by hand, one at a time, so that peak RSS is clean):
 * <pre>
 *   gen DIR                                  SDXL-width VAE (bench spec) + tiny transformer, exported to
 *                                            DIR/winograd and DIR/direct
 *   run MODEL decode|encode SIZE TILE [RUNS [THREADS]]
 *                                            one session of the VAE graph, RUNS runs (default 2) on a SIZE×SIZE
 *                                            image, TILE pixels per tile (0 = untiled), THREADS intra-op threads (0 =
 *                                            ONNX Runtime's default); prints load time, wall and process CPU seconds
 *                                            per run, VmHWM and VmRSS. With -Dprobe.capGiB=X the JVM stops as soon as
 *                                            its RSS passes X GiB (for configurations that would exhaust the machine)
 * </pre>
 */
public final class VaeMemoryProbe {

    private VaeMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("gen")) {
            gen(Path.of(args[1]));
        } else {
            run(Path.of(args[1]), args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    args.length > 5 ? Integer.parseInt(args[5]) : 2, args.length > 6 ? Integer.parseInt(args[6]) : 0);
        }
    }

    private static void gen(Path dir) throws IOException {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(64).layers(2).heads(4).intermediate(128)
                .vaeBlockOutChannels(List.of(128, 256, 512, 512)).vaeLayersPerBlock(2).vaeNormGroups(32).build();
        Path ckpt = RandomCheckpointGenerator.generate(spec, 2409_11340L, dir.resolve("checkpoint"));
        for (VaeGraphs.Convolution c : VaeGraphs.Convolution.values()) {
            OmniGenExporter.export(ExportOptions.builder(ckpt, dir.resolve(c.id())).vaeConvolution(c).build());
        }
    }

    private static void run(Path model, String what, int size, int tile, int runs, int threads) throws Exception {
        double cap = Double.parseDouble(System.getProperty("probe.capGiB", "0"));
        if (cap > 0) {
            long start = System.nanoTime();
            Thread watchdog = new Thread(() -> {
                try {
                    while (true) {
                        if (rssGiB() > cap) {
                            System.out.printf("%s %s %d tile %d: stopped, RSS passed %.1f GiB after %.1f s%n",
                                    model.getFileName(), what, size, tile, cap, (System.nanoTime() - start) / 1e9);
                            System.out.flush();
                            Runtime.getRuntime().halt(3);
                        }
                        Thread.sleep(20);
                    }
                } catch (InterruptedException | IOException e) {
                    // stop watching
                }
            });
            watchdog.setDaemon(true);
            watchdog.start();
        }
        boolean decode = what.equals("decode");
        String graph = decode ? "vae_decoder" : "vae_encoder";
        String input = decode ? "latents" : "pixels";
        int f = 8;
        Nchw x = decode ? random(new Nchw(new float[4 * (size / f) * (size / f)], 1, 4, size / f, size / f), 1f)
                : random(new Nchw(new float[3 * size * size], 1, 3, size, size), 1f);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long t0 = System.nanoTime();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                so.setIntraOpNumThreads(threads);
            }
            try (OrtSession s = env.createSession(ModelFolder.open(model).graph(graph).toString(), so)) {
                double load = (System.nanoTime() - t0) / 1e9;
                TiledVae vae = new TiledVae(tile == 0 ? VaeTiling.NEVER : VaeTiling.ALWAYS, tile == 0 ? 8192 : tile, f);
                TiledVae.Runner<OrtException> runner = t -> {
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), t.shape());
                         OrtSession.Result r = s.run(Map.of(input, in))) {
                        OnnxTensor o = (OnnxTensor) r.get(0);
                        return Nchw.of(o.getFloatBuffer().array(), o.getInfo().getShape());
                    }
                };
                StringBuilder times = new StringBuilder(), cpu = new StringBuilder();
                var os = (com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
                double checksum = 0;
                for (int k = 0; k < runs; k++) {
                    long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                    Nchw y = decode ? vae.decode(x, runner) : vae.encode(x, runner);
                    times.append(String.format(" %.2f", (System.nanoTime() - t1) / 1e9));
                    cpu.append(String.format(" %.2f", (os.getProcessCpuTime() - c1) / 1e9));
                    checksum = 0;
                    for (float v : y.data()) {
                        checksum += v;
                    }
                }
                int tiles = decode ? vae.decodeRuns(size / f, size / f) : vae.encodeRuns(size, size);
                System.out.printf("%s %s %d tile %d (%d runs/image, %d threads): load %.2f s, runs%s s (cpu%s s), %s,"
                        + " checksum %.6g%n", model.getFileName(), what, size, tile, tiles, threads, load, times, cpu,
                        memory(), checksum);
            }
        }
    }

    private static Nchw random(Nchw t, float scale) {
        SplittableRandom r = new SplittableRandom(42);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextDouble() * 2 - 1) * scale;
        }
        return t;
    }

    private static String memory() throws IOException {
        String hwm = "?", rss = "?";
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                hwm = gib(line);
            } else if (line.startsWith("VmRSS:")) {
                rss = gib(line);
            }
        }
        return "peak RSS " + hwm + " GiB, RSS " + rss + " GiB";
    }

    private static double rssGiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0;
            }
        }
        return 0;
    }

    private static String gib(String line) {
        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return String.format("%.2f", kb / 1024.0 / 1024.0);
    }
}
