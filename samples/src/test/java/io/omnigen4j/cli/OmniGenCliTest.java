package io.omnigen4j.cli;

import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.image.PngEncoder;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.model.ModelFolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI end to end, in process: the demo model, the PNG it writes, and the one-line errors. */
class OmniGenCliTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
        /** The error output is exactly one line starting with "error: " and carries no stack trace. */
        void assertOneLineError(int expectedCode, String fragment) {
            assertEquals(expectedCode, code, () -> "exit code; stderr: " + err);
            List<String> lines = err.strip().lines().toList();
            assertEquals(1, lines.size(), () -> "one line expected, got:\n" + err);
            assertTrue(lines.get(0).startsWith("error: "), err);
            assertTrue(lines.get(0).contains(fragment), () -> "'" + fragment + "' not in: " + err);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = OmniGenCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs {@code omnigen export ARGS}. */
    static Run runExport(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "export";
        System.arraycopy(args, 0, all, 1, args.length);
        return run(all);
    }

    @BeforeAll
    static void useTestCache() {
        TestModels.cacheRoot();
    }

    @Test
    void generateOnTheDemoModelWritesAPngWithMetadata() throws Exception {
        Path png = dir.resolve("sub/demo.png");
        Run r = run("generate", "--prompt", "a red bicycle", "--size", "64x48", "--steps", "2", "--seed", "7",
                "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("weights are random"), r.out());
        assertTrue(r.out().contains("Wrote " + png), r.out());

        byte[] bytes = Files.readAllBytes(png);
        RgbImage image = new DesktopImageCodec().decode(bytes);
        assertEquals(64, image.width());
        assertEquals(48, image.height());
        Map<String, String> meta = PngText.read(bytes);
        assertEquals("a red bicycle", meta.get("prompt"));
        assertTrue(meta.get("negative_prompt").startsWith("low quality"), meta.get("negative_prompt"));
        assertEquals("7", meta.get("seed"));
        assertEquals("torch-cpu", meta.get("noise"), "the default seed semantics are recorded");
        assertEquals("2", meta.get("steps"));
        assertEquals("3.0", meta.get("guidance_scale"));
        assertEquals("off", meta.get("image_guidance_scale"));
        assertEquals("0", meta.get("input_images"));
        assertEquals("64x48", meta.get("size"));
        assertEquals(ModelFolder.open(DemoModel.location()).manifestChecksum(), meta.get("model_manifest_sha256"));
        assertEquals(Versions.sdk(), meta.get("omnigen4j_version"));
        assertFalse(Versions.sdk().contains("$"), "version resource not filtered");
        assertTrue(meta.get("Software").startsWith("OmniGen4J "), meta.get("Software"));

        // Same seed, same model: the same pixels; the demo model is not created again.
        Path again = dir.resolve("again.png");
        Run r2 = run("generate", "--prompt", "a red bicycle", "--size", "64x48", "--steps", "2", "--seed", "7",
                "--out", again.toString(), "--progress", "lines");
        assertEquals(0, r2.code(), r2.err());
        assertFalse(r2.out().contains("Creating the demo model"), r2.out());
        assertTrue(r2.out().contains("step 2/2"), r2.out());
        assertArrayEquals(image.toByteArray(), new DesktopImageCodec().decode(again).toByteArray());
    }

    @Test
    void demoDefaultsAre256SquareAndTenSteps() throws Exception {
        Path png = dir.resolve("default.png");
        Run r = run("generate", "-p", "a lighthouse at dusk", "-o", png.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, String> meta = PngText.read(Files.readAllBytes(png));
        assertEquals("256x256", meta.get("size"));
        assertEquals("10", meta.get("steps"));
        RgbImage image = new DesktopImageCodec().decode(png);
        assertEquals(256, image.width());
        assertEquals(256, image.height());
    }

    @Test
    void generateWithAnInputImage() throws Exception {
        Path input = dir.resolve("input.png");
        Files.write(input, PngEncoder.encode(TestModels.gradient(40, 56), Map.of()));
        Path png = dir.resolve("edited.png");
        Run r = run("generate", "--prompt", "<img><|image_1|></img> Make the sky blue.", "--image", input.toString(),
                "--input-size-as-output", "--steps", "2", "--seed", "3", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        byte[] bytes = Files.readAllBytes(png);
        RgbImage image = new DesktopImageCodec().decode(bytes);
        Map<String, String> meta = PngText.read(bytes);
        // The input is cropped to multiples of 16 (40x56 -> 32x48) and the output takes its size.
        assertEquals(32, image.width());
        assertEquals(48, image.height());
        assertEquals("32x48", meta.get("size"));
        assertEquals("1", meta.get("input_images"));
        assertEquals("1.6", meta.get("image_guidance_scale"));
        assertEquals("on", meta.get("kv_cache"));

        // Without the KV cache (the low-memory path): same size, recorded in the metadata.
        Path noCache = dir.resolve("edited-no-cache.png");
        Run r2 = run("generate", "--prompt", "<img><|image_1|></img> Make the sky blue.", "--image", input.toString(),
                "--input-size-as-output", "--steps", "2", "--seed", "3", "--kv-cache", "off", "--out",
                noCache.toString());
        assertEquals(0, r2.code(), r2.err());
        byte[] bytes2 = Files.readAllBytes(noCache);
        assertEquals(32, new DesktopImageCodec().decode(bytes2).width());
        Map<String, String> meta2 = PngText.read(bytes2);
        assertEquals("off", meta2.get("kv_cache"));
        assertEquals("<img><|image_1|></img> Make the sky blue.", meta2.get("prompt"));
        assertEquals(io.omnigen4j.sdk.Provenance.DIGITAL_SOURCE_TYPE, meta2.get("DigitalSourceType"));

        // --no-prompt-metadata: no prompts, still the settings and the AI-generated marker.
        Path quiet = dir.resolve("edited-quiet.png");
        Run r3 = run("generate", "--prompt", "<img><|image_1|></img> Make the sky blue.", "--image", input.toString(),
                "--input-size-as-output", "--steps", "1", "--seed", "3", "--no-prompt-metadata", "--out",
                quiet.toString());
        assertEquals(0, r3.code(), r3.err());
        Map<String, String> meta3 = PngText.read(Files.readAllBytes(quiet));
        assertFalse(meta3.containsKey("prompt") || meta3.containsKey("negative_prompt"), meta3.keySet().toString());
        assertEquals("3", meta3.get("seed"));
        assertEquals(io.omnigen4j.sdk.Provenance.DIGITAL_SOURCE_TYPE, meta3.get("DigitalSourceType"));
        assertTrue(meta3.get(io.omnigen4j.sdk.Provenance.XMP_KEYWORD).contains("trainedAlgorithmicMedia"));
    }

    @Test
    void missingModelFolder() {
        Path missing = dir.resolve("no-such-model");
        run("generate", "--prompt", "x", "--model", missing.toString(), "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "does not exist");
        assertFalse(Files.exists(dir.resolve("a.png")));
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run r = run("generate", "--prompt", "x", "--model", dir.resolve("nope").toString(), "--verbose",
                "--out", dir.resolve("a.png").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void imageFileNotFound() {
        run("generate", "--prompt", "<img><|image_1|></img> in red", "--image", dir.resolve("cat.png").toString(),
                "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "not found");
    }

    @Test
    void badPlaceholders() throws Exception {
        Path input = dir.resolve("input.png");
        Files.write(input, PngEncoder.encode(TestModels.gradient(32, 32), Map.of()));
        String out = dir.resolve("a.png").toString();
        run("generate", "--prompt", "<img><|image_2|></img> in red", "--image", input.toString(), "--out", out)
                .assertOneLineError(2, "must start at 1");
        run("generate", "--prompt", "<img><|image_x|></img> in red", "--image", input.toString(), "--out", out)
                .assertOneLineError(2, "malformed image tag");
        run("generate", "--prompt", "<img><|image_1|></img> in red", "--out", out)
                .assertOneLineError(2, "no input images");
        run("generate", "--prompt", "a cat", "--image", input.toString(), "--out", out)
                .assertOneLineError(2, "no image tag");
        assertFalse(Files.exists(dir.resolve("a.png")));
    }

    @Test
    void sizeNotAMultipleOf16() {
        run("generate", "--prompt", "x", "--size", "100x100", "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "multiple of 16");
        run("generate", "--prompt", "x", "--size", "big", "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "not a size");
    }

    @Test
    void otherUsageErrors() {
        run("generate", "--out", dir.resolve("a.png").toString()).assertOneLineError(2, "--prompt");
        run("generate", "--prompt", "x", "--out", dir.resolve("a.jpg").toString()).assertOneLineError(2, ".png");
        run("generate", "--prompt", "x", "--provider", "tpu").assertOneLineError(2, "cpu, cuda or cuda:N");
        run("generate", "--prompt", "x", "--steps", "0", "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "--steps");
        run("frobnicate").assertOneLineError(2, "frobnicate");
        run("generate", "--prompt", "x", "--vae-tiling", "sideways").assertOneLineError(2, "auto, always, never");
        run("generate", "--prompt", "x", "--cpu-arena", "maybe").assertOneLineError(2, "auto, on, off");
        run("generate", "--prompt", "x", "--kv-cache", "maybe").assertOneLineError(2, "--kv-cache: expected on or off");
        run("generate", "--prompt", "x", "--vae-tile-size", "100").assertOneLineError(2, "--vae-tile-size");
    }

    @Test
    void noiseOptionAndPyTorchSeedConversion() throws Exception {
        Path unsigned = dir.resolve("unsigned.png");
        Run r = run("generate", "--prompt", "a red bicycle", "--size", "32", "--steps", "1",
                "--seed", "18446744073709551615", "--noise", "java", "--out", unsigned.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, String> meta = PngText.read(Files.readAllBytes(unsigned));
        assertEquals("-1", meta.get("seed"), "2^64 - 1 and -1 are the same 64 bits, as in manual_seed");
        assertEquals("java", meta.get("noise"));
        Path signed = dir.resolve("signed.png");
        assertEquals(0, run("generate", "--prompt", "a red bicycle", "--size", "32", "--steps", "1", "--seed", "-1",
                "--noise", "JAVA", "--out", signed.toString()).code());
        assertArrayEquals(new DesktopImageCodec().decode(unsigned).toByteArray(),
                new DesktopImageCodec().decode(signed).toByteArray());
        Path torch = dir.resolve("torch.png");
        assertEquals(0, run("generate", "--prompt", "a red bicycle", "--size", "32", "--steps", "1", "--seed", "-1",
                "--noise", "torch-cpu", "--out", torch.toString()).code());
        assertEquals("torch-cpu", PngText.read(Files.readAllBytes(torch)).get("noise"));
        assertFalse(java.util.Arrays.equals(new DesktopImageCodec().decode(signed).toByteArray(),
                new DesktopImageCodec().decode(torch).toByteArray()), "the noise kind changes what a seed gives");

        run("generate", "--prompt", "x", "--noise", "torch", "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "torch-cpu, torch-cuda, java");
        run("generate", "--prompt", "x", "--seed", "18446744073709551616", "--out", dir.resolve("a.png").toString())
                .assertOneLineError(2, "out of range");
    }

    @Test
    void cudaWithTheCpuRuntimeIsARuntimeError() {
        run("generate", "--prompt", "x", "--provider", "cuda", "--steps", "1", "--size", "32",
                "--out", dir.resolve("a.png").toString())
                .assertOneLineError(1, "CUDA");
    }

    @Test
    void infoDescribesTheModelAndProviders() throws Exception {
        TestModels.demoModel();
        Run r = run("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("demo model"), r.out());
        assertTrue(r.out().contains("Manifest SHA-256"), r.out());
        assertTrue(r.out().contains("transformer.weights"), r.out());
        assertTrue(r.out().contains("CPU"), r.out());

        Run verified = run("info", "--model", DemoModel.location().toString(), "--verify");
        assertEquals(0, verified.code(), verified.err());
        assertTrue(verified.out().contains("match the manifest"), verified.out());

        run("info", "--model", dir.resolve("nope").toString()).assertOneLineError(2, "does not exist");
    }

    @Test
    void exportThenGenerateWithTheExportedModel() throws Exception {
        CheckpointSpec spec = CheckpointSpec.builder().hidden(32).layers(1).heads(2).intermediate(64)
                .vaeBlockOutChannels(List.of(16, 16, 16, 16)).vaeLayersPerBlock(1).vaeNormGroups(8).build();
        Path checkpoint = RandomCheckpointGenerator.generate(spec, 5, dir.resolve("checkpoint"));
        Path model = dir.resolve("model");
        Run export = runExport("--checkpoint", checkpoint.toString(), "--out", model.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(export.out().contains("exported to"), export.out());
        assertTrue(Files.isRegularFile(model.resolve("manifest.json")));

        Path png = dir.resolve("exported.png");
        Run gen = run("generate", "--model", model.toString(), "--prompt", "a boat", "--size", "32x64",
                "--steps", "1", "--out", png.toString());
        assertEquals(0, gen.code(), gen.err());
        assertFalse(gen.out().contains("weights are random"), gen.out());
        Map<String, String> meta = PngText.read(Files.readAllBytes(png));
        assertEquals("32x64", meta.get("size"));
        assertEquals("model", meta.get("model"));
        assertEquals(ModelFolder.open(model).manifestChecksum(), meta.get("model_manifest_sha256"));

        Run failed = runExport("--checkpoint", dir.resolve("missing").toString(), "--out",
                dir.resolve("m2").toString());
        assertEquals(2, failed.code());
        List<String> lines = failed.err().strip().lines().toList();
        assertEquals(1, lines.size(), failed.err());
        assertTrue(lines.get(0).startsWith("export failed: ") && lines.get(0).contains("does not exist"),
                failed.err());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("generate") && r.out().contains("export") && r.out().contains("info"), r.out());
    }
}
