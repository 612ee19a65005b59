package io.omnigen4j.export.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.config.ConfigException;
import io.omnigen4j.export.config.DiffusersTransformerConfig;
import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.VaeConfig;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.safetensors.ShardedSafetensors;
import io.omnigen4j.export.safetensors.TensorStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An OmniGen checkpoint folder in either {@link SourceLayout}, recognised by the files present: the diffusers layout
 * by {@code transformer/config.json} (with or without {@code model_index.json}), the original by a top-level
 * {@code config.json}. It reads both configurations on {@link #open} (in the diffusers layout mapped to the same
 * {@link Phi3Config}, see {@link DiffusersTransformerConfig}) and hands out the transformer weights under the
 * original names ({@link DiffusersNames}), so everything downstream is the same for both layouts.
 *
 * <p>Weights are one {@code .safetensors} file or shards listed by its {@code .safetensors.index.json} (the single
 * file wins when both exist, as in Hugging Face's loaders). The tokenizer files are at the top in the original
 * layout and in {@code tokenizer/} in the diffusers one. The diffusers {@code scheduler/} is not read: the SDK
 * samples with OmniGen's own schedule, which needs nothing from the checkpoint.
 */
public final class CheckpointFolder {

    /** The diffusers pipeline's index file. */
    public static final String MODEL_INDEX = "model_index.json";
    /** The diffusers pipeline class of OmniGen, as {@code model_index.json} names it. */
    public static final String PIPELINE_CLASS = "OmniGenPipeline";

    private static final String ORIGINAL_HINT = "the original layout (Shitao/OmniGen-v1) holds config.json,"
            + " model.safetensors (or model.safetensors.index.json and its shards), tokenizer.json and vae/"
            + " (config.json + diffusion_pytorch_model.safetensors)";
    private static final String DIFFUSERS_HINT = "the diffusers layout (Shitao/OmniGen-v1-diffusers) holds"
            + " model_index.json, transformer/ (config.json + diffusion_pytorch_model.safetensors or its"
            + " .safetensors.index.json and shards), tokenizer/ (tokenizer.json), vae/ (config.json +"
            + " diffusion_pytorch_model.safetensors) and scheduler/";

    private final Path dir;
    private final SourceLayout layout;
    private final Phi3Config transformer;
    private final VaeConfig vae;

    private CheckpointFolder(Path dir, SourceLayout layout, Phi3Config transformer, VaeConfig vae) {
        this.dir = dir;
        this.layout = layout;
        this.transformer = transformer;
        this.vae = vae;
    }

    /**
     * Recognises the layout of {@code dir}, checks that every file the export needs is there and reads both
     * configurations. Opens no weight file.
     *
     * @param dir the checkpoint folder
     * @return the folder with its layout and configurations
     * @throws CheckpointException when the folder is missing, matches neither layout (the message lists what was
     *                             looked for and what was found) or lacks files (all of them named)
     * @throws ConfigException     when a configuration file is malformed or not exportable
     */
    public static CheckpointFolder open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint folder " + dir + " does not exist; pass the folder of an"
                    + " OmniGen checkpoint: " + ORIGINAL_HINT + "; " + DIFFUSERS_HINT);
        }
        boolean diffusers = Files.isRegularFile(dir.resolve(DiffusersTransformerConfig.FILE_NAME));
        boolean original = Files.isRegularFile(dir.resolve(Phi3Config.FILE_NAME));
        if (diffusers && original) {
            throw new CheckpointException("checkpoint folder " + dir + " holds both config.json (original layout)"
                    + " and transformer/config.json (diffusers layout); keep the files of one layout only");
        }
        if (!diffusers && !original) {
            String what = Files.isRegularFile(dir.resolve(MODEL_INDEX))
                    ? " has model_index.json but no transformer/config.json"
                    : " is not an OmniGen checkpoint: it has neither config.json nor transformer/config.json";
            throw new CheckpointException("checkpoint folder " + dir + what + " (found: " + listing(dir) + "); "
                    + ORIGINAL_HINT + "; " + DIFFUSERS_HINT);
        }
        SourceLayout layout = diffusers ? SourceLayout.DIFFUSERS : SourceLayout.ORIGINAL;
        List<String> missing = new ArrayList<>();
        if (layout == SourceLayout.DIFFUSERS) {
            checkModelIndex(dir);
            requireWeights(dir.resolve("transformer"), "transformer/", "diffusion_pytorch_model", missing);
            require(dir, "tokenizer/tokenizer.json", missing);
        } else {
            requireWeights(dir, "", "model", missing);
            require(dir, "tokenizer.json", missing);
        }
        require(dir, VaeConfig.FILE_NAME, missing);
        requireWeights(dir.resolve("vae"), "vae/", "diffusion_pytorch_model", missing);
        if (!missing.isEmpty()) {
            throw new CheckpointException("checkpoint folder " + dir + " (" + layout.name().toLowerCase()
                    + " layout) has no " + String.join(", no ", missing) + "; "
                    + (layout == SourceLayout.DIFFUSERS ? DIFFUSERS_HINT : ORIGINAL_HINT));
        }
        VaeConfig vae = VaeConfig.readFromCheckpoint(dir);
        Phi3Config phi;
        if (layout == SourceLayout.DIFFUSERS) {
            DiffusersTransformerConfig d = DiffusersTransformerConfig.readFromCheckpoint(dir);
            if (d.inChannels() != vae.latentChannels()) {
                throw new ConfigException(dir.resolve(DiffusersTransformerConfig.FILE_NAME).toString(),
                        "in_channels", "is " + d.inChannels() + " but the VAE's latent_channels is "
                        + vae.latentChannels() + "; the transformer reads and writes VAE latents");
            }
            phi = d.phi3();
        } else {
            phi = Phi3Config.readFromCheckpoint(dir);
        }
        return new CheckpointFolder(dir, layout, phi, vae);
    }

    private static void checkModelIndex(Path dir) throws IOException {
        Path index = dir.resolve(MODEL_INDEX);
        if (!Files.isRegularFile(index)) {
            return; // optional: diffusers loads each component from its own folder
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new CheckpointException(index + " is not valid JSON: " + e.getMessage());
        }
        JsonNode cls = root == null ? null : root.get("_class_name");
        if (cls != null && !PIPELINE_CLASS.equals(cls.asText())) {
            throw new CheckpointException(index + " describes a " + cls.asText() + ", not an " + PIPELINE_CLASS
                    + "; this is not an OmniGen checkpoint");
        }
    }

    private static void require(Path dir, String file, List<String> missing) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            missing.add(file);
        }
    }

    private static void requireWeights(Path folder, String shown, String base, List<String> missing) {
        if (weightsPath(folder, base) == null) {
            missing.add(shown + base + ".safetensors (or " + shown + base + ".safetensors.index.json)");
        }
    }

    /** The single weight file, else the shard index, else null. */
    private static Path weightsPath(Path folder, String base) {
        Path single = folder.resolve(base + ".safetensors");
        if (Files.isRegularFile(single)) {
            return single;
        }
        Path index = folder.resolve(base + ".safetensors.index.json");
        return Files.isRegularFile(index) ? index : null;
    }

    /** Up to 20 entries of {@code dir}, folders marked with a slash. */
    private static String listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
            if (names.isEmpty()) {
                return "nothing";
            }
            return String.join(", ", names.subList(0, Math.min(20, names.size())))
                    + (names.size() > 20 ? ", … (" + names.size() + " entries)" : "");
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * Opens the weights {@code folder/base.safetensors}, or the shards listed by
     * {@code folder/base.safetensors.index.json} when there is no single file.
     *
     * @param folder the folder holding them
     * @param base   file name without {@code .safetensors}
     * @return a memory-mapped store; close it when done
     * @throws IOException when neither exists or a file is invalid
     */
    public static TensorStore openWeights(Path folder, String base) throws IOException {
        Path p = weightsPath(folder, base);
        if (p == null) {
            throw new CheckpointException(folder + " has neither " + base + ".safetensors nor "
                    + base + ".safetensors.index.json");
        }
        return p.getFileName().toString().endsWith(".index.json") ? ShardedSafetensors.open(p)
                : SafetensorsFile.open(p);
    }

    /**
     * The checkpoint folder.
     *
     * @return the folder given to {@link #open}
     */
    public Path dir() {
        return dir;
    }

    /**
     * Which layout the folder is in.
     *
     * @return original or diffusers
     */
    public SourceLayout layout() {
        return layout;
    }

    /**
     * The transformer configuration (in the diffusers layout mapped from {@code transformer/config.json}).
     *
     * @return the validated configuration
     */
    public Phi3Config transformerConfig() {
        return transformer;
    }

    /**
     * {@code vae/config.json}, the same in both layouts.
     *
     * @return the validated configuration
     */
    public VaeConfig vaeConfig() {
        return vae;
    }

    /**
     * The folder holding {@code tokenizer.json} and its companions.
     *
     * @return the top folder (original layout) or {@code tokenizer/} (diffusers layout)
     */
    public Path tokenizerDir() {
        return layout == SourceLayout.DIFFUSERS ? dir.resolve("tokenizer") : dir;
    }

    /**
     * Opens the transformer's weights under the original layout's names (see {@link DiffusersNames}); in the
     * diffusers layout the view is checked to hold nothing but OmniGen transformer tensors.
     *
     * @return a memory-mapped store; close it when done
     * @throws IOException when a file is invalid or a diffusers tensor has no original counterpart
     */
    public TensorStore openTransformerWeights() throws IOException {
        if (layout == SourceLayout.ORIGINAL) {
            return openWeights(dir, "model");
        }
        TensorStore stored = openWeights(dir.resolve("transformer"), "diffusion_pytorch_model");
        try {
            return DiffusersTransformerWeights.over(stored);
        } catch (IOException | RuntimeException e) {
            stored.close();
            throw e;
        }
    }

    /**
     * Opens {@code vae/diffusion_pytorch_model.safetensors} (or its shards), the same in both layouts.
     *
     * @return a memory-mapped store; close it when done
     * @throws IOException when a file is invalid
     */
    public TensorStore openVaeWeights() throws IOException {
        return openWeights(dir.resolve("vae"), "diffusion_pytorch_model");
    }
}
