package io.omnigen4j.export.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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

    /** Generates the checkpoint for {@code spec} with {@code seed} into {@code target}; returns the target. */
    public static Path generate(CheckpointSpec spec, long seed, Path target) throws IOException {
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
            writeAll(spec, seed, temp);
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

    private static void writeAll(CheckpointSpec spec, long seed, Path dir) throws IOException {
        Map<String, String> meta = SafetensorsWriter.metadata("format", "pt",
                "generator", "omnigen4j RandomCheckpointGenerator", "seed", Long.toString(seed));
        JSON.writeValue(dir.resolve("config.json").toFile(), transformerConfigJson(spec.transformer()));
        TokenizerJsonBuilder.phi3Style().writeTo(dir);
        writeTensors(dir.resolve("model.safetensors"),
                CheckpointLayout.transformer(spec.transformer(), spec.latentChannels()), seed, meta);
        Path vae = Files.createDirectory(dir.resolve("vae"));
        JSON.writeValue(vae.resolve("config.json").toFile(), vaeConfigJson(spec.vae()));
        writeTensors(vae.resolve("diffusion_pytorch_model.safetensors"),
                CheckpointLayout.vae(spec.vae(), spec.legacyVaeAttentionNames()), seed, meta);
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
