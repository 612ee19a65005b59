package io.omnigen4j.cli;

import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.CancellationToken;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.InvalidRequestException;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.Provenance;
import io.omnigen4j.sdk.image.ImageCodec;
import io.omnigen4j.sdk.image.ImageDecodeException;
import io.omnigen4j.sdk.image.ImageSize;
import io.omnigen4j.sdk.image.InputImagePreprocessor;
import io.omnigen4j.sdk.image.InputImageException;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.model.IntegrityCheck;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelFolderException;
import io.omnigen4j.sdk.model.ModelLimits;
import io.omnigen4j.sdk.prompt.ImageTagParser;
import io.omnigen4j.sdk.prompt.PromptEncoder;
import io.omnigen4j.sdk.prompt.PromptException;
import io.omnigen4j.sdk.prompt.PromptTokenizer;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.sampling.NoiseKind;
import io.omnigen4j.sdk.sampling.TorchCpuGenerator;
import io.omnigen4j.sdk.vae.VaeTiling;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code omnigen generate}: one prompt (with its input images) to one PNG that carries the generation settings as
 * text metadata. Everything that can be checked without the model (files, sizes, image tags) is checked before the
 * model loads, so a typo fails in a moment rather than after a 15 GB load.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = OmniGenCli.Version.class,
        description = {"Generate an image from a prompt and optional input images.",
                "Refer to the Nth --image in the prompt as <img><|image_N|></img>."},
        footer = {"", "Without --model a small demo model with random weights is created once in the user cache"
                + " (override with OMNIGEN4J_CACHE) and used; its pictures are noise-like. Its defaults are"
                + " 256x256, 10 steps, input images up to 256 px.",
                "Exit codes: 0 done, 1 failed while running, 2 wrong arguments or inputs, 130 interrupted (Ctrl-C)."})
final class GenerateCommand implements Callable<Integer>, OmniGenCli.Verbose {

