package io.omnigen4j.sdk;

import io.omnigen4j.sdk.batch.RotaryTables;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.prompt.PromptTokenizer;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.ModelSessions;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import io.omnigen4j.sdk.sampling.LatentCodec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

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
 * <p><b>Concurrency.</b> One instance serves concurrent {@code generate} calls. Shared (read-only or thread-safe):
 * the ONNX Runtime sessions and their weights, the tokenizer (calls are serialised; tokenizing takes
 * milliseconds), the manifest. Per call: every tensor, the KV cache, the latents, the noise source and the run
 * options used for cancellation. Results do not depend on how many calls run at once.
 *
 * <p>Closing releases the sessions and the tokenizer; calls still running fail.
 */
public final class OmniGen implements AutoCloseable {

    private final ModelFolder folder;
    private final ModelSessions sessions;
    private final PromptTokenizer tokenizer;
    private final RotaryTables rotary;
    private final LatentCodec latentCodec;

    private OmniGen(ModelFolder folder, ModelSessions sessions, PromptTokenizer tokenizer) {
        this.folder = folder;
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

    /** Loads an exported model folder on the CPU with default options. */
    public static OmniGen load(Path modelFolder) throws OmniGenException {
        return load(modelFolder, RuntimeOptions.defaults());
    }

    public static OmniGen load(Path modelFolder, RuntimeOptions options) throws OmniGenException {
        ModelFolder folder = ModelFolder.open(modelFolder);
        PromptTokenizer tok;
        try {
            tok = PromptTokenizer.open(folder.tokenizerFile());
        } catch (IOException | RuntimeException e) {
            throw new OmniGenException("cannot load the tokenizer " + folder.tokenizerFile() + ": " + e.getMessage(), e);
        }
        try {
            return new OmniGen(folder, ModelSessions.open(folder, options), tok);
        } catch (OmniGenException | RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    public GenerationResult generate(GenerationRequest request) throws OmniGenException {
        return generate(request, ProgressListener.NONE, new CancellationToken());
    }

    public GenerationResult generate(GenerationRequest request, ProgressListener listener,
                                     CancellationToken cancellation) throws OmniGenException {
        return new Generation(this, request, listener, cancellation).run();
    }

    public ModelManifest manifest() {
        return folder.manifest();
    }

    public ModelFolder folder() {
        return folder;
    }

    /** The provider in use (CPU after a logged CUDA fallback). */
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

    private static float[] floats(List<Double> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = values.get(i).floatValue();
        }
        return f;
    }

    @Override
    public void close() {
        sessions.close();
        tokenizer.close();
    }
}
