package io.omnigen4j.samples.bench;

import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.WarmUp;
import io.omnigen4j.sdk.WarmUpResult;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.runtime.RuntimeOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Times the first three calls after a model load, with or without {@link OmniGen#warmUp}: the harness behind the
 * README's warm-up numbers. Run one JVM per mode, so that neither profits from the other's JIT or page cache:
 *
 * <pre>
 * java -cp omnigen.jar io.omnigen4j.samples.bench.FirstCalls MODEL_DIR|demo none|warmup [SIZE] [STEPS] [t2i|edit] [THREADS]
 * </pre>
 *
 * Defaults: 256 px, 10 steps, t2i, 1 thread. Prints each call's stage times, the process CPU time (less
 * sensitive to other load on the machine than wall time) and minor page faults. Each call has its own seed (as a service's would); text-to-image
 * calls after the first take their prefill from the condition cache, as in {@code omnigen bench}.
 */
public final class FirstCalls {

    private FirstCalls() {
    }

    /**
     * Runs the measurement and prints one line per stage of interest.
     *
     * @param args model folder (or {@code demo}), mode, then optionally size, steps, case and threads
     * @throws Exception when loading or generating fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !List.of("none", "warmup").contains(args[1])) {
            System.err.println("usage: FirstCalls MODEL_DIR|demo none|warmup [SIZE] [STEPS] [t2i|edit] [THREADS]");
            System.exit(2);
        }
        Path model = args[0].equals("demo") ? DemoModel.ensure(System.err::println) : Path.of(args[0]);
        boolean warm = args[1].equals("warmup");
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        boolean edit = args.length > 4 && args[4].equals("edit");
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        RgbImage input = BenchmarkCommand.syntheticImage(size, size);

        long t0 = System.nanoTime();
        try (OmniGen og = OmniGen.load(model, RuntimeOptions.builder().intraOpThreads(threads).build())) {
            System.out.printf(Locale.ROOT, "load %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            if (warm) {
                WarmUp.Builder w = WarmUp.builder();
                if (edit) {
                    w.inputImage(size, size).useInputImageSizeAsOutput(true).maxInputImageSize(size);
                } else {
                    w.size(size, size);
                }
                WarmUpResult r = og.warmUp(w.build());
                System.out.printf(Locale.ROOT, "warm-up %.0f ms (rounds %s)%n", r.total().toNanos() / 1e6,
                        r.rounds().stream().map(x -> String.format(Locale.ROOT, "%.0f", x.total().toNanos() / 1e6))
                                .toList());
            }
            for (int call = 1; call <= 3; call++) {
                GenerationRequest.Builder b = GenerationRequest.builder().steps(steps).seed(call);
                if (edit) {
                    b.prompt(BenchmarkCommand.EDIT_PROMPT, List.of(input)).useInputImageSizeAsOutput(true)
                            .maxInputImageSize(size);
                } else {
                    b.prompt(BenchmarkCommand.T2I_PROMPT).size(size, size);
                }
                long cpu0 = processCpuNanos();
                long faults0 = minorFaults();
                GenerationResult.Timings t = og.generate(b.build()).timings();
                long cpu = processCpuNanos() - cpu0;
                long faults = minorFaults() - faults0;
                System.out.printf(Locale.ROOT, "call %d: total %.0f ms, vae encode %.0f, prefill %.0f, steps %.0f,"
                                + " decode %.0f; process CPU %.0f ms, minor page faults %d%n", call, ms(t.total()),
                        ms(t.vaeEncode()), ms(t.prefill()), ms(t.stepsTotal()), ms(t.decode()), cpu / 1e6, faults);
            }
        }
    }

    /** CPU time of the whole process (all threads, user + system): robust against other load on the machine. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** Minor page faults of the process so far (Linux {@code /proc/self/stat}), or -1 elsewhere. */
    private static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]); // field 10 (minflt), counted from the state field (3)
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double ms(java.time.Duration d) {
        return d.toNanos() / 1e6;
    }
}
