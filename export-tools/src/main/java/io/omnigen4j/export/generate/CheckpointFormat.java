package io.omnigen4j.export.generate;

import io.omnigen4j.export.checkpoint.SourceLayout;
import io.omnigen4j.export.safetensors.DType;

import java.util.Objects;

/**
 * How {@link RandomCheckpointGenerator} lays the same weights out on disk: which {@link SourceLayout}, whether the
 * transformer's weights are split into shards with an index file, and their element type. The values written are
 * the same in every format (rounded to the element type), so exports of the same spec and seed can be compared.
 *
 * @param layout            original ({@code config.json}, {@code model.safetensors}) or diffusers
 *                          ({@code model_index.json}, {@code transformer/}, {@code tokenizer/}, {@code scheduler/})
 * @param maxShardBytes     0 for one transformer weight file; otherwise the most tensor bytes per shard, as
 *                          Hugging Face's {@code max_shard_size} (a tensor larger than that gets a shard of its own;
 *                          when everything fits one shard a single file is written, as Hugging Face does)
 * @param transformerDType  element type of the transformer's tensors: F32, F16 or BF16 (the diffusers conversion
 *                          script saves BF16); the VAE is always F32
 */
public record CheckpointFormat(SourceLayout layout, long maxShardBytes, DType transformerDType) {

    /**
     * Validates the components.
     *
     * @param layout           non-null
     * @param maxShardBytes    0 or positive
     * @param transformerDType F32, F16 or BF16
     */
    public CheckpointFormat {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(transformerDType, "transformerDType");
        if (!transformerDType.isFloating()) {
            throw new IllegalArgumentException("transformer dtype must be F32, F16 or BF16, got " + transformerDType);
        }
        if (maxShardBytes < 0) {
            throw new IllegalArgumentException("maxShardBytes must be 0 (no shards) or positive, got " + maxShardBytes);
        }
    }

    /**
     * The original layout, one F32 weight file: what {@link RandomCheckpointGenerator#generate} writes by default.
     *
     * @return the format
     */
    public static CheckpointFormat original() {
        return new CheckpointFormat(SourceLayout.ORIGINAL, 0, DType.F32);
    }

    /**
     * The diffusers layout, one F32 transformer weight file.
     *
     * @return the format
     */
    public static CheckpointFormat diffusers() {
        return new CheckpointFormat(SourceLayout.DIFFUSERS, 0, DType.F32);
    }

    /**
     * This format with the transformer split into shards of at most {@code bytes} tensor bytes.
     *
     * @param bytes most tensor bytes per shard; 0 for a single file
     * @return the new format
     */
    public CheckpointFormat withMaxShardBytes(long bytes) {
        return new CheckpointFormat(layout, bytes, transformerDType);
    }

    /**
     * This format with the transformer's tensors stored as {@code dtype}.
     *
     * @param dtype F32, F16 or BF16
     * @return the new format
     */
    public CheckpointFormat withTransformerDType(DType dtype) {
        return new CheckpointFormat(layout, maxShardBytes, dtype);
    }
}
