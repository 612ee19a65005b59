package io.omnigen4j.sdk;

import io.omnigen4j.sdk.batch.RotaryTables;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.prompt.PromptTokenizer;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.ModelSessions;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.runtime.TensorStores;
import io.omnigen4j.sdk.sampling.LatentCodec;
import io.omnigen4j.sdk.vae.TiledVae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A loaded OmniGen model: the entry point of the SDK.
 *
 * <pre>{@code
 * try (OmniGen omnigen = OmniGen.load(Path.of("omnigen-v1-onnx"))) {
 *     GenerationResult r = omnigen.generate(GenerationRequest.builder()
 *             .prompt("A red bicycle leaning on a brick wall").size(1024, 1024).seed(42).build());
 * }
 * }</pre>
 *
 * <p><b>Concurrency.</b> One instance serves concurrent {@code generate} calls from any number of threads.
 * Shared by all calls (read-only or thread-safe): the ONNX Runtime sessions and their weights (ORT allows concurrent
 * {@code run} calls on one session; they share its intra-op thread pool, so on the CPU several calls at once mostly
 * trade latency for throughput), the tokenizer (calls are serialised; tokenizing takes milliseconds),
 * the manifest, the RoPE tables and the latent codec (immutable), and the condition cache (synchronised; its K/V
 * tensors are only read, see {@link RuntimeOptions#conditionCacheEntries()}). Per call: every other tensor, the rest
 * of the KV cache, the
 * latents, the run options used for cancellation and, unless the request supplies one, the noise source (a
 * {@link io.omnigen4j.sdk.sampling.NoiseSource} given to the request is used as is; the SDK's own sources are
 * immutable, so one request object may be reused by several calls, also at once). A
 * {@link io.omnigen4j.sdk.inspect.StageObserver} or {@link ProgressListener} is called on the generating thread;
 * one shared by concurrent calls must be thread-safe itself. Results do not depend on how many calls run at once:
 * on the CPU they are bit-identical to the same requests run one after another (tested).
 *
 * <p>Closing stops the calls still running (they fail with {@link GenerationCancelledException}), waits for them
 * to release their native resources, then releases the sessions and the tokenizer; later calls fail with
 * {@link IllegalStateException}.
 */
public final class OmniGen implements AutoCloseable {

    private final ModelFolder folder;
    private final ModelSessions sessions;
    private final PromptTokenizer tokenizer;
    private final RotaryTables rotary;
    private final LatentCodec latentCodec;
    private final ConditionCache conditionCache;
    /** Where generations keep their per-call tensors (resolved at load). */
    private final TensorStores tensorStores;
    private final TiledVae tiledVae;
    /** Cancelled by {@link #close()}: stops the generations in flight. */
    private final CancellationToken closing = new CancellationToken();
    private final Object lifecycle = new Object();
    /** Generations in flight; guarded by {@link #lifecycle}. */
    private int active;
    private boolean closed;

    private OmniGen(ModelFolder folder, ModelSessions sessions, PromptTokenizer tokenizer, RuntimeOptions options,
                    TensorStores tensorStores) {
        this.folder = folder;
        this.tensorStores = tensorStores;
        this.conditionCache = new ConditionCache(options.conditionCacheEntries());
        this.tiledVae = new TiledVae(options.vaeTiling(), options.vaeTileSize(folder.manifest().vaeConvolution()),
                folder.manifest().omnigen().vaeDownscale());
        this.sessions = sessions;
        this.tokenizer = tokenizer;
        ModelManifest.TransformerConfig t = folder.manifest().transformer();
        ModelManifest.RopeScaling rs = t.ropeScaling();
        this.rotary = rs == null ? RotaryTables.plain(t.headDim(), t.ropeTheta())
                : new RotaryTables(t.headDim(), t.ropeTheta(), floats(rs.shortFactor()), floats(rs.longFactor()),
                t.originalMaxPositionEmbeddings(), t.maxPositionEmbeddings());
        ModelManifest.VaeSettings v = folder.manifest().vae();
        this.latentCodec = new LatentCodec((float) v.scalingFactor(),
                v.shiftFactor() == null ? null : v.shiftFactor().floatValue());
    }

    /**
     * Loads an exported model folder on the CPU with default options.
     *
     * @param modelFolder a folder written by the exporter
     * @return the loaded model; close it to free its native memory
     * @throws OmniGenException as {@link #load(Path, RuntimeOptions)}
     */
    public static OmniGen load(Path modelFolder) throws OmniGenException {
        return load(modelFolder, RuntimeOptions.defaults());
    }

    /**
     * Loads an exported model folder: checks the folder (paths, graphs, checksums) before anything native opens it,
     * then creates the ONNX Runtime sessions and the tokenizer.
     *
     * @param modelFolder a folder written by the exporter
     * @param options provider, threads, caches, VAE tiling, integrity check
     * @return the loaded model; thread-safe; close it to free its native memory
     * @throws io.omnigen4j.sdk.model.ModelFolderException if the folder is missing, incomplete, altered or of an
     * unsupported format (the message says which and how to fix it)
     * @throws io.omnigen4j.sdk.runtime.ProviderUnavailableException if the requested provider cannot start and CPU
     * fallback is off
     * @throws OmniGenException if ONNX Runtime or the tokenizer cannot load the files, or if ONNX Runtime is on the
     * classpath twice (CPU and CUDA jars; the message names both and the exclusion to add) or not at all
     */
    public static OmniGen load(Path modelFolder, RuntimeOptions options) throws OmniGenException {
        // Both ONNX Runtime jars on the classpath: the first silently wins; say so before its natives load.
        io.omnigen4j.sdk.runtime.OnnxRuntimeClasspath.check();
        // The folder is untrusted input: paths, graphs and checksums are checked before anything native opens it.
        ModelFolder folder = ModelFolder.open(modelFolder, options.integrityCheck());
        PromptTokenizer tok;
        try {
            tok = PromptTokenizer.open(folder.tokenizerFile());
        } catch (IOException | RuntimeException e) {
            throw new OmniGenException("cannot load the tokenizer " + folder.tokenizerFile() + ": " + e.getMessage(), e);
        }
        try {
            ModelSessions sessions = ModelSessions.open(folder, options);
            try {
                return new OmniGen(folder, sessions, tok, options,
                        TensorStores.resolve(options.tensorPlacement(), sessions.provider()));
            } catch (OmniGenException | RuntimeException e) {
                sessions.close();
                throw e;
            }
        } catch (OmniGenException | RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    /**
     * Generates the images of {@code request} and waits for them.
     *
     * @param request the prompts and settings
     * @return the images, in prompt order, and the stage times
     * @throws OmniGenException (or a subclass: invalid request, cancelled) when the request cannot be carried out
     */
    public GenerationResult generate(GenerationRequest request) throws OmniGenException {
        return generate(request, ProgressListener.NONE, new CancellationToken());
    }

    /**
     * As {@link #generate(GenerationRequest)}, reporting each finished step to {@code listener}.
     *
     * @param request the prompts and settings
     * @param listener told after every denoising step, on the calling thread
     * @return the images, in prompt order, and the stage times
     * @throws OmniGenException as {@link #generate(GenerationRequest)}
     */
    public GenerationResult generate(GenerationRequest request, ProgressListener listener) throws OmniGenException {
        return generate(request, listener, new CancellationToken());
    }

    /**
     * As {@link #generate(GenerationRequest, ProgressListener)}; {@link CancellationToken#cancel()} from another thread
     * stops the call with a {@link GenerationCancelledException} (a running graph is interrupted).
     *
     * @param request the prompts and settings
     * @param listener told after every denoising step, on the calling thread
     * @param cancellation stops the call when cancelled
     * @return the images, in prompt order, and the stage times
     * @throws OmniGenException as {@link #generate(GenerationRequest)}, or {@link GenerationCancelledException}
     */
    public GenerationResult generate(GenerationRequest request, ProgressListener listener,
                                     CancellationToken cancellation) throws OmniGenException {
        return run(request, listener, cancellation, true);
    }

    /**
     * Runs the first calls' work ahead of them: {@link WarmUp#rounds()} short generations with the shapes {@code
     * warmUp} describes, results discarded. After a load, ONNX Runtime plans each graph's memory on its first run with
     * new shapes and allocates the planned blocks on the second, so the first two calls are slower than the rest; after
     * this the calls of that shape run at full speed from the first one. Nothing else changes: the warm-up neither
     * reads nor fills the condition cache, and later results are bit-identical to those without a warm-up (tested).
     * Thread-safe like {@code generate}; {@link #close()} stops it.
     *
     * @param warmUp the shapes and settings of the calls to come
     * @return the stage times of each round
     * @throws OmniGenException as {@code generate} (an invalid request for this model, cancellation)
     * @throws IllegalStateException when this instance is closed
     */
    public WarmUpResult warmUp(WarmUp warmUp) throws OmniGenException {
        return warmUp(warmUp, new CancellationToken());
    }

    /**
     * As {@link #warmUp(WarmUp)}; {@link CancellationToken#cancel()} from another thread stops it with a {@link
     * GenerationCancelledException}, leaving the instance usable.
     *
     * @param warmUp the shapes and settings of the calls to come
     * @param cancellation stops the warm-up when cancelled
     * @return the stage times of each round
     * @throws OmniGenException as {@link #warmUp(WarmUp)}, or {@link GenerationCancelledException}
     */
    public WarmUpResult warmUp(WarmUp warmUp, CancellationToken cancellation) throws OmniGenException {
        Objects.requireNonNull(warmUp, "warmUp");
        Objects.requireNonNull(cancellation, "cancellation");
        List<GenerationResult.Timings> rounds = new ArrayList<>();
        for (int i = 0; i < warmUp.rounds(); i++) {
            rounds.add(run(warmUp.request(), ProgressListener.NONE, cancellation, false).timings());
        }
        return new WarmUpResult(rounds);
    }

    /** One generation; {@code conditionCache} false keeps it away from the condition cache (warm-up). */
    private GenerationResult run(GenerationRequest request, ProgressListener listener, CancellationToken cancellation,
                                 boolean conditionCache) throws OmniGenException {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("this OmniGen instance is closed; load the model again");
            }
            active++;
        }
        try {
            Generation g = new Generation(this, request, listener, cancellation, closing);
            return (conditionCache ? g : g.withoutConditionCache()).run();
        } finally {
            synchronized (lifecycle) {
                active--;
                lifecycle.notifyAll();
            }
        }
    }

    /** {@return the loaded model's manifest (architecture, graphs, constants)} */
    public ModelManifest manifest() {
        return folder.manifest();
    }

    /** {@return the folder the model was loaded from} */
    public ModelFolder folder() {
        return folder;
    }

    /**
     * The provider in use (CPU after a logged CUDA fallback).
     * @return the provider the sessions run on
     */
    public ExecutionProvider provider() {
        return sessions.provider();
    }

    ModelSessions sessions() {
        return sessions;
    }

    PromptTokenizer tokenizer() {
        return tokenizer;
    }

    RotaryTables rotary() {
        return rotary;
    }

    LatentCodec latentCodec() {
        return latentCodec;
    }

    /** The VAE tiling of {@link RuntimeOptions#vaeTiling()} for this model's downscale factor. */
    TiledVae tiledVae() {
        return tiledVae;
    }

    /** The resolved tensor placement: each generation opens its {@link io.omnigen4j.sdk.runtime.TensorStore} here. */
    TensorStores tensorStores() {
        return tensorStores;
    }

    ConditionCache conditionCache() {
        return conditionCache;
    }

    private static float[] floats(List<Double> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = values.get(i).floatValue();
        }
        return f;
    }

    /**
     * Stops the generations in flight, waits until they have released their native resources (normally
     * milliseconds: ONNX Runtime's terminate flag ends a graph run early), then closes the sessions and the
     * tokenizer. Idempotent. Do not call it from a {@link ProgressListener} or stage observer of a generation of this
     * instance: it would wait for that generation, which waits for the listener.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing.cancel();
        boolean interrupted = false;
        synchronized (lifecycle) {
            while (active > 0) {
                try {
                    lifecycle.wait();
                } catch (InterruptedException e) {
                    // Freeing the sessions under a running graph would crash the JVM: keep waiting.
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        conditionCache.close(); // before the sessions whose allocators hold the cached tensors
        sessions.close();
        tokenizer.close();
    }
}
