package io.omnigen4j.export.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.checkpoint.DiffusersNames;
import io.omnigen4j.export.checkpoint.SourceLayout;
import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.RopeScaling;
import io.omnigen4j.export.config.VaeConfig;
import io.omnigen4j.export.safetensors.SafetensorsWriter;
import io.omnigen4j.export.safetensors.TensorSpec;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes a randomly initialised OmniGen checkpoint in the real folder layout, for tests and for exercising the
 * exporter at any size without downloading 15 GB:
 * <pre>
 * config.json                              Phi-3 config (same fields as a transformers-written one)
 * model.safetensors                        {@link CheckpointLayout#transformer} keys, F32
 * tokenizer.json, tokenizer_config.json, special_tokens_map.json   from {@link TokenizerJsonBuilder}
 * vae/config.json                          diffusers AutoencoderKL config
 * vae/diffusion_pytorch_model.safetensors  {@link CheckpointLayout#vae} keys, F32
 * </pre>
 * {@link #generate(CheckpointSpec, long, Path, CheckpointFormat)} writes the same weights in the diffusers layout
 * instead ({@code model_index.json}, {@code transformer/} with {@code qkv_proj} split into {@code to_q/to_k/to_v}
 * and the other names of {@link DiffusersNames}, {@code tokenizer/}, {@code scheduler/}, {@code vae/}), and either
 * layout with the transformer sharded ({@code *.safetensors.index.json}) or stored as F16/BF16.
 * Values follow {@link WeightInit} and are a pure function of (spec, seed): the same inputs give identical bytes.
 * Tensors are generated in chunks straight into a {@link SafetensorsWriter}, so heap use does not grow with the
 * checkpoint (a multi-GB checkpoint generates under {@code -Xmx1g}).
 *
 * <p>Everything is written into a hidden temporary folder beside the target, which is renamed to the target at the
 * end; on failure the temporary folder is deleted. The target must not exist or must be an empty folder.
 */
public final class RandomCheckpointGenerator {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RandomCheckpointGenerator() {
    }

    /**
     * Generates the checkpoint for {@code spec} with {@code seed} into {@code target}, original layout.
     *
     * @param spec   model sizes and configuration
     * @param seed   seed of the weights
     * @param target folder to create (absent or empty)
     * @return the target, absolute
     * @throws IOException when the target is not free or writing fails (nothing is left behind)
     */
    public static Path generate(CheckpointSpec spec, long seed, Path target) throws IOException {
        return generate(spec, seed, target, CheckpointFormat.original());
    }

    /**
     * Generates the checkpoint for {@code spec} with {@code seed} into {@code target} in {@code format}: the
     * same values as {@link #generate(CheckpointSpec, long, Path)}, laid out as the format says.
     *
     * @param spec   model sizes and configuration
     * @param seed   seed of the weights
     * @param target folder to create (absent or empty)
     * @param format layout, sharding and transformer dtype
     * @return the target, absolute
     * @throws IOException when the target is not free or writing fails (nothing is left behind)
     * @throws IllegalArgumentException for the diffusers layout without LongRoPE: diffusers'
     *                                  {@code OmniGenTransformer2DModel} cannot express plain RoPE
     */
    public static Path generate(CheckpointSpec spec, long seed, Path target, CheckpointFormat format)
            throws IOException {
        java.util.Objects.requireNonNull(format, "format");
        if (format.layout() == SourceLayout.DIFFUSERS && spec.transformer().ropeScaling() == null) {
            throw new IllegalArgumentException("the diffusers layout needs LongRoPE (rope_scaling): diffusers'"
                    + " OmniGenTransformer2DModel always applies it; build the spec with longRope(...)");
        }
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new IOException(target + ": cannot generate into a file-system root");
        }
        Files.createDirectories(parent);
        checkTargetFree(abs);
        // Not Files.createTempDirectory: that makes the folder owner-only (0700), which the rename would keep.
        Path temp = Files.createDirectory(parent.resolve("." + abs.getFileName() + "."
                + Long.toHexString(new java.security.SecureRandom().nextLong()) + ".partial"));
        try {
            writeAll(spec, seed, temp, format);
            if (Files.isDirectory(abs)) {
                Files.delete(abs); // empty (checked above); a folder appearing meanwhile makes this fail safely
            }
            try {
                Files.move(temp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, abs);
            }
            return abs;
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(temp);
            throw e;
        }
    }

    private static void checkTargetFree(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists and is not a folder");
        }
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) {
                throw new DirectoryNotEmptyException(target + " (refusing to overwrite a non-empty folder)");
            }
        }
    }

    private static void writeAll(CheckpointSpec spec, long seed, Path dir, CheckpointFormat format)
            throws IOException {
        Map<String, String> meta = SafetensorsWriter.metadata("format", "pt",
                "generator", "omnigen4j RandomCheckpointGenerator", "seed", Long.toString(seed));
        List<TensorSpec> original = CheckpointLayout.transformer(spec.transformer(), spec.latentChannels());
        if (format.layout() == SourceLayout.ORIGINAL) {
            JSON.writeValue(dir.resolve("config.json").toFile(), transformerConfigJson(spec.transformer()));
            TokenizerJsonBuilder.phi3Style().writeTo(dir);
            writeWeights(dir, "model", planOriginal(original, seed, format), format.maxShardBytes(), meta);
        } else {
            JSON.writeValue(dir.resolve("model_index.json").toFile(), modelIndexJson());
            Path transformer = Files.createDirectory(dir.resolve("transformer"));
            JSON.writeValue(transformer.resolve("config.json").toFile(),
                    diffusersTransformerConfigJson(spec.transformer(), spec.latentChannels()));
            TokenizerJsonBuilder.phi3Style().writeTo(Files.createDirectory(dir.resolve("tokenizer")));
            Path scheduler = Files.createDirectory(dir.resolve("scheduler"));
            JSON.writeValue(scheduler.resolve("scheduler_config.json").toFile(), schedulerConfigJson());
            writeWeights(transformer, "diffusion_pytorch_model", planDiffusers(original, spec.transformer(), seed,
                    format), format.maxShardBytes(), meta);
        }
        Path vae = Files.createDirectory(dir.resolve("vae"));
        JSON.writeValue(vae.resolve("config.json").toFile(), vaeConfigJson(spec.vae()));
        writeTensors(vae.resolve("diffusion_pytorch_model.safetensors"),
                CheckpointLayout.vae(spec.vae(), spec.legacyVaeAttentionNames()), seed, meta);
    }

    /** A tensor to write and where its values come from. */
    private record Planned(TensorSpec spec, SafetensorsWriter.FloatSource source) {
    }

    private static List<Planned> planOriginal(List<TensorSpec> original, long seed, CheckpointFormat format) {
        List<Planned> out = new ArrayList<>();
        for (TensorSpec t : original) {
            out.add(new Planned(new TensorSpec(t.name(), format.transformerDType(), t.shape()),
                    WeightInit.source(t, seed)));
        }
        return out;
    }

    /**
     * The original tensors under their diffusers names ({@link DiffusersNames}); {@code qkv_proj} becomes its three
     * row blocks, each drawing the same values as the fused tensor's rows. Sorted by name, as PyTorch writes.
     */
    private static List<Planned> planDiffusers(List<TensorSpec> original, Phi3Config c, long seed,
                                               CheckpointFormat format) {
        Map<String, Planned> out = new TreeMap<>();
        long qRows = (long) c.numAttentionHeads() * c.headDim();
        long kvRows = (long) c.numKeyValueHeads() * c.headDim();
        for (TensorSpec t : original) {
            List<String> names = DiffusersNames.toDiffusers(t.name());
            if (names.size() == 1) {
                out.put(names.get(0), new Planned(new TensorSpec(names.get(0), format.transformerDType(), t.shape()),
                        WeightInit.source(t, seed)));
            } else if (names.size() == 3) {
                long cols = t.shape()[1];
                long[] rows = {qRows, kvRows, kvRows};
                long skip = 0;
                for (int i = 0; i < 3; i++) {
                    out.put(names.get(i), new Planned(new TensorSpec(names.get(i), format.transformerDType(),
                            new long[] {rows[i], cols}), skipping(WeightInit.source(t, seed), skip)));
                    skip += rows[i] * cols;
                }
            } else {
                throw new IllegalStateException("no diffusers name for " + t.name());
            }
        }
        return List.copyOf(out.values());
    }

    /** Elements {@code skip, skip + 1, …} of {@code source}: the values of a later row block of a fused tensor. */
    private static SafetensorsWriter.FloatSource skipping(SafetensorsWriter.FloatSource source, long skip) {
        if (skip == 0) {
            return source;
        }
        return new SafetensorsWriter.FloatSource() {
            private boolean skipped;

            @Override
            public void fill(long first, float[] dst, int count) throws IOException {
                if (!skipped) {
                    float[] scratch = new float[1 << 16];
                    for (long i = 0; i < skip; i += scratch.length) {
                        source.fill(i, scratch, (int) Math.min(scratch.length, skip - i));
                    }
                    skipped = true;
                }
                source.fill(skip + first, dst, count);
            }
        };
    }

    /**
     * {@code folder/base.safetensors}, or with {@code maxShardBytes} > 0 and more than one shard,
     * {@code base-0000i-of-0000n.safetensors} plus {@code base.safetensors.index.json} as Hugging Face writes them
     * (a shard closes when the next tensor would push it past the limit).
     */
    private static void writeWeights(Path folder, String base, List<Planned> tensors, long maxShardBytes,
                                     Map<String, String> meta) throws IOException {
        List<List<Planned>> shards = new ArrayList<>();
        List<Planned> current = new ArrayList<>();
        long bytes = 0;
        long total = 0;
        for (Planned p : tensors) {
            long size = p.spec().elementCount() * p.spec().dtype().byteSize();
            if (maxShardBytes > 0 && !current.isEmpty() && bytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(p);
            bytes += size;
            total += size;
        }
        shards.add(current);
        if (shards.size() == 1) {
            writeShard(folder.resolve(base + ".safetensors"), current, meta);
            return;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("%s-%05d-of-%05d.safetensors", base, i + 1, shards.size());
            writeShard(folder.resolve(file), shards.get(i), meta);
            shards.get(i).forEach(p -> weightMap.put(p.spec().name(), file));
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        JSON.writeValue(folder.resolve(base + ".safetensors.index.json").toFile(), index);
    }

    private static void writeShard(Path file, List<Planned> tensors, Map<String, String> meta) throws IOException {
        try (SafetensorsWriter w = SafetensorsWriter.create(file, tensors.stream().map(Planned::spec).toList(),
                meta)) {
            for (Planned p : tensors) {
                w.writeFloats(p.spec().name(), p.source());
            }
        }
    }

    /** transformer/config.json as diffusers' save_pretrained writes an OmniGenTransformer2DModel config. */
    static ObjectNode diffusersTransformerConfigJson(Phi3Config c, int latentChannels) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "OmniGenTransformer2DModel");
        n.put("_diffusers_version", "0.33.1");
        n.put("downscale_freq_shift", 0);
        n.put("flip_sin_to_cos", true);
        n.put("hidden_size", c.hiddenSize());
        n.put("in_channels", latentChannels);
        n.put("intermediate_size", c.intermediateSize());
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        n.put("num_attention_heads", c.numAttentionHeads());
        n.put("num_key_value_heads", c.numKeyValueHeads());
        n.put("num_layers", c.numHiddenLayers());
        n.put("original_max_position_embeddings", c.originalMaxPositionEmbeddings());
        n.put("pad_token_id", 32000);
        n.put("patch_size", CheckpointLayout.PATCH_SIZE);
        n.put("pos_embed_max_size", CheckpointLayout.POS_EMBED_GRID);
        n.put("rms_norm_eps", c.rmsNormEps());
        if (c.ropeTheta() == Math.rint(c.ropeTheta()) && Math.abs(c.ropeTheta()) < 1e15) {
            n.put("rope_base", (long) c.ropeTheta()); // an int in diffusers' signature
        } else {
            n.put("rope_base", c.ropeTheta());
        }
        RopeScaling r = c.ropeScaling();
        ObjectNode rs = n.putObject("rope_scaling");
        ArrayNode lf = rs.putArray("long_factor");
        r.longFactor().forEach(lf::add);
        ArrayNode sf = rs.putArray("short_factor");
        r.shortFactor().forEach(sf::add);
        rs.put("type", r.type());
        n.put("time_step_dim", CheckpointLayout.TIME_FREQ_DIM);
        n.put("timestep_activation_fn", "silu");
        n.put("vocab_size", c.vocabSize());
        return n;
    }

    /** model_index.json of diffusers' OmniGenPipeline. */
    static ObjectNode modelIndexJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "OmniGenPipeline");
        n.put("_diffusers_version", "0.33.1");
        n.putArray("scheduler").add("diffusers").add("FlowMatchEulerDiscreteScheduler");
        n.putArray("tokenizer").add("transformers").add("LlamaTokenizerFast");
        n.putArray("transformer").add("diffusers").add("OmniGenTransformer2DModel");
        n.putArray("vae").add("diffusers").add("AutoencoderKL");
        return n;
    }

    /** scheduler/scheduler_config.json with what diffusers' conversion script sets (the exporter does not read it). */
    static ObjectNode schedulerConfigJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "FlowMatchEulerDiscreteScheduler");
        n.put("_diffusers_version", "0.33.1");
        n.put("invert_sigmas", true);
        n.put("num_train_timesteps", 1);
        return n;
    }

    private static void writeTensors(Path file, List<TensorSpec> specs, long seed, Map<String, String> meta)
            throws IOException {
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, meta)) {
            for (TensorSpec t : specs) {
                w.writeFloats(t.name(), WeightInit.source(t, seed));
            }
        }
    }

    /** config.json as transformers writes a Phi3Config (sorted keys, unused fields at their defaults). */
    static ObjectNode transformerConfigJson(Phi3Config c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", 1);
        n.put("embd_pdrop", 0.0);
        n.put("eos_token_id", 32000);
        n.put("hidden_act", c.hiddenAct());
        n.put("hidden_size", c.hiddenSize());
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", c.intermediateSize());
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        n.put("model_type", "phi3");
        n.put("num_attention_heads", c.numAttentionHeads());
        n.put("num_hidden_layers", c.numHiddenLayers());
        n.put("num_key_value_heads", c.numKeyValueHeads());
        n.put("original_max_position_embeddings", c.originalMaxPositionEmbeddings());
        n.put("pad_token_id", 32000);
        n.put("resid_pdrop", 0.0);
        n.put("rms_norm_eps", c.rmsNormEps());
        RopeScaling r = c.ropeScaling();
        if (r == null) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode rs = n.putObject("rope_scaling");
            ArrayNode lf = rs.putArray("long_factor");
            r.longFactor().forEach(lf::add);
            ArrayNode sf = rs.putArray("short_factor");
            r.shortFactor().forEach(sf::add);
            rs.put("type", r.type());
        }
        n.put("rope_theta", c.ropeTheta());
        n.putNull("sliding_window");
        n.put("tie_word_embeddings", false);
        n.put("torch_dtype", "float32");
        n.put("transformers_version", "4.45.2");
        n.put("use_cache", true);
        n.put("vocab_size", c.vocabSize());
        return n;
    }

    /** vae/config.json as diffusers writes an AutoencoderKL config. */
    static ObjectNode vaeConfigJson(VaeConfig v) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "AutoencoderKL");
        n.put("_diffusers_version", "0.30.3");
        n.put("act_fn", v.actFn());
        ArrayNode boc = n.putArray("block_out_channels");
        v.blockOutChannels().forEach(boc::add);
        ArrayNode down = n.putArray("down_block_types");
        v.downBlockTypes().forEach(down::add);
        n.put("force_upcast", true);
        n.put("in_channels", v.inChannels());
        n.put("latent_channels", v.latentChannels());
        n.putNull("latents_mean");
        n.putNull("latents_std");
        n.put("layers_per_block", v.layersPerBlock());
        n.put("mid_block_add_attention", v.midBlockAddAttention());
        n.put("norm_num_groups", v.normNumGroups());
        n.put("out_channels", v.outChannels());
        n.put("sample_size", v.sampleSize());
        n.put("scaling_factor", v.scalingFactor());
        if (v.shiftFactor() == null) {
            n.putNull("shift_factor");
        } else {
            n.put("shift_factor", v.shiftFactor());
        }
        ArrayNode up = n.putArray("up_block_types");
        v.upBlockTypes().forEach(up::add);
        n.put("use_post_quant_conv", v.usePostQuantConv());
        n.put("use_quant_conv", v.useQuantConv());
        return n;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: leave what cannot be removed
                }
            });
        } catch (IOException ignored) {
            // root already gone
        }
    }
}
