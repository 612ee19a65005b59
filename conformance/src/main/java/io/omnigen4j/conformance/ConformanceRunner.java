package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.TensorInfo;
import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.image.ImageCodec;
import io.omnigen4j.sdk.image.RgbImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.prompt.PromptTokenizer;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.sampling.RecordedNoiseSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Judges a folder of reference fixtures against the SDK, stage by stage.
 *
 * <p>For each model folder the selected cases name, the checkpoint under {@code models/} is exported to a temporary
 * folder with the project's exporter and loaded once. Each case under {@code cases/} then runs twice through the
 * public API ({@link OmniGen#generate}) with the arguments of its case.json, its input image files decoded with
 * {@link DesktopImageCodec}, and the recorded noise ({@link RecordedNoiseSource}):
 * <ol>
 *   <li>teacher-forced: a {@link StageObserver} compares tokenizer-independent processor outputs, preprocessing,
 *       VAE encoding, σ, and every step's raw branch outputs, velocity and latents, feeding the recorded
 *       {@code step.<i>.z_in} into each step so per-step errors do not compound;</li>
 *   <li>free-running: final latents, decoder input/output, the [0, 1] image, the 8-bit image and the expected PNGs.</li>
 * </ol>
 * Tokenizer calls are compared directly on the exported tokenizer. Every recorded tensor must be claimed by a
 * comparison; one that is not is a FAIL ("unsupported stage"), except the LLM's internal sequences, which are listed
 * as NOT-CHECKED. Nothing the fixtures contain makes the runner throw: problems become FAIL rows.
 */
public final class ConformanceRunner {

    private final RunOptions options;
    private final PrecisionTolerances bounds;
    private final ImageCodec codec = new DesktopImageCodec();

    private ConformanceRunner(RunOptions options) {
        this.options = options;
        this.bounds = options.tolerances();
    }

    /**
     * Runs the selected cases.
     *
     * @throws IllegalArgumentException if {@code fixtures} has no {@code cases/} folder or no case to run
     */
    public static Report run(RunOptions options) {
        return new ConformanceRunner(options).runAll();
    }

    private Report runAll() {
        Path fixtures = options.fixtures().toAbsolutePath().normalize();
        Path casesDir = fixtures.resolve("cases");
        if (!Files.isDirectory(casesDir)) {
            throw new IllegalArgumentException("no cases/ folder in " + fixtures
                    + " (expected DIR/models/<model>/ and DIR/cases/<case>/case.json)");
        }
        List<String> names = new ArrayList<>(new LinkedHashSet<>(options.cases()));
        if (names.isEmpty()) {
            try (Stream<Path> s = Files.list(casesDir)) {
                names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot list " + casesDir + ": " + e.getMessage(), e);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no case folders in " + casesDir);
        }

        List<CaseResult> results = new ArrayList<>();
        Map<String, List<CaseSpec>> byModel = new TreeMap<>();
        for (String name : names) {
            Path dir = casesDir.resolve(name);
            if (name.contains("/") || name.contains("\\") || !Files.isDirectory(dir)) {
                results.add(failed(name, null, "case", "case folder not found: " + dir));
                continue;
            }
            try {
                CaseSpec spec = CaseSpec.read(dir);
                byModel.computeIfAbsent(spec.model(), k -> new ArrayList<>()).add(spec);
            } catch (CaseFormatException e) {
                results.add(failed(name, modelName(dir), "case.json", e.getMessage()));
            }
        }

        Path work = null;
        try {
            work = Files.createTempDirectory("omnigen4j-conformance-");
            for (Map.Entry<String, List<CaseSpec>> e : byModel.entrySet()) {
                runModel(fixtures, work, e.getKey(), e.getValue(), results);
            }
        } catch (IOException e) {
            for (List<CaseSpec> specs : byModel.values()) {
                for (CaseSpec s : specs) {
                    results.add(failed(s.name(), s.model(), "model", "cannot create a temporary folder: "
                            + e.getMessage()));
                }
            }
        } finally {
            deleteTree(work);
        }
        results.sort(Comparator.comparing(CaseResult::name));
        return new Report(fixtures, options.threads(), options.precision(), results);
    }

    private void runModel(Path fixtures, Path work, String model, List<CaseSpec> specs, List<CaseResult> out) {
        Path checkpoint = fixtures.resolve("models").resolve(model).normalize();
        String why = null;
        if (!checkpoint.startsWith(fixtures.resolve("models")) || !Files.isDirectory(checkpoint)) {
            why = "model folder not found: " + checkpoint;
        }
        Path exported = work.resolve("model-" + out.size() + "-" + model.replaceAll("[^A-Za-z0-9._-]", "_"));
        OmniGen omnigen = null;
        PromptTokenizer tokenizer = null;
        try {
            if (why == null) {
                long t0 = System.nanoTime();
                options.progress().accept("exporting models/" + model + " (" + options.precision().id() + ") …");
                try {
                    OmniGenExporter.export(ExportOptions.builder(checkpoint, exported)
                            .precision(options.precision()).build());
                    RuntimeOptions ro = RuntimeOptions.builder().intraOpThreads(options.threads())
                            .provider(options.provider()).build();
                    omnigen = OmniGen.load(exported, ro);
                    tokenizer = PromptTokenizer.open(omnigen.folder().tokenizerFile());
                    options.progress().accept(String.format(Locale.ROOT, "exported and loaded %s in %.1f s", model,
                            (System.nanoTime() - t0) / 1e9));
                } catch (Exception | LinkageError e) {
                    why = "cannot export (" + options.precision().id() + ") or load models/" + model
                            + " with the project's exporter: " + message(e);
                }
            }
            for (CaseSpec spec : specs) {
                if (why != null) {
                    out.add(failed(spec.name(), model, "model", why));
                    continue;
                }
                options.progress().accept("case " + spec.name() + " …");
                out.add(runCase(spec, omnigen, tokenizer));
            }
        } finally {
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (omnigen != null) {
                omnigen.close();
            }
            deleteTree(exported);
        }
    }

    private CaseResult runCase(CaseSpec spec, OmniGen omnigen, PromptTokenizer tokenizer) {
        long t0 = System.nanoTime();
        Path tensors = spec.dir().resolve("tensors.safetensors");
        StageTable table;
        try (SafetensorsFile t = SafetensorsFile.open(tensors)) {
            table = new StageTable(t, options::selects);
            try {
                judge(spec, t, table, omnigen, tokenizer);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                table.addAlways(StageResult.fail("runner", "unexpected error: " + message(e)));
            }
        } catch (IOException e) {
            table = new StageTable(null, options::selects);
            table.addAlways(StageResult.fail("tensors.safetensors", "cannot read the recorded tensors: "
                    + e.getMessage()));
        }
        return new CaseResult(spec.name(), spec.model(), table.rows(), (System.nanoTime() - t0) / 1_000_000);
    }

    private void judge(CaseSpec spec, SafetensorsFile t, StageTable table, OmniGen omnigen,
                       PromptTokenizer tokenizer) throws IOException {
        checkTensorIndex(spec, t, table);
        for (String k : spec.unknownKeys()) {
            table.add(StageResult.notChecked("case.json." + k, "top-level key not interpreted by the runner"));
        }
        compareTokenizer(spec, tokenizer, table);

        // Input images, decoded from the case's files as a user of the SDK would.
        List<List<RgbImage>> decoded = new ArrayList<>();
        int n = 0;
        boolean imagesOk = true;
        for (List<Path> files : spec.images()) {
            List<RgbImage> list = new ArrayList<>();
            for (Path f : files) {
                String stage = "preprocess." + n++ + ".decoded_rgb";
                RgbImage img = decode(f, stage, table);
                if (img == null) {
                    imagesOk = false;
                } else {
                    list.add(img);
                }
            }
            decoded.add(list);
        }
        if (!imagesOk) {
            return;
        }
        if (!t.contains("latents.z0")) {
            table.addAlways(StageResult.fail("latents.z0", "not recorded: the runner replays the recorded initial"
                    + " noise and cannot run the case without it"));
            return;
        }
        RecordedNoiseSource noise = noise(t);
        ModelManifest.Constants og = omnigen.manifest().omnigen();

        boolean forcedNeeded = needsTeacherForcedRun(spec, t);
        boolean freeNeeded = needsFreeRun(spec, t);
        boolean runFailed = false;

        if (forcedNeeded) {
            TeacherForcedObserver obs = new TeacherForcedObserver(table, spec, og.latentChannels(), og.vaeDownscale(),
                    bounds);
            GenerationResult r = generate(spec, decoded, noise, obs, omnigen, table, "run.teacher_forced");
            if (r == null) {
                runFailed = true;
            } else {
                compareBranches(spec, obs.branchOrder(), table);
            }
        }
        if (freeNeeded) {
            FreeRunObserver obs = new FreeRunObserver(table, bounds);
            GenerationResult r = generate(spec, decoded, noise, obs, omnigen, table, "run.free");
            if (r == null) {
                runFailed = true;
            } else {
                compareOutputs(spec, r, table);
            }
        }
        reportUnclaimed(t, table, runFailed);
    }

    // ------------------------------------------------------------------ runs

    private GenerationResult generate(CaseSpec spec, List<List<RgbImage>> decoded, RecordedNoiseSource noise,
                                      StageObserver observer, OmniGen omnigen, StageTable table, String stage) {
        GenerationRequest request;
        try {
            request = spec.requestBuilder(decoded).noiseSource(noise).observer(observer).build();
        } catch (RuntimeException e) {
            table.addAlways(StageResult.fail(stage, "the SDK refuses the case's arguments: " + message(e)));
            return null;
        }
        try {
            return omnigen.generate(request);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            table.addAlways(StageResult.fail(stage, "the SDK failed: " + message(e)));
            return null;
        }
    }

    /** Observer of the free-running run: only the decoder stages (the rest is judged teacher-forced). */
    private static final class FreeRunObserver implements StageObserver {
        private final StageTable table;
        private final PrecisionTolerances bounds;

        FreeRunObserver(StageTable table, PrecisionTolerances bounds) {
            this.table = table;
            this.bounds = bounds;
        }

        @Override
        public void decoded(float[] decoderInput, long[] latentShape, float[] decoderOutput, float[] image01,
                            long[] imageShape) {
            try {
                int[] ls = toInt(latentShape);
                int[] is = toInt(imageShape);
                table.floats("vae_decode.input", decoderInput, ls, bounds.decoderInput());
                table.floats("vae_decode.output", decoderOutput, is, bounds.decoderOutput());
                table.floats("image.float01", image01, is, bounds.image01());
            } catch (RuntimeException e) {
                table.fail("vae_decode", "comparison error: " + e);
            }
        }
    }

    private boolean needsFreeRun(CaseSpec spec, SafetensorsFile t) {
        for (String n : t.names()) {
            if (StageNames.freeRun(n) && options.selects(n)) {
                return true;
            }
        }
        if (options.selects("output_size")) {
            return true;
        }
        JsonNode outs = spec.json().get("outputs");
        for (int k = 0; outs != null && k < outs.size(); k++) {
            if (options.selects("image.png." + k)) {
                return true;
            }
        }
        return false;
    }

    private boolean needsTeacherForcedRun(CaseSpec spec, SafetensorsFile t) {
        for (String n : t.names()) {
            if (!StageNames.freeRun(n) && !StageNames.llm(n) && !n.endsWith(".decoded_rgb") && options.selects(n)) {
                return true;
            }
        }
        List<String> synthetic = new ArrayList<>(List.of("branches", "rope", "processor.image_spans"));
        for (int g = 0; g < CaseSpec.BRANCH_NAMES.size(); g++) {
            synthetic.add("rope.branch." + g);
            synthetic.add("processor.branch." + g + ".image_spans");
        }
        return synthetic.stream().anyMatch(options::selects);
    }

    // ------------------------------------------------------------------ stage checks outside the runs

    /** case.json's tensor index against the file's header (names, shapes, dtypes). */
    private static void checkTensorIndex(CaseSpec spec, SafetensorsFile t, StageTable table) {
        String stage = "case.json.tensors";
        JsonNode index = spec.json().get("tensors");
        if (index == null || index.isNull() || !table.selected(stage)) {
            return;
        }
        if (!index.isObject()) {
            table.fail(stage, "case.json tensors must be an object name → {shape, dtype}");
            return;
        }
        List<String> problems = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = index.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (!t.contains(name)) {
                problems.add(name + " listed but not in tensors.safetensors");
                continue;
            }
            TensorInfo info = t.tensors().get(name);
            JsonNode shape = e.getValue().path("shape");
            long[] want = new long[shape.size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = shape.get(i).asLong();
            }
            if (!shape.isArray() || !Arrays.equals(want, info.shape())) {
                problems.add(name + " shape " + shape + " in case.json, " + Arrays.toString(info.shape())
                        + " in the file");
            }
            String dtype = e.getValue().path("dtype").asText("");
            if (!dtype.isEmpty() && !dtypeMatches(dtype, info)) {
                problems.add(name + " dtype " + dtype + " in case.json, " + info.dtype() + " in the file");
            }
        }
        for (String name : t.names()) {
            if (!index.has(name)) {
                problems.add(name + " in the file but not listed");
            }
        }
        if (problems.isEmpty()) {
            table.add(new StageResult(stage, null, "exact", Status.PASS, t.names().size() + " tensors"));
        } else {
            table.add(new StageResult(stage, null, "exact", Status.FAIL, problems.size() + " mismatch(es): "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; …" : "")));
        }
    }

    private static boolean dtypeMatches(String dtype, TensorInfo info) {
        String d = dtype.toLowerCase(Locale.ROOT).replace("torch.", "");
        return switch (info.dtype()) {
            case F32 -> d.equals("float32") || d.equals("f32");
            case F16 -> d.equals("float16") || d.equals("f16");
            case BF16 -> d.equals("bfloat16") || d.equals("bf16");
            case I64 -> d.equals("int64") || d.equals("i64");
            case I32 -> d.equals("int32") || d.equals("i32");
            case U8 -> d.equals("uint8") || d.equals("u8");
        };
    }

    /** Each recorded tokenizer call: the SDK's tokenizer on the same text must give the same ids. */
    private static void compareTokenizer(CaseSpec spec, PromptTokenizer tokenizer, StageTable table) {
        JsonNode calls = spec.json().get("tokenizer_calls");
        if (calls == null || calls.isNull()) {
            return;
        }
        if (!calls.isArray()) {
            table.fail("tokenizer_calls", "case.json tokenizer_calls must be a list of {text, ids, tokens}");
            return;
        }
        for (int k = 0; k < calls.size(); k++) {
            String stage = "tokenizer.call." + k;
            if (!table.selected(stage)) {
                continue;
            }
            JsonNode c = calls.get(k);
            JsonNode text = c.get("text");
            JsonNode ids = c.get("ids");
            if (text == null || !text.isTextual() || ids == null || !ids.isArray()) {
                table.fail(stage, "tokenizer call needs \"text\" and \"ids\"");
                continue;
            }
            long[] want = new long[ids.size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = ids.get(i).asLong();
            }
            long[] got;
            try {
                got = tokenizer.encode(text.asText());
            } catch (RuntimeException e) {
                table.fail(stage, "tokenizer failed: " + message(e));
                continue;
            }
            if (Arrays.equals(got, want)) {
                table.add(new StageResult(stage, 0.0, "exact", Status.PASS, want.length + " ids"));
                continue;
            }
            int i = 0;
            while (i < Math.min(got.length, want.length) && got[i] == want[i]) {
                i++;
            }
            JsonNode tokens = c.get("tokens");
            String tok = tokens != null && tokens.isArray() && i < tokens.size() ? " (" + tokens.get(i) + ")" : "";
            table.add(new StageResult(stage, null, "exact", Status.FAIL, "SDK " + got.length + " ids, reference "
                    + want.length + "; first difference at " + i + ": SDK "
                    + (i < got.length ? String.valueOf(got[i]) : "end") + ", reference "
                    + (i < want.length ? want[i] + tok : "end") + "; text " + abbreviate(text.asText())));
        }
    }

    /** Decodes one input file and compares it with {@code preprocess.<n>.decoded_rgb}; null if it cannot be read. */
    private RgbImage decode(Path file, String stage, StageTable table) {
        if (!Files.isRegularFile(file)) {
            table.addAlways(StageResult.fail(stage, "input image file missing: " + file.getFileName()));
            return null;
        }
        RgbImage img;
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int got = in.readNBytes(head, 0, 4);
            if (got < 4) {
                head = new byte[4];
            }
            img = codec.decode(file);
        } catch (IOException | RuntimeException e) {
            table.addAlways(StageResult.fail(stage, "cannot decode " + file.getFileName() + ": " + message(e)));
            return null;
        }
        boolean png = (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
        boolean jpeg = (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8;
        int levels = jpeg ? Tolerances.DECODED_JPEG_LEVELS : Tolerances.DECODED_PNG_LEVELS;
        String format = png ? "PNG" : jpeg ? "JPEG" : "other format";
        table.levels(stage, img.toByteArray(), new int[] {img.height(), img.width(), 3}, levels,
                format + " " + file.getFileName());
        return img;
    }

    private static RecordedNoiseSource noise(SafetensorsFile t) throws IOException {
        float[] z0 = t.floats("latents.z0");
        int[] z0Shape = t.info("latents.z0").intShape();
        List<float[]> eps = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        for (int n = 0; t.contains("vae_encode." + n + ".eps"); n++) {
            eps.add(t.floats("vae_encode." + n + ".eps"));
            shapes.add(t.info("vae_encode." + n + ".eps").intShape());
        }
        return new RecordedNoiseSource(z0, z0Shape, eps, shapes);
    }

    /** branch_order / n_branch of case.json against the branches the SDK ran, in order. */
    private static void compareBranches(CaseSpec spec, List<Integer> ran, StageTable table) {
        String stage = "branches";
        JsonNode order = spec.json().get("branch_order");
        JsonNode count = spec.json().get("n_branch");
        if ((order == null || order.isNull()) && (count == null || count.isNull())) {
            return;
        }
        List<String> sdk = ran.stream().map(CaseSpec.BRANCH_NAMES::get).toList();
        List<String> problems = new ArrayList<>();
        if (order != null && !order.isNull()) {
            List<String> want = new ArrayList<>();
            order.forEach(n -> want.add(n.asText()));
            for (String w : want) {
                if (!CaseSpec.BRANCH_NAMES.contains(w)) {
                    problems.add("unknown branch \"" + w + "\" (known: " + CaseSpec.BRANCH_NAMES + ")");
                }
            }
            if (!want.equals(sdk)) {
                problems.add("reference branch_order " + want);
            }
        }
        if (count != null && !count.isNull() && count.asInt(-1) != sdk.size()) {
            problems.add("reference n_branch " + count);
        }
        table.add(new StageResult(stage, null, "exact", problems.isEmpty() ? Status.PASS : Status.FAIL,
                "SDK " + sdk + (problems.isEmpty() ? "" : "; " + String.join("; ", problems))));
    }

    /** Final latents and 8-bit images of the free-running run, the expected PNGs, the output size. */
    private void compareOutputs(CaseSpec spec, GenerationResult r, StageTable table) {
        if (r.finalLatents() != null) {
            table.floats("latents.final", r.finalLatents(), toInt(r.latentShape()), bounds.finalLatents());
        }
        List<RgbImage> images = r.images();
        RgbImage first = images.get(0);
        int h = first.height();
        int w = first.width();
        byte[] all = new byte[images.size() * h * w * 3];
        for (int i = 0; i < images.size(); i++) {
            byte[] b = images.get(i).toByteArray();
            System.arraycopy(b, 0, all, i * b.length, b.length);
        }
        table.uint8Image("image.uint8", all, new int[] {images.size(), h, w, 3}, bounds.uint8());

        JsonNode size = spec.json().get("output_size");
        if (size != null && !size.isNull() && table.selected("output_size")) {
            boolean ok = size.isArray() && size.size() == 2 && size.get(0).asInt() == h && size.get(1).asInt() == w;
            table.add(new StageResult("output_size", null, "exact", ok ? Status.PASS : Status.FAIL,
                    "SDK " + h + "×" + w + (ok ? "" : ", reference " + size)));
        }

        JsonNode outputs = spec.json().get("outputs");
        if (outputs == null || outputs.isNull()) {
            return;
        }
        for (int k = 0; k < outputs.size(); k++) {
            String stage = "image.png." + k;
            if (!table.selected(stage)) {
                continue;
            }
            String fileName = outputs.get(k).asText("");
            Path file = spec.dir().resolve(fileName).normalize();
            if (fileName.isEmpty() || !file.startsWith(spec.dir()) || !Files.isRegularFile(file)) {
                table.fail(stage, "expected output image missing: " + outputs.get(k));
                continue;
            }
            if (k >= images.size()) {
                table.fail(stage, "the SDK produced " + images.size() + " image(s), case.json lists " + outputs.size());
                continue;
            }
            try {
                RgbImage want = codec.decode(file);
                RgbImage got = images.get(k);
                if (want.width() != got.width() || want.height() != got.height()) {
                    table.fail(stage, fileName + " is " + want.width() + "×" + want.height() + ", the SDK's image "
                            + got.width() + "×" + got.height());
                    continue;
                }
                StageResult s = bounds.uint8().judge(stage, got.toByteArray(), want.toByteArray());
                table.add(new StageResult(stage, s.maxAbsError(), s.tolerance(), s.status(),
                        fileName + ": " + s.note(), s.correlation()));
            } catch (IOException | RuntimeException e) {
                table.fail(stage, "cannot decode " + fileName + ": " + message(e));
            }
        }
    }

    /** Every recorded tensor must have been compared; those that were not are reported. */
    private static void reportUnclaimed(SafetensorsFile t, StageTable table, boolean runFailed) {
        List<String> skippedByFailure = new ArrayList<>();
        List<String> llm = new ArrayList<>();
        for (String name : t.names()) {
            if (table.claimed(name) || !table.selected(name)) {
                continue;
            }
            if (StageNames.llm(name)) {
                llm.add(name);
            } else if (!StageNames.known(name)) {
                table.fail(name, "unsupported stage: the runner has no comparison for this tensor");
            } else if (runFailed) {
                skippedByFailure.add(name);
            } else {
                table.fail(name, "recorded, but the SDK run produced no such stage (case.json arguments and the"
                        + " recording disagree)");
            }
        }
        if (!llm.isEmpty()) {
            // One row for all of them: the LLM's input and output sequences live inside the transformer graphs.
            table.addAlways(StageResult.notChecked("step.*.llm.*", llm.size() + " recorded LLM sequence(s) ("
                    + llm.get(0) + (llm.size() > 1 ? ", …" : "") + "): internal to the transformer, not observable"
                    + " through the SDK API; their effect is judged by step.*.raw.*"));
        }
        if (!skippedByFailure.isEmpty()) {
            table.addAlways(StageResult.fail("not-compared", skippedByFailure.size()
                    + " recorded stage(s) not compared because a run failed: "
                    + String.join(", ", skippedByFailure.subList(0, Math.min(6, skippedByFailure.size())))
                    + (skippedByFailure.size() > 6 ? ", …" : "")));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static CaseResult failed(String name, String model, String stage, String reason) {
        return new CaseResult(name, model, List.of(StageResult.fail(stage, reason)), 0);
    }

    /** The "model" of a case.json that failed to parse otherwise, for the report; null if unreadable. */
    private static String modelName(Path dir) {
        try {
            JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("case.json").toFile());
            return n != null && n.path("model").isTextual() ? n.get("model").asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static int[] toInt(long[] s) {
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.toIntExact(s[i]);
        }
        return out;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return "\"" + (one.length() > 60 ? one.substring(0, 57) + "…" : one) + "\"";
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort: a leftover temporary file does not change any verdict.
                }
            });
        } catch (IOException ignored) {
            // Same.
        }
    }
}
