package io.omnigen4j.export.checkpoint;

/** The two folder layouts an OmniGen checkpoint is published in; {@link CheckpointFolder} tells them apart. */
public enum SourceLayout {
    /**
     * OmniGen's own layout ({@code Shitao/OmniGen-v1}): {@code config.json} (Phi-3), {@code model.safetensors}
     * (or shards with {@code model.safetensors.index.json}), tokenizer files and {@code vae/} at the top.
     */
    ORIGINAL,
    /**
     * The diffusers pipeline layout ({@code Shitao/OmniGen-v1-diffusers}): {@code model_index.json},
     * {@code transformer/} ({@code config.json} of {@code OmniGenTransformer2DModel} and
     * {@code diffusion_pytorch_model.safetensors} or its shards), {@code tokenizer/}, {@code vae/} and
     * {@code scheduler/}.
     */
    DIFFUSERS
}
