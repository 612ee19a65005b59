package io.omnigen4j.cli;

import io.omnigen4j.cli.OmniGenCliTest.Run;
import io.omnigen4j.export.generate.CheckpointSpec;
import io.omnigen4j.export.generate.RandomCheckpointGenerator;
import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.image.PngEncoder;
import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.omnigen4j.cli.OmniGenCliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CLI refuses what it can see is wrong before the slow parts: an unwritable {@code --out} before the model is
 * created or loaded, a size or prompt over the model's limits before the graphs load; the limits {@code info}
 * prints are the ones {@code generate} enforces; typos get a suggestion; errors speak in option names.
 */
class CliHardeningTest {

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    /** A tiny exported model whose sequence (1025 positions), not its position table, bounds the output. */
    private static Path shortSequenceModel;

    @BeforeAll
    static void setUp() throws Exception {
        TestModels.cacheRoot();
        CheckpointSpec spec = CheckpointSpec.builder().hidden(32).layers(1).heads(2).intermediate(64)
                .noRopeScaling(1025)
                .vaeBlockOutChannels(List.of(16, 16, 16, 16)).vaeLayersPerBlock(1).vaeNormGroups(8).build();
        Path checkpoint = RandomCheckpointGenerator.generate(spec, 11, shared.resolve("checkpoint"));
        shortSequenceModel = shared.resolve("model");
        Run export = run("export", "--checkpoint", checkpoint.toString(), "--out", shortSequenceModel.toString());
        assertEquals(0, export.code(), export.err());
    }

    // ---- --out is checked first -------------------------------------------------------------------------------

    /** Fails with exit 2 and nothing on stdout: the demo model was neither announced, created nor loaded. */
    private static void refusedBeforeAnything(Run r, String... fragments) {
        r.assertOneLineError(2, "cannot write --out");
        for (String f : fragments) {
            assertTrue(r.err().contains(f), () -> "'" + f + "' not in: " + r.err());
        }
        assertEquals("", r.out(), "nothing may run before --out is checked");
    }

    @Test
    void outUnderAFileIsRefusedBeforeTheModel() throws Exception {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        refusedBeforeAnything(run("generate", "-p", "a cat", "--out", file.resolve("sub/x.png").toString()),
                "is a file, not a folder");
    }

