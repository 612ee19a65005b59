package io.omnigen4j.sdk;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.sdk.batch.Collation;
import io.omnigen4j.sdk.batch.Collator;
import io.omnigen4j.sdk.batch.CosSin;
import io.omnigen4j.sdk.image.InputImagePreprocessor;
import io.omnigen4j.sdk.image.PreprocessedImage;
import io.omnigen4j.sdk.inspect.StageObserver;
import io.omnigen4j.sdk.model.ModelLimits;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.prompt.BranchInput;
import io.omnigen4j.sdk.prompt.ImageSpan;
import io.omnigen4j.sdk.prompt.ImageTagParser;
import io.omnigen4j.sdk.prompt.PromptEncoder;
import io.omnigen4j.sdk.prompt.PromptTemplate;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.ModelSessions;
import io.omnigen4j.sdk.runtime.StoreTensor;
import io.omnigen4j.sdk.runtime.TensorStore;
import io.omnigen4j.sdk.sampling.EulerStep;
import io.omnigen4j.sdk.sampling.FlowSchedule;
import io.omnigen4j.sdk.sampling.Guidance;
import io.omnigen4j.sdk.sampling.LatentCodec;
import io.omnigen4j.sdk.sampling.NoiseSource;
import io.omnigen4j.sdk.vae.Nchw;
import io.omnigen4j.sdk.vae.TiledVae;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One generate call, top to bottom: check the request against the model → preprocess → tokenize and collate →
 * VAE-encode input images → prefill the condition K/V once per forward group → denoise (step_embed, decoder and
 * step_head per group, guidance, Euler) → decode. Every request error that can be found without running a graph (tags, output size,
 * input-image size, prompt length) is raised before the first ONNX Runtime call.
 *
 * <p>Owns every native resource it creates (run options, tensors, run results) and closes them all, also on
 * failure and cancellation; {@link #liveResources()} counts the ones open across all generations (for tests).
 * Not reused between calls.
 */
final class Generation {

    /** Branch indices in the reference's order. */
    static final int COND = 0, UNCOND = 1, IMG_COND = 2;
    /** The graphs of a step: embed the new tokens, run the decoder over them and the condition K/V, predict. */
    static final String STEP_EMBED = "step_embed", DECODER = "transformer", STEP_HEAD = "step_head";
    private static final Set<String> HIDDEN_STATES = Set.of("hidden_states");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Generation.class);

    private final OmniGen model;
    private final GenerationRequest req;
    private final ProgressListener listener;
    private final StageObserver observer;
    private final CancellationToken cancel;
    private final OrtEnvironment env;
    private final ModelSessions sessions;
    private final CancellationToken closing;
    /** Native resources this generation created and has not closed yet (identity semantics: no equals override). */
    private final Set<AutoCloseable> owned = new LinkedHashSet<>();
    /** Condition K/V this generation uses from the model's cache; released when it ends. */
    private final List<ConditionCache.Lease> leases = new ArrayList<>();
    /** False for a warm-up: the model's condition cache is neither read nor filled. */
    private boolean useConditionCache = true;
    private OrtSession.RunOptions runOptions;
    /**
     * The per-call tensors' memory ({@link io.omnigen4j.sdk.runtime.TensorPlacement}); {@code device}: the device
     * path, where the prefill writes the condition K/V into the store and every step output stays in it.
     */
    private TensorStore store;
    private boolean device;
    private long start;
    /** Nanoseconds spent inside ONNX Runtime graph runs so far (the rest of the call is the SDK's own work). */
    private long graphNanos;
    /** False for the default no-op observer: the copies made only for an observer are skipped. */
    private final boolean observing;
    /** VAE-encoder moments per preprocessed image: an image used by several branches is encoded once. */
    private final Map<PreprocessedImage, float[]> moments = new IdentityHashMap<>();
    private final Map<PreprocessedImage, long[]> momentShapes = new IdentityHashMap<>();
    private final int layers;
    private final String[] pastKey, pastValue, presentKey, presentValue;
    /** The decoder outputs a prefill fetches: every layer's K and V. */
    private final Set<String> kvOutputs;
    private final int kvHeads, headDim;

    /** Native resources (run options, tensors, results) open right now, over all generations of this JVM. */
    private static final AtomicInteger LIVE = new AtomicInteger();
    /** ONNX Runtime graph runs started, over all generations of this JVM. */
    private static final AtomicLong RUNS = new AtomicLong();

    /**
     * @param closing the model's token, cancelled when the model is closed: it stops this generation like the
     *                caller's token but is reported as a closed model
     */
    Generation(OmniGen model, GenerationRequest req, ProgressListener listener, CancellationToken cancel,
               CancellationToken closing) {
        this.model = model;
        this.req = req;
        this.listener = listener == null ? ProgressListener.NONE : listener;
        this.cancel = cancel == null ? new CancellationToken() : cancel;
        this.closing = closing == null ? new CancellationToken() : closing;
        this.observer = req.observer() == null ? new StageObserver() { } : req.observer();
        this.observing = req.observer() != null;
        this.layers = model.manifest().transformer().layers();
        this.pastKey = names("past_key_", layers);
        this.pastValue = names("past_value_", layers);
        this.presentKey = names("present_key_", layers);
        this.presentValue = names("present_value_", layers);
        Set<String> kv = new LinkedHashSet<>(List.of(presentKey));
        kv.addAll(List.of(presentValue));
        this.kvOutputs = Collections.unmodifiableSet(kv);
        this.kvHeads = model.manifest().transformer().kvHeads();
        this.headDim = model.manifest().transformer().headDim();
        this.sessions = model.sessions();
        this.env = sessions.env();
    }

    /** Keeps this generation away from the model's condition cache (a warm-up leaves it as it was); returns this. */
    Generation withoutConditionCache() {
        useConditionCache = false;
        return this;
    }

    /** One model call's rows: a branch (separate CFG) or all branches (batched). */
    private static final class Group {
        final int[] branches;
        final List<List<PreprocessedImage>> rowImages = new ArrayList<>();
        final List<BranchInput> rows = new ArrayList<>();
        Collation collation;
        boolean longFactors;
        OrtSession.Result cache;
        OnnxTensor posIndex, cos, sin, maskStep0, maskSteps;
        /**
         * Step inputs and output that stay in place for the whole loop: ONNX Runtime reads the latents and
         * timestep straight from these direct buffers and writes the velocity into {@code velocity} (CPU: no
         * tensor creation or copy per step). {@code stepInputs} holds the decoder's inputs (the step's new-token
         * embeddings are added per step); with the KV cache, the past K/V entries are the prefill's own output
         * tensors, bound at the first step.
         */
        StoreTensor latents, timestep, velocity;
        OnnxTensor latentsTensor, timestepTensor, velocityTensor;
        /**
         * Device path only: step_embed's outputs [B, N+1, hidden] and [B, hidden], the decoder's step output
         * [B, N+1, hidden] (KV cache), the condition K/V per layer, and without the KV cache the whole sequence's
         * embeddings and hidden states [B, S, hidden] and the rows step_head reads [B, N+1, hidden]. All are written
         * in place by the graphs (pinned outputs) or by copies inside the store.
         */
        StoreTensor embedsOut, timeEmbOut, hiddenOut, fullEmbedsDev, fullHiddenDev, stepHiddenDev;
        final Map<String, OnnxTensor> stepInputs = new HashMap<>();
        /** step_embed's inputs: the latents and timestep buffers above and the output positions. */
        final Map<String, OnnxTensor> embedInputs = new HashMap<>();
        OrtSession.Result boundCache;
        /** The prefill's input tensors (KV cache on), released once the prefill has run. */
        final Map<String, OnnxTensor> prefillInputs = new HashMap<>();
        /**
         * KV cache off: the whole sequence's embeddings (condition rows written once, step rows per step), the
         * decoder's hidden states (CPU: written in place) and the time and output rows of them step_head reads.
         */
        FloatBuffer fullEmbeds, fullHidden, stepHidden;
        OnnxTensor fullHiddenTensor, stepHiddenTensor;

        /** Sizes of the collation, kept when it is dropped: batch rows, C, S = C + N + 1, N + 1. */
        int batch, conditionLength, sequenceLength, stepTokens;

        Group(int... branches) {
            this.branches = branches;
        }

        void collated(Collation c) {
            collation = c;
            batch = c.batch();
            conditionLength = c.conditionLength();
            sequenceLength = c.sequenceLength();
            stepTokens = c.stepTokens();
        }

        void dropCollation() {
            collation = null;
        }

        int[] branchesPerRow(int prompts) {
            int[] out = new int[branches.length * prompts];
            for (int k = 0; k < out.length; k++) {
                out[k] = branches[k / prompts];
            }
            return out;
        }
    }

    GenerationResult run() throws OmniGenException {
        start = System.nanoTime();
        checkCancelled();
        try {
            runOptions = track(new OrtSession.RunOptions());
            store = track(model.tensorStores().open(env));
            device = store.deviceResident();
            cancel.attach(runOptions);
            closing.attach(runOptions);
            return generate();
        } catch (OrtException e) {
            checkCancelled();
            throw new OmniGenException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            if (runOptions != null) {
                // Detach first: after detach no cancel() can touch the options, so closing them is safe.
                cancel.detach(runOptions);
                closing.detach(runOptions);
            }
            closeOwned();
        }
    }

    /** Native resources open now, over all generations (a test hook: 0 when no generation is running). */
    static int liveResources() {
        return LIVE.get();
    }

    /** ONNX Runtime graph runs started so far, over all generations (a test hook). */
    static long nativeRuns() {
        return RUNS.get();
    }

    private GenerationResult generate() throws OmniGenException, OrtException {
        ModelManifest m = model.manifest();
        int p = req.prompts().size();

        // 0. Cheap checks first: tags against images (no tokenizer needed) and the requested output size.
        for (GenerationRequest.Prompt prompt : req.prompts()) {
            ImageTagParser.parse(PromptTemplate.wrap(prompt.text()), prompt.images().size());
        }
        ImageTagParser.parse(PromptTemplate.wrap(req.negativePrompt()), 0);
        if (!req.useInputImageSizeAsOutput()) {
            checkOutputSize(req.width(), req.height(), m, "");
        }

        // 1. Input images, PIL-exact (the size limit is checked from the planned size, before any pixel work).
        long t = System.nanoTime();
        InputImagePreprocessor pre = new InputImagePreprocessor(req.maxInputImageSize());
        List<List<PreprocessedImage>> images = new ArrayList<>();
        int imageIndex = 0;
        for (int i = 0; i < p; i++) {
            List<PreprocessedImage> list = new ArrayList<>();
            int k = 1;
            for (var img : req.prompts().get(i).images()) {
                PreprocessedImage pi = pre.preprocess(img, "prompt " + (i + 1) + " image " + k++);
                observer.imagePreprocessed(imageIndex++, pi);
                list.add(pi);
            }
            images.add(list);
        }
        int width = req.width(), height = req.height();
        if (req.useInputImageSizeAsOutput()) {
            width = images.get(0).get(0).width();
            height = images.get(0).get(0).height();
            checkOutputSize(width, height, m, " (the output takes the preprocessed size of the input image: lower"
                    + " maxInputImageSize, or set a size and turn off useInputImageSizeAsOutput)");
        }
        Duration preprocess = since(t);

        // 2. Prompts → branch rows → forward groups.
        t = System.nanoTime();
        int lh = height / m.omnigen().vaeDownscale(), lw = width / m.omnigen().vaeDownscale();
        int n = (lh / m.omnigen().patchSize()) * (lw / m.omnigen().patchSize());
        PromptEncoder encoder = new PromptEncoder(model.tokenizer(),
                PromptEncoder.conditionBudget(m.transformer().maxPositionEmbeddings(), n));
        boolean imgGuidance = req.usesImageGuidance();
        int branches = imgGuidance ? 3 : 2;
        List<List<BranchInput>> branchRows = new ArrayList<>();
        for (int b = 0; b < branches; b++) {
            branchRows.add(new ArrayList<>());
        }
        for (int i = 0; i < p; i++) {
            int[] counts = images.get(i).stream().mapToInt(PreprocessedImage::tokenCount).toArray();
            branchRows.get(COND).add(encoder.encode(req.prompts().get(i).text(), counts));
            branchRows.get(UNCOND).add(encoder.encodeNegative(req.negativePrompt()));
            if (imgGuidance) {
                branchRows.get(IMG_COND).add(encoder.encodeImageGuidance(counts, req.negativePrompt()));
            }
        }
        List<Group> groups = new ArrayList<>();
        if (req.cfgMode() == GenerationRequest.CfgMode.SEPARATE) {
            for (int b = 0; b < branches; b++) {
                groups.add(new Group(b));
            }
        } else {
            groups.add(new Group(imgGuidance ? new int[] {0, 1, 2} : new int[] {0, 1}));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            for (int b : g.branches) {
                for (int i = 0; i < p; i++) {
                    g.rows.add(branchRows.get(b).get(i));
                    g.rowImages.add(b == UNCOND ? List.of() : images.get(i));
                }
            }
            g.collated(Collator.collate(g.rows, n));
            g.longFactors = model.rotary().useLongFactors(g.collation.sequenceLength());
            observer.collated(gi, g.branchesPerRow(p), g.collation, g.longFactors);
        }
        Duration tokenize = since(t);

        NoiseSource noise = req.effectiveNoiseSource();
        int hidden = m.transformer().hiddenSize();

        // 3. Input images → latents → tokens, in the reference's encode order (group, row, span).
        t = System.nanoTime();
        int encodeIndex = 0;
        List<Map<Integer, float[]>> imageTokens = new ArrayList<>();
        for (Group g : groups) {
            Map<Integer, float[]> perSpan = new HashMap<>();
            int spanId = 0;
            for (int row = 0; row < g.rows.size(); row++) {
                for (ImageSpan span : g.collation.spans().get(row)) {
                    checkCancelled();
                    PreprocessedImage img = g.rowImages.get(row).get(span.imageIndex());
                    perSpan.put(spanId++, embedImage(img, noise, encodeIndex++));
                }
            }
            imageTokens.add(perSpan);
        }
        Duration vaeEncode = since(t);

        // 4. Condition K/V, once per group; without the KV cache only the condition's embeddings (each step runs
        //    the whole sequence, as the reference does, and no K/V is kept).
        if (req.kvCache()) {
            long conditionTokens = 0;
            for (Group g : groups) {
                conditionTokens += (long) g.batch * g.conditionLength;
            }
            long kv = KvCacheAdvice.kvBytes(layers, kvHeads, headDim, conditionTokens);
            KvCacheAdvice.availableBytes().ifPresent(avail -> KvCacheAdvice.warning(kv, avail).ifPresent(LOG::warn));
        }
        t = System.nanoTime();
        store.transfers().beginPhase("prefill");
        for (int gi = 0; gi < groups.size(); gi++) {
            checkCancelled();
            Group g = groups.get(gi);
            prepareStepInputs(g, n, lh, lw);
            if (req.kvCache() && device) {
                devicePrefill(g, imageTokens.get(gi), hidden);
            } else if (req.kvCache()) {
                g.cache = condition(g, imageTokens.get(gi), hidden);
            } else {
                prepareFullSequence(g, imageTokens.get(gi), hidden);
            }
        }
        Duration prefill = since(t);
        for (Group g : groups) {
            // Everything the loop needs is in the group's tensors and sizes now; the collation's [B, S, S] mask
            // alone is 273 MB of heap for each image branch of a 1024² edit.
            g.dropCollation();
        }

        // 5. Denoising loop.
        FlowSchedule schedule = FlowSchedule.of(req.steps());
        observer.schedule(schedule.sigmas());
        int[] zShape = {p, m.omnigen().latentChannels(), lh, lw};
        float[] z = noise.initialLatents(zShape);
        int per = z.length;
        float[][] raw = new float[branches][per];
        float[] v = new float[per];
        List<Duration> stepTimes = new ArrayList<>();
        for (int step = 0; step < req.steps(); step++) {
            long ts = System.nanoTime();
            store.transfers().beginPhase("step " + step);
            checkCancelled();
            float[] forced = observing ? observer.stepInput(step, z.clone()) : null;
            if (forced != null) {
                if (forced.length != z.length) {
                    throw new IllegalArgumentException("stepInput returned " + forced.length + " values, expected "
                            + z.length);
                }
                z = forced.clone();
            }
            float[] zIn = observing ? z.clone() : null;
            for (Group g : groups) {
                if (req.kvCache()) {
                    runStep(g, z, schedule.sigma(step), step, raw);
                } else {
                    runFullStep(g, z, schedule.sigma(step), raw);
                }
            }
            if (branches == 3) {
                Guidance.threeBranch(raw[COND], raw[UNCOND], raw[IMG_COND], req.guidanceScale(),
                        req.imageGuidanceScale(), v);
            } else {
                Guidance.twoBranch(raw[COND], raw[UNCOND], req.guidanceScale(), v);
            }
            EulerStep.apply(schedule, step, z, v);
            if (observing) {
                float[][] rawCopy = new float[branches][];
                for (int b = 0; b < branches; b++) {
                    rawCopy[b] = raw[b].clone();
                }
                observer.stepDone(step, schedule.sigma(step), zIn, rawCopy, v.clone(), z.clone());
            }
            stepTimes.add(since(ts));
            listener.onStep(step + 1, req.steps(), since(start));
        }

        // 6. Decode.
        t = System.nanoTime();
        store.transfers().beginPhase("decode");
        checkCancelled();
        LatentCodec codec = model.latentCodec();
        float[] decIn = new float[per];
        codec.toDecoderInput(z, decIn);
        float[] pixels = model.tiledVae().decode(Nchw.of(decIn, toLong(zShape)),
                x -> vae("vae_decoder", "latents", x)).data();
        float[] decoderOutput = observing ? pixels.clone() : null;
        LatentCodec.toUnitRange(pixels, pixels);
        if (observing) {
            observer.decoded(decIn, toLong(zShape), decoderOutput, pixels.clone(), new long[] {p, 3, height, width});
            observer.transfers(store.transfers().phases(), store.description());
        }
        byte[] rgb = LatentCodec.toRgbBytes(pixels, p, height, width);
        List<io.omnigen4j.sdk.image.RgbImage> out = new ArrayList<>();
        int bytesPer = height * width * 3;
        for (int i = 0; i < p; i++) {
            out.add(io.omnigen4j.sdk.image.RgbImage.of(width, height,
                    java.util.Arrays.copyOfRange(rgb, i * bytesPer, (i + 1) * bytesPer)));
        }
        Duration decode = since(t);
        GenerationResult.Timings timings = new GenerationResult.Timings(tokenize, preprocess, vaeEncode, prefill,
                stepTimes, decode, since(start), Duration.ofNanos(graphNanos));
        return new GenerationResult(out, req.returnLatents() ? z : null, req.returnLatents() ? toLong(zShape) : null,
                req.noiseSource() == null ? req.seed() : null, timings);
    }

    /** VAE-encodes one image occurrence with its posterior noise and embeds it as tokens [n, hidden]. */
    private float[] embedImage(PreprocessedImage img, NoiseSource noise, int encodeIndex) throws OrtException {
        // The encoder is deterministic: an image in several branches (conditional and image guidance) is encoded
        // once and each occurrence draws its own posterior noise, exactly as encoding it again would.
        float[] moments = this.moments.get(img);
        long[] mShape = momentShapes.get(img);
        if (moments == null) {
            Nchw mt = model.tiledVae().encode(Nchw.of(img.pixels(), img.shape()),
                    x -> vae("vae_encoder", "pixels", x));
            mShape = mt.shape();
            moments = mt.data();
            this.moments.put(img, moments);
            momentShapes.put(img, mShape);
        } else if (observing) {
            moments = moments.clone(); // the observer may keep or change what it is given
        }
        int lc = (int) mShape[1] / 2, h = (int) mShape[2], w = (int) mShape[3];
        float[] eps = noise.posteriorNoise(encodeIndex, new int[] {1, lc, h, w});
        float[] latent = new float[lc * h * w];
        model.latentCodec().sampleLatent(moments, eps, latent);
        observer.imageEncoded(encodeIndex, img.pixels(), img.shape(), moments, eps, latent, new long[] {1, lc, h, w});
        long[] pos = posIndex(h / model.manifest().omnigen().patchSize(), w / model.manifest().omnigen().patchSize());
        try (Scope s = new Scope()) {
            OrtSession.Result r = s.run("image_embed", Map.of("latents", s.floats(latent, new long[] {1, lc, h, w}),
                    "pos_index", s.longs(pos, new long[] {pos.length})));
            return ((OnnxTensor) r.get(0)).getFloatBuffer().array();
        }
    }

    /** One run of a VAE graph (single input and output) on the whole input or one tile of it ({@link TiledVae}). */
    private Nchw vae(String graph, String input, Nchw x) throws OrtException {
        try (Scope s = new Scope()) {
            OnnxTensor out = (OnnxTensor) s.run(graph, Map.of(input, s.floats(x.data(), x.shape()))).get(0);
            return Nchw.of(out.getFloatBuffer().array(), out.getInfo().getShape());
        }
    }

    /** Indices into the pos_embed table of the centre crop for an hp × wp patch grid. */
    private long[] posIndex(int hp, int wp) {
        int max = model.manifest().omnigen().posEmbedMaxSize();
        int top = (max - hp) / 2, left = (max - wp) / 2;
        long[] idx = new long[hp * wp];
        for (int r = 0; r < hp; r++) {
            for (int c = 0; c < wp; c++) {
                idx[r * wp + c] = (long) (top + r) * max + left + c;
            }
        }
        return idx;
    }

    /**
     * The group's condition K/V at the start of the loop: leased from the model's {@link ConditionCache} when the
     * KV cache is on and the group has no input images (its prefill then depends only on tokens, positions, mask and
     * RoPE factors), computed and offered to that cache on a miss; otherwise a prefill this generation owns.
     */
    private OrtSession.Result condition(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        ConditionCache cache = model.conditionCache();
        Collation col = g.collation;
        if (!req.kvCache() || !useConditionCache || !cache.enabled()
                || col.spans().stream().anyMatch(spans -> !spans.isEmpty())) {
            return prefill(g, imageTokens, hidden);
        }
        ConditionCache.Key key = new ConditionCache.Key(col.inputIds().clone(), col.conditionPositionIds().clone(),
                col.prefillAdditiveMask(), g.longFactors, col.batch(), col.conditionLength());
        ConditionCache.Lease lease = cache.acquire(key);
        if (lease == null) {
            OrtSession.Result computed = prefill(g, imageTokens, hidden);
            disown(computed); // from here on the cache owns it (and closes it)
            lease = cache.put(key, computed);
        }
        leases.add(lease);
        return lease.result();
    }

    /** Token embeddings with image tokens spliced into their spans → prefill → the cache (a Result we own). */
    private OrtSession.Result prefill(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        if (g.prefillInputs.isEmpty()) {
            prefillInputs(g, imageTokens, hidden);
        }
        // The cache is owned by the generation, released at the end. Only the K/V are fetched: the decoder's hidden
        // states of the condition are not needed. Computed once: the inputs are not needed again.
        OrtSession.Result cache = run(DECODER, g.prefillInputs, kvOutputs);
        g.prefillInputs.values().forEach(this::release);
        g.prefillInputs.clear();
        return cache;
    }

    /**
     * Device path: the prefill writes every layer's K/V into tensors of the store (pinned outputs), which the steps
     * then read as their past; the K/V never crosses to the host. The model's condition cache (host results) is
     * not used on this path.
     */
    private void devicePrefill(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        prefillInputs(g, imageTokens, hidden);
        Map<String, OnnxTensor> kv = new HashMap<>();
        for (int l = 0; l < layers; l++) {
            OnnxTensor k = store.allocate(OnnxJavaType.FLOAT, g.batch, kvHeads, g.conditionLength, headDim).tensor();
            OnnxTensor v = store.allocate(OnnxJavaType.FLOAT, g.batch, kvHeads, g.conditionLength, headDim).tensor();
            kv.put(presentKey[l], k);
            kv.put(presentValue[l], v);
            g.stepInputs.put(pastKey[l], k);
            g.stepInputs.put(pastValue[l], v);
        }
        release(runPinned(DECODER, g.prefillInputs, kv));
        g.prefillInputs.values().forEach(this::release);
        g.prefillInputs.clear();
    }

    /** The condition's token embeddings with the image tokens spliced into their spans, [B, C, hidden]. */
    private float[] conditionEmbeddings(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        Collation col = g.collation;
        int b = col.batch(), c = col.conditionLength();
        float[] embeds;
        try (Scope s = new Scope()) {
            OrtSession.Result r = s.run("token_embed", Map.of("input_ids", s.longs(col.inputIds(), new long[] {b, c})));
            embeds = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
        }
        int spanId = 0;
        for (int row = 0; row < b; row++) {
            for (ImageSpan span : col.spans().get(row)) {
                float[] tok = imageTokens.get(spanId++);
                System.arraycopy(tok, 0, embeds, (row * c + span.start()) * hidden, span.length() * hidden);
            }
        }
        return embeds;
    }

    /** The prefill's inputs for a group: condition embeddings, mask and RoPE tables, an empty past. */
    private void prefillInputs(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        Collation col = g.collation;
        int b = col.batch(), c = col.conditionLength();
        float[] embeds = conditionEmbeddings(g, imageTokens, hidden);
        CosSin cs = model.rotary().compute(col.conditionPositionIds(), b, c, g.longFactors);
        int half = cs.halfDim();
        g.prefillInputs.put("inputs_embeds", floats(embeds, new long[] {b, c, hidden}));
        g.prefillInputs.put("attention_mask", maskTensor(new long[] {b, 1, c, c}, col::prefillAdditiveMask));
        g.prefillInputs.put("rope_cos", floats(cs.cos(), new long[] {b, c, half}));
        g.prefillInputs.put("rope_sin", floats(cs.sin(), new long[] {b, c, half}));
        // The whole condition is new: an empty past, and every token's K/V kept.
        g.prefillInputs.put("cache_tokens", longs(new long[] {c}, new long[] {1}));
        OnnxTensor emptyPast = floats(new float[0], new long[] {b, kvHeads, 0, headDim});
        for (int l = 0; l < layers; l++) {
            g.prefillInputs.put(pastKey[l], emptyPast);
            g.prefillInputs.put(pastValue[l], emptyPast);
        }
    }

    /** Inputs that stay the same at every step of a group: positions, RoPE tables, masks. */
    private void prepareStepInputs(Group g, int n, int lh, int lw) throws OrtException {
        Collation col = g.collation;
        int b = col.batch(), s = col.sequenceLength();
        int ps = model.manifest().omnigen().patchSize();
        long[] pos = posIndex(lh / ps, lw / ps);
        if (device) {
            StoreTensor t = store.allocate(OnnxJavaType.INT64, n);
            store.write(t, 0, pos, 0, pos.length);
            g.posIndex = t.tensor();
            int hidden = model.manifest().transformer().hiddenSize();
            g.embedsOut = store.allocate(OnnxJavaType.FLOAT, b, n + 1, hidden);
            g.timeEmbOut = store.allocate(OnnxJavaType.FLOAT, b, hidden);
            if (req.kvCache()) {
                g.hiddenOut = store.allocate(OnnxJavaType.FLOAT, b, n + 1, hidden);
            }
        } else {
            g.posIndex = longs(pos, new long[] {n});
        }
        prepareStepBuffers(g, b, lh, lw);
        if (!req.kvCache()) {
            return; // the whole-sequence inputs come from prepareFullSequence
        }
        CosSin cs = model.rotary().compute(col.stepPositionIds(), b, n + 1, g.longFactors);
        long[] ropeShape = {b, n + 1, cs.halfDim()};
        g.cos = stepFloats(cs.cos(), ropeShape);
        g.sin = stepFloats(cs.sin(), ropeShape);
        long[] maskShape = {b, 1, n + 1, s};
        g.maskSteps = stepMask(maskShape, buf -> col.stepAdditiveMask(false, buf));
        boolean compat = req.kvCache() && req.step0Attention() == GenerationRequest.Step0Attention.REFERENCE;
        g.maskStep0 = compat
                ? stepMask(maskShape, buf -> col.stepAdditiveMask(true, buf))
                : g.maskSteps;
        g.stepInputs.put("rope_cos", g.cos);
        g.stepInputs.put("rope_sin", g.sin);
        // A step keeps no K/V of its own tokens: they change with every σ.
        g.stepInputs.put("cache_tokens", longs(new long[] {0}, new long[] {1}));
    }

    /** The latents, timestep and velocity buffers of a group's steps, and step_embed's inputs. */
    private void prepareStepBuffers(Group g, int b, int lh, int lw) throws OrtException {
        long[] latentShape = {b, model.manifest().omnigen().latentChannels(), lh, lw};
        g.latents = store.allocate(OnnxJavaType.FLOAT, latentShape);
        g.latentsTensor = g.latents.tensor();
        g.timestep = store.allocate(OnnxJavaType.FLOAT, b);
        g.timestepTensor = g.timestep.tensor();
        g.velocity = store.allocate(OnnxJavaType.FLOAT, latentShape);
        g.velocityTensor = g.velocity.tensor();
        g.embedInputs.put("latents", g.latentsTensor);
        g.embedInputs.put("timestep", g.timestepTensor);
        g.embedInputs.put("pos_index", g.posIndex);
    }

    /**
     * The decoder's inputs for steps without the KV cache: every step runs the whole sequence (condition, time
     * token, output image) from an empty past and keeps no K/V, as the reference's {@code use_kv_cache=False}. The
     * condition rows of the embeddings are written once here; each step writes its own rows after them. Nothing
     * grows with the number of branches: a 1024² edit with the 3.8 B model holds no condition K/V at all (about
     * 3.3 GB per image branch with the cache).
     */
    private void prepareFullSequence(Group g, Map<Integer, float[]> imageTokens, int hidden) throws OrtException {
        Collation col = g.collation;
        int b = col.batch(), c = col.conditionLength(), s = col.sequenceLength(), newLen = col.stepTokens();
        float[] condition = conditionEmbeddings(g, imageTokens, hidden);
        if (device) {
            // The condition rows go to the store once; each step copies its rows in, inside the store.
            g.fullEmbedsDev = store.allocate(OnnxJavaType.FLOAT, b, s, hidden);
            for (int row = 0; row < b; row++) {
                store.write(g.fullEmbedsDev, (long) row * s * hidden, condition, row * c * hidden, c * hidden);
            }
            g.stepInputs.put("inputs_embeds", g.fullEmbedsDev.tensor());
            CosSin cs = model.rotary().compute(col.positionIds(), b, s, g.longFactors);
            long[] ropeShape = {b, s, cs.halfDim()};
            g.stepInputs.put("rope_cos", stepFloats(cs.cos(), ropeShape));
            g.stepInputs.put("rope_sin", stepFloats(cs.sin(), ropeShape));
            g.stepInputs.put("attention_mask", stepMask(new long[] {b, 1, s, s}, col::fullAdditiveMask));
            g.stepInputs.put("cache_tokens", longs(new long[] {0}, new long[] {1}));
            OnnxTensor emptyPast = floats(new float[0], new long[] {b, kvHeads, 0, headDim});
            for (int l = 0; l < layers; l++) {
                g.stepInputs.put(pastKey[l], emptyPast);
                g.stepInputs.put(pastValue[l], emptyPast);
            }
            g.fullHiddenDev = store.allocate(OnnxJavaType.FLOAT, b, s, hidden);
            g.stepHiddenDev = store.allocate(OnnxJavaType.FLOAT, b, newLen, hidden);
            return;
        }
        g.fullEmbeds = directFloats(b * s * hidden);
        for (int row = 0; row < b; row++) {
            g.fullEmbeds.put(row * s * hidden, condition, row * c * hidden, c * hidden);
        }
        g.stepInputs.put("inputs_embeds", track(OnnxTensor.createTensor(env, g.fullEmbeds, new long[] {b, s, hidden})));
        CosSin cs = model.rotary().compute(col.positionIds(), b, s, g.longFactors);
        long[] ropeShape = {b, s, cs.halfDim()};
        g.stepInputs.put("rope_cos", floats(cs.cos(), ropeShape));
        g.stepInputs.put("rope_sin", floats(cs.sin(), ropeShape));
        g.stepInputs.put("attention_mask", maskTensor(new long[] {b, 1, s, s}, col::fullAdditiveMask));
        g.stepInputs.put("cache_tokens", longs(new long[] {0}, new long[] {1}));
        OnnxTensor emptyPast = floats(new float[0], new long[] {b, kvHeads, 0, headDim});
        for (int l = 0; l < layers; l++) {
            g.stepInputs.put(pastKey[l], emptyPast);
            g.stepInputs.put(pastValue[l], emptyPast);
        }
        if (sessions.provider().kind() == ExecutionProvider.Kind.CPU) {
            g.fullHidden = directFloats(b * s * hidden);
            g.fullHiddenTensor = track(OnnxTensor.createTensor(env, g.fullHidden, new long[] {b, s, hidden}));
        }
        g.stepHidden = directFloats(b * newLen * hidden);
        g.stepHiddenTensor = track(OnnxTensor.createTensor(env, g.stepHidden, new long[] {b, newLen, hidden}));
    }

    /**
     * A float tensor over a direct buffer that {@code fill} writes: ONNX Runtime reads it in place. Masks go this
     * way because they are the largest inputs (a 1024² edit's whole-sequence mask is 273 MB): built as a Java array
     * and copied, each would pass through the heap first.
     */
    private OnnxTensor maskTensor(long[] shape, java.util.function.Consumer<FloatBuffer> fill) throws OrtException {
        FloatBuffer buf = directFloats(elementCount(shape));
        fill.accept(buf);
        return track(OnnxTensor.createTensor(env, buf, shape));
    }

    private static int elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /**
     * A float input every step reads: in the store on the device path (copied there once), otherwise a host tensor
     * owned by this generation.
     */
    private OnnxTensor stepFloats(float[] data, long[] shape) throws OrtException {
        if (!device) {
            return floats(data, shape);
        }
        StoreTensor t = store.allocate(OnnxJavaType.FLOAT, shape);
        store.write(t, 0, data, 0, data.length);
        return t.tensor();
    }

    /** As {@link #maskTensor}, in the store on the device path (copied there once). */
    private OnnxTensor stepMask(long[] shape, java.util.function.Consumer<FloatBuffer> fill) throws OrtException {
        if (!device) {
            return maskTensor(shape, fill);
        }
        // Filled once on the host and written to the store: no host tensor, no copy of it (masks grow as S²).
        FloatBuffer values = directFloats(elementCount(shape));
        fill.accept(values);
        StoreTensor t = store.allocate(OnnxJavaType.FLOAT, shape);
        store.write(t, 0, values, 0, values.capacity());
        return t.tensor();
    }

    private static FloatBuffer directFloats(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Runs the step graph for one group and writes each branch's velocity into {@code raw[branch]} (arrays of
     * {@code z.length}, reused across steps).
     */
    private void runStep(Group g, float[] z, float sigma, int step, float[][] raw) throws OrtException {
        setStepInputs(g, z, sigma);
        if (device) {
            // Every output is written into the store; only the velocity is read back.
            g.stepInputs.put("attention_mask", step == 0 ? g.maskStep0 : g.maskSteps);
            release(runPinned(STEP_EMBED, g.embedInputs,
                    Map.of("inputs_embeds", g.embedsOut.tensor(), "time_emb", g.timeEmbOut.tensor())));
            g.stepInputs.put("inputs_embeds", g.embedsOut.tensor());
            release(runPinned(DECODER, g.stepInputs, Map.of("hidden_states", g.hiddenOut.tensor())));
            release(runPinned(STEP_HEAD, Map.of("hidden_states", g.hiddenOut.tensor(),
                    "time_emb", g.timeEmbOut.tensor(), "latents", g.latentsTensor), Map.of("velocity", g.velocityTensor)));
            readVelocity(g, z.length, raw);
            return;
        }
        if (g.boundCache != g.cache) {
            for (int l = 0; l < layers; l++) {
                g.stepInputs.put(pastKey[l], (OnnxTensor) g.cache.get(presentKey[l]).orElseThrow());
                g.stepInputs.put(pastValue[l], (OnnxTensor) g.cache.get(presentValue[l]).orElseThrow());
            }
            g.boundCache = g.cache;
        }
        g.stepInputs.put("attention_mask", step == 0 ? g.maskStep0 : g.maskSteps);
        // step_embed → transformer (the condition K/V as past) → step_head; the intermediate tensors stay native.
        try (Scope s = new Scope()) {
            OrtSession.Result embedded = s.run(STEP_EMBED, g.embedInputs);
            g.stepInputs.put("inputs_embeds", (OnnxTensor) embedded.get("inputs_embeds").orElseThrow());
            OrtSession.Result decoded = s.run(DECODER, g.stepInputs, HIDDEN_STATES);
            g.stepInputs.remove("inputs_embeds");
            Map<String, OnnxTensor> headInputs = Map.of(
                    "hidden_states", (OnnxTensor) decoded.get("hidden_states").orElseThrow(),
                    "time_emb", (OnnxTensor) embedded.get("time_emb").orElseThrow(),
                    "latents", g.latentsTensor);
            runHead(s, headInputs, g);
        }
        readVelocity(g, z.length, raw);
    }

    /**
     * A step without the KV cache: step_embed → the decoder over the whole sequence → the rows of the time token and
     * output image → step_head; each branch's velocity goes to {@code raw[branch]}.
     */
    private void runFullStep(Group g, float[] z, float sigma, float[][] raw) throws OrtException {
        int b = g.batch, c = g.conditionLength, s = g.sequenceLength, newLen = g.stepTokens;
        int hidden = model.manifest().transformer().hiddenSize();
        setStepInputs(g, z, sigma);
        if (device) {
            // The step's rows move inside the store: into the sequence, and its output rows out to step_head.
            release(runPinned(STEP_EMBED, g.embedInputs,
                    Map.of("inputs_embeds", g.embedsOut.tensor(), "time_emb", g.timeEmbOut.tensor())));
            for (int row = 0; row < b; row++) {
                store.copy(g.embedsOut, (long) row * newLen * hidden, g.fullEmbedsDev, ((long) row * s + c) * hidden,
                        (long) newLen * hidden);
            }
            release(runPinned(DECODER, g.stepInputs, Map.of("hidden_states", g.fullHiddenDev.tensor())));
            for (int row = 0; row < b; row++) {
                store.copy(g.fullHiddenDev, ((long) row * s + c) * hidden, g.stepHiddenDev, (long) row * newLen * hidden,
                        (long) newLen * hidden);
            }
            release(runPinned(STEP_HEAD, Map.of("hidden_states", g.stepHiddenDev.tensor(),
                    "time_emb", g.timeEmbOut.tensor(), "latents", g.latentsTensor), Map.of("velocity", g.velocityTensor)));
            readVelocity(g, z.length, raw);
            return;
        }
        try (Scope sc = new Scope()) {
            OrtSession.Result embedded = sc.run(STEP_EMBED, g.embedInputs);
            FloatBuffer stepRows = ((OnnxTensor) embedded.get("inputs_embeds").orElseThrow()).getFloatBuffer();
            for (int row = 0; row < b; row++) {
                g.fullEmbeds.put((row * s + c) * hidden, stepRows, row * newLen * hidden, newLen * hidden);
            }
            FloatBuffer states;
            if (g.fullHiddenTensor != null) {
                sc.add(runInto(DECODER, g.stepInputs, "hidden_states", g.fullHiddenTensor));
                states = g.fullHidden;
            } else {
                states = ((OnnxTensor) sc.run(DECODER, g.stepInputs, HIDDEN_STATES).get(0)).getFloatBuffer();
            }
            for (int row = 0; row < b; row++) {
                g.stepHidden.put(row * newLen * hidden, states, (row * s + c) * hidden, newLen * hidden);
            }
            Map<String, OnnxTensor> headInputs = Map.of("hidden_states", g.stepHiddenTensor,
                    "time_emb", (OnnxTensor) embedded.get("time_emb").orElseThrow(), "latents", g.latentsTensor);
            runHead(sc, headInputs, g);
        }
        readVelocity(g, z.length, raw);
    }

    /** Writes the step's latents (one copy per row group) and timestep into the group's input tensors. */
    private void setStepInputs(Group g, float[] z, float sigma) {
        for (int k = 0; k < g.branches.length; k++) {
            store.write(g.latents, (long) k * z.length, z, 0, z.length);
        }
        float[] ts = new float[(int) g.timestep.elements()];
        java.util.Arrays.fill(ts, sigma);
        store.write(g.timestep, 0, ts, 0, ts.length);
    }

    /** step_head into the group's velocity buffer (CPU: ONNX Runtime writes it in place). */
    private void runHead(Scope s, Map<String, OnnxTensor> headInputs, Group g) throws OrtException {
        if (sessions.provider().kind() == ExecutionProvider.Kind.CPU) {
            s.add(runInto(STEP_HEAD, headInputs, "velocity", g.velocityTensor));
        } else {
            // Pre-made outputs are tested on the CPU provider only; elsewhere ORT allocates and we copy.
            FloatBuffer out = ((OnnxTensor) s.run(STEP_HEAD, headInputs).get(0)).getFloatBuffer();
            store.write(g.velocity, 0, out, 0, out.capacity());
        }
    }

    private void readVelocity(Group g, int per, float[][] raw) {
        for (int k = 0; k < g.branches.length; k++) {
            store.read(g.velocity, (long) k * per, raw[g.branches[k]], 0, per);
        }
    }

    /**
     * Checks an output size against the model: the position table ({@code pos_embed_max_size} patches per side)
     * and the sequence length ({@code max_position_embeddings} for prompt, time token and output together), with
     * {@link ModelLimits}, which callers use to check before loading.
     */
    private static void checkOutputSize(int width, int height, ModelManifest m, String hint) {
        ModelLimits.of(m).checkOutputSize(width, height, hint);
    }

    /** Creates a float tensor owned (and counted) by this generation; close it with {@link #release}. */
    private OnnxTensor floats(float[] data, long[] shape) throws OrtException {
        return track(OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape));
    }

    /** Creates an int64 tensor owned (and counted) by this generation; close it with {@link #release}. */
    private OnnxTensor longs(long[] data, long[] shape) throws OrtException {
        return track(OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape));
    }

    /** Runs a graph with this generation's run options; the result is owned (and counted) by this generation. */
    private OrtSession.Result run(String graph, Map<String, OnnxTensor> inputs) throws OrtException {
        return run(graph, inputs, null);
    }

    /** As {@link #run(String, Map)}, fetching only {@code outputs} (all when null). */
    private OrtSession.Result run(String graph, Map<String, OnnxTensor> inputs, Set<String> outputs)
            throws OrtException {
        OrtSession session = sessions.session(graph);
        RUNS.incrementAndGet();
        long t0 = System.nanoTime();
        OrtSession.Result r = outputs == null ? session.run(inputs, runOptions)
                : session.run(inputs, outputs, runOptions);
        graphNanos += System.nanoTime() - t0;
        track(r);
        store.transfers().run(store, inputs, Map.of(), r);
        return r;
    }

    /**
     * Runs a graph, fetching only its output {@code name}, which ONNX Runtime writes into {@code output} (a tensor
     * over a direct buffer this generation owns). The returned result is owned by this generation; closing it leaves {@code output} open.
     */
    private OrtSession.Result runInto(String graph, Map<String, OnnxTensor> inputs, String name, OnnxTensor output)
            throws OrtException {
        return runPinned(graph, inputs, Map.of(name, output));
    }

    /**
     * Runs a graph whose only fetched outputs are {@code pinned}, written by ONNX Runtime into the given tensors
     * wherever their memory is; the returned result is owned by this generation and does not own them.
     */
    private OrtSession.Result runPinned(String graph, Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> pinned)
            throws OrtException {
        OrtSession session = sessions.session(graph);
        RUNS.incrementAndGet();
        long t0 = System.nanoTime();
        OrtSession.Result r = session.run(inputs, Collections.emptySet(), pinned, runOptions);
        graphNanos += System.nanoTime() - t0;
        track(r);
        store.transfers().run(store, inputs, pinned, r);
        return r;
    }

    private <T extends AutoCloseable> T track(T resource) {
        owned.add(resource);
        LIVE.incrementAndGet();
        return resource;
    }

    /** Hands a resource this generation owns to another owner: it is no longer closed or counted here. */
    private void disown(AutoCloseable resource) {
        if (owned.remove(resource)) {
            LIVE.decrementAndGet();
        }
    }

    /** Closes a resource this generation owns; a second release of the same resource does nothing. */
    private void release(AutoCloseable resource) {
        if (resource != null && owned.remove(resource)) {
            LIVE.decrementAndGet();
            try {
                resource.close();
            } catch (Exception ignored) {
                // Closing is best effort; ORT close does not fail in practice.
            }
        }
    }

    /** Tensors and results of one graph call, released together when the scope closes. */
    private final class Scope implements AutoCloseable {
        private final List<AutoCloseable> items = new ArrayList<>();

        OnnxTensor floats(float[] data, long[] shape) throws OrtException {
            return add(Generation.this.floats(data, shape));
        }

        OnnxTensor longs(long[] data, long[] shape) throws OrtException {
            return add(Generation.this.longs(data, shape));
        }

        OrtSession.Result run(String graph, Map<String, OnnxTensor> inputs) throws OrtException {
            return add(Generation.this.run(graph, inputs));
        }

        OrtSession.Result run(String graph, Map<String, OnnxTensor> inputs, Set<String> outputs) throws OrtException {
            return add(Generation.this.run(graph, inputs, outputs));
        }

        private <T extends AutoCloseable> T add(T resource) {
            items.add(resource);
            return resource;
        }

        @Override
        public void close() {
            for (int i = items.size() - 1; i >= 0; i--) {
                release(items.get(i));
            }
        }
    }

    private void checkCancelled() throws GenerationCancelledException {
        if (cancel.isCancelled()) {
            throw new GenerationCancelledException("generation cancelled");
        }
        if (closing.isCancelled()) {
            throw new GenerationCancelledException("generation stopped: the OmniGen instance was closed");
        }
    }

    /** Releases everything still owned, newest first (results before the run options they ran with). */
    private void closeOwned() {
        leases.forEach(ConditionCache.Lease::release);
        leases.clear();
        List<AutoCloseable> all = new ArrayList<>(owned);
        for (int i = all.size() - 1; i >= 0; i--) {
            release(all.get(i));
        }
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private static String[] names(String prefix, int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = prefix + i;
        }
        return out;
    }

    private static long[] toLong(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            l[i] = s[i];
        }
        return l;
    }
}
