package io.omnigen4j.sdk.prompt;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model's {@code tokenizer.json} run by the HuggingFace Rust library (via DJL), so ids are byte-exact with
 * the Python reference.
 *
 * <p>DJL traps handled here (runtime-facts §5): the native flavour is forced to CPU ({@code RUST_FLAVOR=cpu}
 * while DJL loads its library, unless the user set it; the property is restored afterwards), otherwise a CUDA
 * machine makes DJL try to download a GPU build; DJL's GPU-probe warning and telemetry are kept quiet during the
 * load (see {@code DjlNative}); truncation (silently 512
 * by default) and padding are switched off; lower-casing, accent stripping and prefix-space insertion are off; and
 * {@code tokenizer_config.json} is not read (the file is opened as a stream) so only {@code tokenizer.json}
 * decides. Special tokens are added as the file's post-processor says (BOS {@code <s>} = 1, no EOS).
 *
 * <p>Thread safety: {@link #encode} and {@link #close} are serialized on this object. The Rust encoder itself is
 * re-entrant, but DJL does not document its JNI wrapper as thread-safe and a close racing an encode would free the
 * native handle under it; prompts are a handful of short strings per generation, so the lock costs nothing.
 */
public final class PromptTokenizer implements TextTokenizer, AutoCloseable {

    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "true",
            "truncation", "false",
            "padding", "false",
            "doLowerCase", "false",
            "stripAccents", "false",
            "addPrefixSpace", "false");

    private HuggingFaceTokenizer tokenizer;

    private PromptTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads a tokenizer.
     *
     * @param path {@code tokenizer.json}, or the model folder holding it
     * @return the tokenizer; close it to free its native memory
     * @throws IOException if the file cannot be read or is not a tokenizer
     */
    public static PromptTokenizer open(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new IOException("tokenizer file not found: " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return new PromptTokenizer(DjlNative.newTokenizer(in, OPTIONS));
        } catch (RuntimeException e) {
            throw new IOException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ids of {@code text} as one fresh string, BOS (1) first, never truncated.
     *
     * @throws PromptException if {@code text} holds an unpaired UTF-16 surrogate (checked before the native call)
     */
    @Override
    public synchronized long[] encode(String text) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        if (tokenizer == null) {
            throw new IllegalStateException("tokenizer is closed");
        }
        WellFormedText.require(text, "the text to tokenize");   // never hand an unpaired surrogate to native code
        Encoding e = tokenizer.encode(text);
        return e.getIds();
    }

    @Override
    public synchronized void close() {
        if (tokenizer != null) {
            tokenizer.close();
            tokenizer = null;
        }
    }
}