    /** Defaults with the demo model: small enough to finish in seconds on two cores. */
    static final int DEMO_SIZE = 256;
    static final int DEMO_STEPS = 10;
    static final int DEMO_MAX_INPUT_SIZE = 256;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT",
            description = "What to generate; <img><|image_N|></img> stands for the Nth --image.")
    String prompt;

    @Option(names = {"-i", "--image"}, paramLabel = "FILE",
            description = "Input image (PNG or JPEG); repeat for image 2, 3, ... in prompt order.")
    List<Path> images = new ArrayList<>();

    @Option(names = {"-m", "--model"}, paramLabel = "DIR",
            description = "Exported model folder (omnigen export). Default: the demo model (random weights).")
    Path model;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", defaultValue = "omnigen.png",
            description = "PNG file to write. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = {"-n", "--negative-prompt"}, paramLabel = "TEXT",
            description = "What to avoid. Default: the reference pipeline's negative prompt.")
    String negativePrompt;

    @Option(names = {"-s", "--size"}, paramLabel = "WxH", converter = SizeConverter.class,
            description = "Output size, both sides multiples of 16 (e.g. 1024x768, or 512 for 512x512)."
                    + " Default: 1024x1024 (demo model: 256x256).")
    Size size;

    @Option(names = "--input-size-as-output",
            description = "Make the output as large as the single input image (editing).")
    boolean inputSizeAsOutput;

    @Option(names = "--steps", paramLabel = "N",
            description = "Denoising steps. Default: 50 (demo model: 10).")
    Integer steps;

    @Option(names = {"-g", "--guidance"}, paramLabel = "G",
            description = "Text guidance scale. Default: 3.0; 2-3 works best, 2 for editing.")
    Float guidance;

    @Option(names = "--image-guidance", paramLabel = "G",
            description = "Image guidance scale, used when there are input images. Default: 1.6.")
    Float imageGuidance;

    @Option(names = "--max-input-size", paramLabel = "PX",
            description = "Input images are scaled down to at most this many pixels per side."
                    + " Default: 1024 (demo model: 256).")
    Integer maxInputSize;

    @Option(names = "--seed", paramLabel = "N", converter = SeedConverter.class,
            description = "Random seed, -2^63 to 2^64-1 as PyTorch's manual_seed takes it. Default: a random one"
                    + " (printed).")
    Long seed;

    @Option(names = "--noise", paramLabel = "KIND", defaultValue = "torch-cpu",
            description = "What --seed means: torch-cpu (PyTorch's CPU generator, bit-exact; default), torch-cuda"
                    + " (the layout of PyTorch's CUDA generator, values approximate) or java (this project's own"
                    + " generator).")
    String noise;

    @Option(names = "--provider", paramLabel = "P", defaultValue = "cpu",
            description = "Execution provider: cpu, cuda or cuda:N. Default: ${DEFAULT-VALUE}.")
    String provider;

    @Option(names = "--cpu-fallback", description = "If CUDA cannot start, warn and run on the CPU instead of failing.")
    boolean cpuFallback;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Threads per graph run; 0 = all cores. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--kv-cache", paramLabel = "on|off", defaultValue = "on",
            description = "on: the condition's K/V are computed once and reused at every step (fast). off: every step"
                    + " runs the whole sequence and no K/V is kept, as the reference's use_kv_cache=False: slower,"
                    + " but a large edit needs far less memory (the 3.8 B model's 1024x1024 edit: about 3.3 GB per"
                    + " guidance branch with an input image). Default: ${DEFAULT-VALUE}.")
    String kvCache;

    @Option(names = "--no-prompt-metadata",
            description = "Leave the prompt and negative prompt out of the PNG metadata (the settings, the model and"
                    + " the AI-generated marker are always written).")
    boolean noPromptMetadata;

    @Option(names = "--vae-tiling", paramLabel = "MODE", defaultValue = "auto",
            description = "VAE in overlapping tiles: auto (images over 512×512), always or never. Bounds the VAE's"
                    + " memory at large sizes; tiled results are close to, not identical with, untiled ones."
                    + " Default: ${DEFAULT-VALUE}.")
    String vaeTiling;

    @Option(names = "--vae-tile-size", paramLabel = "PX", defaultValue = "0",
            description = "VAE tile side in pixels (multiple of 32, 128–4096); 0 chooses by the model's VAE form."
                    + " Default: ${DEFAULT-VALUE}.")
    int vaeTileSize;

    @Option(names = "--cpu-arena", paramLabel = "MODE", defaultValue = "auto",
            description = "ONNX Runtime's CPU memory arena: auto (off for models with over 2 GiB of transformer"
                    + " weights), on (faster repeated runs, holds peak memory) or off. Default: ${DEFAULT-VALUE}.")
    String cpuArena;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a bar on a terminal, nothing otherwise), bar, lines or none. Default: ${DEFAULT-VALUE}.")
    String progress;

    @Option(names = "--verbose", description = "Print stack traces on errors, and debug logging.")
    boolean verbose;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar.Mode progressMode = progressMode();
        Path outFile = checkOut();
        RuntimeOptions runtime = runtimeOptions();
        List<RgbImage> inputs = readImages();
        checkTags(inputs.size());
        boolean demo = model == null;
        GenerationRequest request = request(inputs, demo);

        Path modelDir = null;
        if (demo) {
            stdout.println("No --model given: using the demo model. Its weights are random, so the picture is"
                    + " noise-like; it shows the pipeline working, not what OmniGen draws.");
            stdout.println("For real images export OmniGen-v1 (omnigen export --checkpoint OmniGen-v1 --out"
                    + " omnigen-v1-onnx) and pass --model omnigen-v1-onnx; see README.md, 'Using the real"
                    + " OmniGen-v1'.");
            stdout.flush();
            try {
                modelDir = DemoModel.ensure(line -> {
                    stdout.println(line);
                    stdout.flush();
                });
            } catch (IOException e) {
                throw CliException.runtime("cannot create the demo model in " + DemoModel.cacheRoot() + ": "
                        + e.getMessage() + "; set " + DemoModel.CACHE_ENV + " to a writable folder", e);
            }
        }
        // ModelFolderException: exit 2, message says how to fix. The manifest gives the model's limits, checked
        // here so that a size or prompt the model cannot take fails now rather than after loading the graphs.
        // Sizes only: OmniGen.load hashes the files right after, with the runtime's integrity setting.
        ModelFolder folder = ModelFolder.open(demo ? modelDir : model, IntegrityCheck.SIZES);
        modelDir = folder.path();
        checkModelLimits(folder, request, inputs);

        try (OmniGen omnigen = OmniGen.load(modelDir, runtime)) {
            String checksum = omnigen.folder().manifestChecksum();
            stdout.printf(Locale.ROOT, "Generating %s, %d steps, seed %d, guidance %s%s on %s%n",
                    request.useInputImageSizeAsOutput() ? "at the input image's size"
                            : request.width() + "x" + request.height(),
                    request.steps(), request.seed(), fmt(request.guidanceScale()),
                    request.usesImageGuidance() ? ", image guidance " + fmt(request.imageGuidanceScale()) : "",
                    omnigen.provider());
            stdout.flush();
            ProgressBar bar = new ProgressBar(stdout, progressMode);
            GenerationResult result = generate(omnigen, request, bar);
            RgbImage image = result.image();
            Map<String, String> metadata = metadata(request, image, demo ? DemoModel.FOLDER + " (random weights)"
                    : modelDir.getFileName().toString(), checksum, !noPromptMetadata);
            write(outFile, new DesktopImageCodec().encodePng(image, metadata));
            stdout.printf(Locale.ROOT, "Wrote %s (%dx%d, seed %d) in %.1f s%n", outFile, image.width(),
                    image.height(), result.seed(), result.timings().total().toMillis() / 1000.0);
            stdout.flush();
        }
        return 0;
    }

    private GenerationResult generate(OmniGen omnigen, GenerationRequest request, ProgressBar bar)
            throws OmniGenException, CliException {
        CancellationToken cancel = new CancellationToken();
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C: stop the run in flight and let it release its native memory before the JVM exits.
        Thread hook = new Thread(() -> {
            cancel.cancel();
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "omnigen-cancel");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return omnigen.generate(request, bar, cancel);
        } catch (InvalidRequestException | InputImageException e) {
            // Limits that depend on the model: size over its position table, prompt over its length budget, an
            // input image it cannot use.
            throw CliException.usage(cliWording(e.getMessage()), e);
        } finally {
            bar.finish();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
        }
    }

    private ProgressBar.Mode progressMode() throws CliException {
        return switch (progress.toLowerCase(Locale.ROOT)) {
            case "auto" -> System.console() != null ? ProgressBar.Mode.BAR : ProgressBar.Mode.NONE;
            case "bar" -> ProgressBar.Mode.BAR;
            case "lines" -> ProgressBar.Mode.LINES;
            case "none" -> ProgressBar.Mode.NONE;
            default -> throw CliException.usage("--progress must be auto, bar, lines or none, got '" + progress + "'");
        };
    }

    /**
     * Checks that {@code --out} can be written, before anything slow runs: a PNG name, not a folder, not a read-only
     * file, and a folder that exists (or can be created) in which a file can be created. The image itself is still
     * written to a temporary file and moved into place at the end.
     */
    private Path checkOut() throws CliException {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw CliException.usage("--out must name a .png file (the image is written as PNG), got '" + out + "'");
        }
        Path abs = out.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw CliException.usage("cannot write --out " + out + ": it is a folder; give a file name such as "
                    + out.resolve("image.png"));
        }
        if (Files.exists(abs)) {
            if (!Files.isRegularFile(abs)) {
                throw CliException.usage("cannot write --out " + out + ": it exists and is not a regular file;"
                        + " choose another file name");
            }
            if (readOnly(abs)) {
                throw CliException.usage("cannot write --out " + out + ": the file exists and is read-only; choose"
                        + " another --out, or make the file writable to replace it");
            }
        }
        Path existing = abs.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            throw CliException.usage("cannot write --out " + out + ": " + existing + " is a file, not a folder;"
                    + " choose an --out in a folder");
        }
        // Permission bits are not the whole story (read-only mounts, ACLs, full disks): create and delete a file.
        try {
            Files.delete(Files.createTempFile(existing, ".omnigen-write-check-", ".tmp"));
        } catch (IOException | SecurityException e) {
            String where = existing.equals(abs.getParent()) ? "the folder " + existing + " is not writable"
                    : "its folder cannot be created: " + existing + " is not writable";
            throw CliException.usage("cannot write --out " + out + ": " + where + " (" + ioReason(e)
                    + "); choose a writable folder for --out", e);
        }
        return out;
    }

    /** Read-only for the user (isWritable) or by its mode: root may write a 0444 file, but its owner meant no. */
    private static boolean readOnly(Path file) {
        if (!Files.isWritable(file)) {
            return true;
        }
        try {
            return !Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_WRITE);
        } catch (UnsupportedOperationException | IOException e) {
            return false; // not a POSIX file system: isWritable has the answer
        }
    }

    private static String ioReason(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getReason() != null ? f.getReason() : "no file can be created there";
        }
        return e.getMessage() == null ? "no file can be created there" : e.getMessage();
    }

    /**
     * The model-dependent limits, from the manifest and the tokenizer only (no graph is loaded): the output size
     * (position table, sequence), each input image after scaling, and the prompt rows' token budget, as generation
     * checks them.
     */
    private void checkModelLimits(ModelFolder folder, GenerationRequest request, List<RgbImage> inputs)
            throws CliException, ModelFolderException {
        ModelLimits limits = ModelLimits.of(folder.manifest());
        InputImagePreprocessor pre = new InputImagePreprocessor(request.maxInputImageSize());
        int unit = limits.patchPixels();
        int[] counts = new int[inputs.size()];
        ImageSize first = null;
        for (int i = 0; i < inputs.size(); i++) {
            String label = "--image " + images.get(i);
            ImageSize s;
            try {
                s = pre.preprocessedSize(inputs.get(i).size(), label);
            } catch (InputImageException e) {
                throw CliException.usage(cliWording(e.getMessage()), e);
            }
            if (s.width() > limits.maxSidePixels() || s.height() > limits.maxSidePixels()) {
                throw CliException.usage(label + " is " + s + " px after scaling to --max-input-size "
                        + request.maxInputImageSize() + "; the model accepts at most " + limits.maxSidePixels()
                        + " px per side; lower --max-input-size to at most " + limits.maxSidePixels());
            }
            counts[i] = (s.width() / unit) * (s.height() / unit);
            first = first == null ? s : first;
        }
        int width = request.width();
        int height = request.height();
        if (request.useInputImageSizeAsOutput() && first != null) {
            width = first.width();
            height = first.height();
        }
        String problem = limits.outputSizeProblem(width, height);
        if (problem != null) {
            throw CliException.usage(request.useInputImageSizeAsOutput()
                    ? "--input-size-as-output: " + problem + "; the output takes the input image's size after"
                            + " scaling: lower --max-input-size, or give --size instead"
                    : "--size: " + problem + "; choose a smaller --size");
        }
        checkTokenBudget(folder, request, counts, (int) limits.promptBudget(width, height));
    }

    /** The prompt rows against the token budget, tokenized as generation does; skipped if the tokenizer won't load. */
    private void checkTokenBudget(ModelFolder folder, GenerationRequest request, int[] counts, int budget)
            throws CliException {
        PromptTokenizer tokenizer;
        try {
            tokenizer = PromptTokenizer.open(folder.tokenizerFile());
        } catch (IOException | RuntimeException e) {
            return; // loading the model reports it, with the same message as every other program
        }
        String hint = " (the budget depends on the output size: a smaller --size leaves more)";
        try (tokenizer) {
            PromptEncoder encoder = new PromptEncoder(tokenizer, budget);
            try {
                encoder.encode(prompt, counts);
            } catch (PromptException e) {
                throw CliException.usage("--prompt: " + cliWording(e.getMessage())
                        + (counts.length > 0 ? ", lower --max-input-size" : "") + hint, e);
            }
            try {
                encoder.encodeNegative(request.negativePrompt());
            } catch (PromptException e) {
                throw CliException.usage("--negative-prompt: " + cliWording(e.getMessage())
                        .replace("the prompt needs", "the negative prompt needs")
                        .replace("shorten the prompt or use smaller input images", "give a shorter --negative-prompt")
                        + hint, e);
            }
            if (request.usesImageGuidance()) {
                try {
                    encoder.encodeImageGuidance(counts, request.negativePrompt());
                } catch (PromptException e) {
                    throw CliException.usage("--image: " + cliWording(e.getMessage()) + hint, e);
                }
            }
        }
    }

    private RuntimeOptions runtimeOptions() throws CliException {
        ExecutionProvider ep;
        try {
            ep = ExecutionProvider.parse(provider);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--provider: " + e.getMessage(), e);
        }
        if (threads < 0) {
            throw CliException.usage("--threads must be 0 (all cores) or more, got " + threads);
        }
        try {
            return RuntimeOptions.builder().provider(ep).fallbackToCpu(cpuFallback).intraOpThreads(threads)
                    .vaeTiling(choice("--vae-tiling", vaeTiling, VaeTiling.class))
                    .vaeTileSize(vaeTileSize)
                    .cpuArena(choice("--cpu-arena", cpuArena, RuntimeOptions.CpuArena.class))
                    .build();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(cliWording(e.getMessage()), e);
        }
    }

    /** An enum option given in any case; the message lists the choices. */
    private static <E extends Enum<E>> E choice(String option, String value, Class<E> type) throws CliException {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw CliException.usage(option + ": unknown value '" + value + "'; use one of "
                + java.util.Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(java.util.Locale.ROOT))
                .collect(java.util.stream.Collectors.joining(", ")));
    }

    private List<RgbImage> readImages() throws CliException {
        ImageCodec codec = new DesktopImageCodec();
        List<RgbImage> decoded = new ArrayList<>();
        for (Path p : images) {
            if (!Files.exists(p)) {
                throw CliException.usage("image file " + p + " not found; check the path given to --image");
            }
            if (!Files.isRegularFile(p)) {
                throw CliException.usage("--image " + p + " is not a file; give the path of a PNG or JPEG image");
            }
            try {
                decoded.add(codec.decode(p));
            } catch (ImageDecodeException e) {
                throw CliException.usage("cannot use --image " + p + " (image " + (decoded.size() + 1) + "): "
                        + e.detail(), e);
            } catch (IOException e) {
                throw CliException.usage("cannot read --image " + p + ": " + e.getMessage(), e);
            }
        }
        return decoded;
    }

    private void checkTags(int imageCount) throws CliException {
        try {
            ImageTagParser.parse(prompt, imageCount);
        } catch (PromptException e) {
            String hint = switch (e.kind()) {
                case TAG_WITHOUT_IMAGE -> "; give one --image FILE per tag, in tag order";
                case IMAGE_WITHOUT_TAG -> e.getMessage().contains("<img>") ? ""
                        : "; refer to every --image in the prompt as <img><|image_N|></img>, or drop the extra ones";
                case BAD_NUMBERING -> "; number the tags <|image_1|>, <|image_2|>, ... in the order of the --image"
                        + " options";
                default -> "";
            };
            throw CliException.usage("--prompt: " + e.getMessage() + hint, e);
        }
    }

    private GenerationRequest request(List<RgbImage> inputs, boolean demo) throws CliException {
        GenerationRequest.Builder b = GenerationRequest.builder().prompt(prompt, inputs);
        if (negativePrompt != null) {
            b.negativePrompt(negativePrompt);
        }
        if (inputSizeAsOutput) {
            if (size != null) {
                throw CliException.usage("give either --size or --input-size-as-output, not both");
            }
            if (inputs.size() != 1) {
                throw CliException.usage("--input-size-as-output needs exactly one --image, got " + inputs.size()
                        + "; give the output size with --size WxH instead");
            }
            b.useInputImageSizeAsOutput(true);
        } else if (size != null) {
            b.size(size.width(), size.height());
        } else if (demo) {
            b.size(DEMO_SIZE, DEMO_SIZE);
        }
        if (steps != null) {
            b.steps(steps);
        } else if (demo) {
            b.steps(DEMO_STEPS);
        }
        if (guidance != null) {
            b.guidanceScale(guidance);
        }
        if (imageGuidance != null) {
            b.imageGuidanceScale(imageGuidance);
        }
        if (maxInputSize != null) {
            b.maxInputImageSize(maxInputSize);
        } else if (demo) {
            b.maxInputImageSize(DEMO_MAX_INPUT_SIZE);
        }
        if (seed != null) {
            b.seed(seed);
        }
        try {
            b.noise(NoiseKind.fromId(noise));
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--noise: " + e.getMessage());
        }
        b.kvCache(onOff("--kv-cache", kvCache));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw CliException.usage(cliWording(e.getMessage()), e);
        }
    }

    private static boolean onOff(String option, String value) throws CliException {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw CliException.usage(option + ": expected on or off, got \"" + value + "\"");
        };
    }

    /** Setting names that open the SDK's messages ("steps must be …"), and the options that set them. */
    private static final String[][] LEADING_NAMES = {
            {"width ", "--size: width "}, {"height ", "--size: height "}, {"steps ", "--steps "},
            {"guidanceScale ", "--guidance "}, {"imageGuidanceScale ", "--image-guidance "},
            {"maxInputImageSize ", "--max-input-size "}, {"prompt 1 ", "--prompt "},
            {"negativePrompt ", "--negative-prompt "}};

    /** SDK wording (builder settings and calls) anywhere in a message, and its CLI equivalent; applied in order. */
    private static final String[][] API_WORDS = {
            {"Lower the max input image size (maxInputImageSize, now ", "Lower --max-input-size (now "},
            {"lower maxInputImageSize, or set a size and turn off useInputImageSizeAsOutput",
                    "lower --max-input-size, or give --size instead of --input-size-as-output"},
            {"with max input image size ", "with --max-input-size "},
            {"maxInputImageSize", "--max-input-size"}, {"useInputImageSizeAsOutput", "--input-size-as-output"},
            {"size(width, height)", "--size WxH"}, {"imageGuidanceScale", "--image-guidance"},
            {"guidanceScale", "--guidance"}, {"negativePrompt", "--negative-prompt"},
            {"vaeTileSize", "--vae-tile-size"}, {"prompt 1 image ", "input image "}};

    /**
     * The SDK's messages in the CLI's words: option names instead of builder settings ("guidanceScale must be …"
     * → "--guidance must be …"), so no error names a Java method or field the user never sees.
     */
    static String cliWording(String message) {
        String m = message == null ? "" : message;
        for (String[] lead : LEADING_NAMES) {
            if (m.startsWith(lead[0])) {
                m = lead[1] + m.substring(lead[0].length());
                break;
            }
        }
        for (String[] w : API_WORDS) {
            m = m.replace(w[0], w[1]);
        }
        return m;
    }

    /**
     * The PNG text chunks ({@link Provenance#pngText}): everything needed to reproduce the image with the same model
     * and the AI-generated marker; the prompts unless {@code --no-prompt-metadata}.
     */
    static Map<String, String> metadata(GenerationRequest r, RgbImage image, String modelName, String checksum,
                                        boolean includePrompts) {
        Map<String, String> m = Provenance.pngText(r, image, r.seed(), modelName, checksum,
                "OmniGen4J " + Versions.sdk() + " (omnigen CLI)", includePrompts);
        m.put("omnigen4j_version", Versions.sdk());
        return m;
    }

    private static String fmt(float f) {
        return Float.toString(f);
    }

    private static void write(Path file, byte[] png) throws CliException {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            // Written beside the target and renamed, so a failed write never leaves a truncated PNG.
            Path tmp = abs.resolveSibling("." + abs.getFileName() + "."
                    + Long.toHexString(System.nanoTime()) + ".partial");
            try {
                Files.write(tmp, png, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw CliException.runtime("cannot write " + file + ": " + e.getMessage()
                    + "; choose a writable --out location", e);
        }
    }

    /** An output size as given on the command line (validated by the request builder). */
    record Size(int width, int height) {
    }

    /** A seed converted as PyTorch's {@code manual_seed} converts it: unsigned 64-bit, or negative two's complement. */
    static final class SeedConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return TorchCpuGenerator.parseSeed(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** "1024x768", "1024X768", "1024×768" or "512" (square). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Size> {
        private static final Pattern SIZE = Pattern.compile("\\s*(\\d{1,6})\\s*(?:[xX\u00D7*]\\s*(\\d{1,6}))?\\s*");

        @Override
        public Size convert(String value) {
            Matcher m = SIZE.matcher(value);
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size; write WIDTHxHEIGHT,"
                        + " e.g. 1024x1024, or one number for a square");
            }
            int w = Integer.parseInt(m.group(1));
            int h = m.group(2) == null ? w : Integer.parseInt(m.group(2));
            return new Size(w, h);
        }
    }
}