    @Test
    void outThatIsAFolderIsRefused() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("looks-like.png"));
        refusedBeforeAnything(run("generate", "-p", "a cat", "--out", folder.toString()), "is a folder");
    }

    @Test
    void readOnlyOutIsNotReplaced() throws Exception {
        Path png = Files.writeString(dir.resolve("keep.png"), "not a png");
        assumeTrue(Files.getFileStore(png).supportsFileAttributeView("posix"));
        Files.setPosixFilePermissions(png, PosixFilePermissions.fromString("r--r--r--"));
        refusedBeforeAnything(run("generate", "-p", "a cat", "--out", png.toString()), "read-only");
        assertEquals("not a png", Files.readString(png));
    }

    @Test
    void outInAFolderNoFileCanBeCreatedIn() throws Exception {
        // /proc refuses new files even for root; elsewhere a folder without write permission does (non-root).
        Path target;
        if (Files.isDirectory(Path.of("/proc/self"))) {
            target = Path.of("/proc/omnigen4j-test/out.png");
        } else {
            Path locked = Files.createDirectories(dir.resolve("locked"));
            assumeTrue(Files.getFileStore(locked).supportsFileAttributeView("posix"));
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
            assumeTrue(!Files.isWritable(locked), "running with permission to write anywhere");
            target = locked.resolve("out.png");
        }
        refusedBeforeAnything(run("generate", "-p", "a cat", "--out", target.toString()), "not writable",
                "choose a writable folder");
    }

    @Test
    void writableOutLeavesNoProbeBehind() throws Exception {
        Path png = dir.resolve("new/deeper/ok.png");
        Run r = run("generate", "-p", "a cat", "--model", shortSequenceModel.toString(), "--size", "32",
                "--steps", "1", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> s = Files.walk(dir)) {
            assertEquals(List.of(png), s.filter(Files::isRegularFile).toList());
        }
    }

    // ---- model limits: info prints what generate enforces, checked before loading ------------------------------

    private static final Pattern LARGEST = Pattern.compile("Largest output\\s+(\\d+)x(\\d+) px");

    private static int largestSquare(Path model) {
        Run info = run("info", "--model", model.toString());
        assertEquals(0, info.code(), info.err());
        Matcher m = LARGEST.matcher(info.out());
        assertTrue(m.find(), info.out());
        assertEquals(m.group(1), m.group(2));
        return Integer.parseInt(m.group(1));
    }

    /** Refused with exit 2 before the model loaded: generate prints "Generating" only once it has loaded. */
    private static void refusedBeforeLoading(Run r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), () -> "'" + f + "' not in: " + r.err());
        }
        assertFalse(r.out().contains("Generating"), r.out());
    }

    @Test
    void theLargestOutputInfoPrintsIsExactlyWhatGenerateAccepts() throws Exception {
        // 1025 positions: 31·31 = 961 output tokens fit (63 left for the prompt), 32·32 = 1024 do not.
        int side = largestSquare(shortSequenceModel);
        assertEquals(496, side);
        Path png = dir.resolve("largest.png");
        Run ok = run("generate", "--model", shortSequenceModel.toString(), "-p", "a boat", "-n", "blurry",
                "--size", side + "x" + side, "--steps", "1", "--out", png.toString());
        assertEquals(0, ok.code(), ok.err());
        RgbImage image = new DesktopImageCodec().decode(png);
        assertEquals(side, image.width());
        assertEquals(side, image.height());

        int over = side + 16;
        refusedBeforeLoading(run("generate", "--model", shortSequenceModel.toString(), "-p", "a boat", "-n",
                        "blurry", "--size", over + "x" + over, "--steps", "1", "--out", png.toString()),
                "error: --size: output " + over + "×" + over, "1025 positions", "largest square output is "
                        + side + "×" + side);
    }

    @Test
    void theDemoModelsLimitIsItsPositionTable() throws Exception {
        int side = largestSquare(TestModels.demoModel());
        assertEquals(3072, side);
        refusedBeforeLoading(run("generate", "-p", "a boat", "--size", (side + 16) + "x16", "--out",
                dir.resolve("x.png").toString()), "--size", "position table (3072 px per side)");
    }

    @Test
    void promptsOverTheTokenBudgetAreRefusedBeforeLoading() {
        String model = shortSequenceModel.toString();
        String out = dir.resolve("x.png").toString();
        // The default negative prompt (about 90 tokens) does not fit the 63 tokens left at 496×496.
        refusedBeforeLoading(run("generate", "--model", model, "-p", "a boat", "--size", "496", "--out", out),
                "--negative-prompt: the negative prompt needs", "smaller --size");
        refusedBeforeLoading(run("generate", "--model", model, "-p", "a boat ".repeat(200), "-n", "blurry",
                "--size", "256", "--out", out), "--prompt: the prompt needs");
        // The same prompt fits a smaller output: the budget follows the size.
        assertEquals(0, run("generate", "--model", model, "-p", "a boat", "--size", "128", "--steps", "1",
                "--out", out).code());
    }

    @Test
    void inputImagesAreCheckedAgainstTheModelBeforeLoading() throws Exception {
        Path big = dir.resolve("big.png");
        Files.write(big, PngEncoder.encode(TestModels.gradient(640, 480), java.util.Map.of()));
        // 640×480 is 40·30 = 1200 tokens: more than the whole 1025-position sequence leaves for the prompt.
        refusedBeforeLoading(run("generate", "--model", shortSequenceModel.toString(), "-p",
                "<img><|image_1|></img> make it blue", "-i", big.toString(), "-n", "blurry", "--size", "64",
                "--max-input-size", "640", "--out", dir.resolve("x.png").toString()), "--prompt", "--max-input-size");
        // Larger than the position table after scaling.
        Path huge = dir.resolve("huge.png");
        Files.write(huge, PngEncoder.encode(TestModels.gradient(3200, 16), java.util.Map.of()));
        refusedBeforeLoading(run("generate", "-p", "<img><|image_1|></img> x", "-i", huge.toString(),
                "--max-input-size", "4096", "--size", "64", "--out", dir.resolve("x.png").toString()),
                "--max-input-size", "3072");
        // --input-size-as-output: the output takes the scaled input's size, checked against the sequence too.
        Path mid = dir.resolve("mid.png");
        Files.write(mid, PngEncoder.encode(TestModels.gradient(512, 512), java.util.Map.of()));
        refusedBeforeLoading(run("generate", "--model", shortSequenceModel.toString(), "-p",
                "<img><|image_1|></img> x", "-i", mid.toString(), "-n", "blurry", "--input-size-as-output",
                "--max-input-size", "512", "--out", dir.resolve("x.png").toString()),
                "--input-size-as-output", "--max-input-size");
    }

    // ---- suggestions ------------------------------------------------------------------------------------------

    @Test
    void typosGetASuggestion() {
        run("generate", "--seeed", "1", "-p", "x").assertOneLineError(2, "did you mean --seed?");
        run("genrate", "-p", "x").assertOneLineError(2, "unknown command 'genrate'; did you mean generate?");
        run("info", "--verfy").assertOneLineError(2, "did you mean --verify?");
        run("export", "--chekpoint", "c", "--out", "o").assertOneLineError(2, "did you mean --checkpoint?");
        run("generate", "-p", "x", "--negativ-prompt", "y").assertOneLineError(2, "did you mean --negative-prompt?");
        // Nothing close: no guess.
        Run far = run("generate", "-p", "x", "--zzzzzzzz");
        far.assertOneLineError(2, "Unknown option");
        assertFalse(far.err().contains("did you mean"), far.err());
    }

    @Test
    void editDistanceCountsSwapsAsOneEdit() {
        assertEquals(1, OmniGenCli.editDistance("--seeed", "--seed"));
        assertEquals(1, OmniGenCli.editDistance("genrate", "generate"));
        assertEquals(1, OmniGenCli.editDistance("--sede", "--seed"));
        assertEquals(List.of("generate"), OmniGenCli.closest("genrate", List.of("generate", "export", "info")));
        assertEquals(List.of(), OmniGenCli.closest("-x", List.of("-h", "-V", "-p")));
        Run shortOption = run("generate", "-p", "x", "-x");
        shortOption.assertOneLineError(2, "Unknown option: '-x'");
        assertFalse(shortOption.err().contains("did you mean"), shortOption.err());
    }

    // ---- every error in option names ----------------------------------------------------------------------------

    /** A camelCase identifier (guidanceScale), a Java class name or package, or a builder call. */
    private static final Pattern API_WORDING = Pattern.compile(
            "\\b[a-z]+[A-Z][A-Za-z]*\\b|\\b[A-Z][a-z]+(Exception|Error)\\b|\\bjava\\.|io\\.omnigen4j|\\w\\(\\w+, |builder\\.");

    record Case(String option, String... args) {
    }

    @Test
    void badCommandLinesAreReportedInOptionNames() throws Exception {
        Path img = dir.resolve("in.png");
        Files.write(img, PngEncoder.encode(TestModels.gradient(64, 64), java.util.Map.of()));
        Path huge = dir.resolve("huge.png");
        Files.write(huge, PngEncoder.encode(TestModels.gradient(3200, 3200), java.util.Map.of()));
        String out = dir.resolve("o.png").toString();
        String tagged = "<img><|image_1|></img> x";
        List<Case> cases = new ArrayList<>(List.of(
                new Case("--seed", "generate", "--seeed", "1", "-p", "x"),
                new Case("generate", "genrate"),
                new Case("--guidance", "generate", "-p", "x", "--guidance", "-1"),
                new Case("--guidance", "generate", "-p", "x", "--guidance", "abc"),
                new Case("--image-guidance", "generate", "-p", "x", "--image-guidance", "NaN"),
                new Case("--steps", "generate", "-p", "x", "--steps", "0"),
                new Case("--steps", "generate", "-p", "x", "--steps", "abc"),
                new Case("--max-input-size", "generate", "-p", "x", "--max-input-size", "3"),
                new Case("--size", "generate", "-p", "x", "--size", "17"),
                new Case("--size", "generate", "-p", "x", "--size", "abc"),
                new Case("--size", "generate", "-p", "x", "--size", "3088", "--out", out),
                new Case("--input-size-as-output", "generate", "-p", "x", "--input-size-as-output"),
                new Case("--input-size-as-output", "generate", "-p", tagged, "-i", img.toString(), "--size", "64",
                        "--input-size-as-output"),
                new Case("--vae-tile-size", "generate", "-p", "x", "--vae-tile-size", "33"),
                new Case("--vae-tiling", "generate", "-p", "x", "--vae-tiling", "sometimes"),
                new Case("--cpu-arena", "generate", "-p", "x", "--cpu-arena", "maybe"),
                new Case("--threads", "generate", "-p", "x", "--threads", "-1"),
                new Case("--noise", "generate", "-p", "x", "--noise", "perlin"),
                new Case("--kv-cache", "generate", "-p", "x", "--kv-cache", "maybe"),
                new Case("--provider", "generate", "-p", "x", "--provider", "tpu"),
                new Case("--progress", "generate", "-p", "x", "--progress", "fancy"),
                new Case("--seed", "generate", "-p", "x", "--seed", "abc"),
                new Case("--out", "generate", "-p", "x", "--out", "x.jpg"),
                new Case("--prompt", "generate", "-p", tagged),
                new Case("--prompt", "generate", "-p", "x \uD800 y"),
                new Case("--negative-prompt", "generate", "-p", "x", "-n", "\uDC00"),
                new Case("--prompt", "generate"),
                new Case("--image", "generate", "-p", tagged, "-i", dir.resolve("missing.png").toString()),
                new Case("--max-input-size", "generate", "-p", tagged, "-i", huge.toString(), "--max-input-size",
                        "4096", "--size", "64", "--out", out),
                new Case("--model", "generate", "-p", "x", "--model", dir.resolve("no-model").toString()),
                new Case("--model", "info", "--model", dir.resolve("no-model").toString()),
                new Case("--verify", "info", "--verfy"),
                new Case("--runs", "bench", "--dir", dir.resolve("b").toString(), "--runs", "0"),
                new Case("--warmup", "bench", "--dir", dir.resolve("b").toString(), "--warmup", "-1"),
                new Case("--condition-cache", "bench", "--dir", dir.resolve("b").toString(), "--condition-cache",
                        "-1"),
                new Case("--precision", "bench", "--dir", dir.resolve("b").toString(), "--precision", "fp8"),
                new Case("--spec", "bench", "--dir", dir.resolve("b").toString(), "--spec", "huge"),
                new Case("--cases", "bench", "--dir", dir.resolve("b").toString(), "--cases", "inpaint"),
                new Case("--vae-convolution", "bench", "--dir", dir.resolve("b").toString(), "--vae-convolution",
                        "fft"),
                new Case("--dir", "bench", "--runs", "1"),
                new Case("--checkpoint", "export", "--chekpoint", "c", "--out", "o")));
        List<String> failures = new ArrayList<>();
        // export reports its own errors as "export failed: …" (exit 2 for wrong input); the option is named too.
        String ckpt = dir.toString();
        String eout = dir.resolve("e").toString();
        List<Case> export = List.of(
                new Case("--precision", "export", "--checkpoint", ckpt, "--out", eout, "--precision", "fp8"),
                new Case("--precision", "export", "--checkpoint", ckpt, "--out", eout, "--quant-block-size", "32"),
                new Case("--quant-block-size", "export", "--checkpoint", ckpt, "--out", eout, "--precision",
                        "int4", "--quant-block-size", "7"),
                new Case("--quant-accuracy-level", "export", "--checkpoint", ckpt, "--out", eout, "--precision",
                        "int4", "--quant-accuracy-level", "9"),
                new Case("--vae-convolution", "export", "--checkpoint", ckpt, "--out", eout, "--vae-convolution",
                        "fft"),
                new Case("--attention-heads-per-node", "export", "--checkpoint", ckpt, "--out", eout,
                        "--attention-heads-per-node", "0"));
        for (Case c : export) {
            Run r = run(c.args());
            String line = r.err().strip();
            System.out.println(String.join(" ", c.args()) + "\n    " + line);
            if (r.code() != 2 || !line.startsWith("export failed: " + c.option() + ": ")
                    || API_WORDING.matcher(line).find()) {
                failures.add(String.join(" ", c.args()) + " -> exit " + r.code() + ": " + r.err());
            }
        }
        for (Case c : cases) {
            Run r = run(c.args());
            String line = r.err().strip();
            System.out.println(String.join(" ", c.args()) + "\n    " + line);
            if (r.code() != 2 || !line.startsWith("error: ") || line.lines().count() != 1) {
                failures.add(String.join(" ", c.args()) + " -> exit " + r.code() + ": " + r.err());
            } else if (!line.contains(c.option())) {
                failures.add(String.join(" ", c.args()) + " -> does not name " + c.option() + ": " + line);
            } else if (API_WORDING.matcher(line).find()) {
                Matcher m = API_WORDING.matcher(line);
                m.find();
                failures.add(String.join(" ", c.args()) + " -> API wording '" + m.group() + "': " + line);
            }
        }
        assertEquals(List.of(), failures, () -> String.join("\n", failures));
    }

    @Test
    void cliWordingReplacesBuilderNames() {
        assertEquals("--guidance must be a finite number ≥ 0, got -1.0",
                GenerateCommand.cliWording("guidanceScale must be a finite number ≥ 0, got -1.0"));
        assertEquals("--size: width must be a positive multiple of 16, got 17 (try 16)",
                GenerateCommand.cliWording("width must be a positive multiple of 16, got 17 (try 16)"));
        assertArrayEquals(new String[0], Stream.of("maxInputImageSize", "useInputImageSizeAsOutput",
                        "imageGuidanceScale", "negativePrompt", "vaeTileSize")
                .map(GenerateCommand::cliWording).filter(w -> API_WORDING.matcher(w).find()).toArray());
    }
}
