package io.omnigen4j.export.generate;

import io.omnigen4j.export.config.Phi3Config;
import io.omnigen4j.export.config.VaeConfig;
import io.omnigen4j.export.safetensors.DType;
import io.omnigen4j.export.safetensors.TensorSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The tensor names and shapes of an OmniGen checkpoint for given configs (spec §1.2 and §1.4): what
 * {@code model.safetensors} and {@code vae/diffusion_pytorch_model.safetensors} must contain. Lists are sorted by
 * name, the order PyTorch's safetensors writer uses for same-dtype tensors. All tensors are F32.
 *
 * <p>Used to generate test checkpoints; equally a reference for checking that a real checkpoint is complete.
 */
public final class CheckpointLayout {

    /** OmniGen's patch size (fixed by the model class, not a config field). */
    public static final int PATCH_SIZE = 2;
    /** Side of the stored sin-cos position grid; pos_embed has POS_EMBED_GRID² rows. */
    public static final int POS_EMBED_GRID = 192;
    /** Width of the sinusoidal timestep features fed to time_token and t_embedder. */
    public static final int TIME_FREQ_DIM = 256;

    private CheckpointLayout() {
    }

    /** Keys of {@code model.safetensors}: patch embedders, time MLPs, pos_embed, final layer, Phi-3 LLM. */
    public static List<TensorSpec> transformer(Phi3Config c, int latentChannels) {
        long h = c.hiddenSize();
        long patchOut = (long) PATCH_SIZE * PATCH_SIZE * latentChannels;
        List<TensorSpec> t = new ArrayList<>();
        for (String emb : List.of("x_embedder", "input_x_embedder")) {
            add(t, emb + ".proj.weight", h, latentChannels, PATCH_SIZE, PATCH_SIZE);
            add(t, emb + ".proj.bias", h);
        }
        for (String mlp : List.of("time_token", "t_embedder")) {
            add(t, mlp + ".mlp.0.weight", h, TIME_FREQ_DIM);
            add(t, mlp + ".mlp.0.bias", h);
            add(t, mlp + ".mlp.2.weight", h, h);
            add(t, mlp + ".mlp.2.bias", h);
        }
        add(t, "pos_embed", 1, (long) POS_EMBED_GRID * POS_EMBED_GRID, h);
        add(t, "final_layer.adaLN_modulation.1.weight", 2 * h, h);
        add(t, "final_layer.adaLN_modulation.1.bias", 2 * h);
        add(t, "final_layer.linear.weight", patchOut, h);
        add(t, "final_layer.linear.bias", patchOut);
        add(t, "llm.embed_tokens.weight", c.vocabSize(), h);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "llm.layers." + l + ".";
            add(t, p + "input_layernorm.weight", h);
            add(t, p + "self_attn.qkv_proj.weight", c.qkvRows(), h);
            add(t, p + "self_attn.o_proj.weight", h, (long) c.numAttentionHeads() * c.headDim());
            add(t, p + "post_attention_layernorm.weight", h);
            add(t, p + "mlp.gate_up_proj.weight", 2L * c.intermediateSize(), h);
            add(t, p + "mlp.down_proj.weight", h, c.intermediateSize());
        }
        add(t, "llm.norm.weight", h);
        return sorted(t);
    }

    /**
     * Keys of the diffusers AutoencoderKL: encoder (down blocks, mid block, out), quant convs, decoder (mid block,
     * up blocks with one more resnet each, out). {@code conv_shortcut} only where a resnet changes width. With
     * {@code legacyAttentionNames} the mid-block attention uses the pre-0.14 names {@code query/key/value/proj_attn}.
     */
    public static List<TensorSpec> vae(VaeConfig v, boolean legacyAttentionNames) {
        List<Integer> boc = v.blockOutChannels();
        int n = boc.size();
        int top = boc.get(n - 1);
        List<TensorSpec> t = new ArrayList<>();
        conv(t, "encoder.conv_in", boc.get(0), v.inChannels(), 3);
        int in = boc.get(0);
        for (int i = 0; i < n; i++) {
            int out = boc.get(i);
            for (int j = 0; j < v.layersPerBlock(); j++) {
                resnet(t, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? in : out, out);
            }
            if (i < n - 1) {
                conv(t, "encoder.down_blocks." + i + ".downsamplers.0.conv", out, out, 3);
            }
            in = out;
        }
        midBlock(t, "encoder.mid_block", top, v.midBlockAddAttention(), legacyAttentionNames);
        norm(t, "encoder.conv_norm_out", top);
        conv(t, "encoder.conv_out", 2 * v.latentChannels(), top, 3);
        if (v.useQuantConv()) {
            conv(t, "quant_conv", 2 * v.latentChannels(), 2 * v.latentChannels(), 1);
        }
        if (v.usePostQuantConv()) {
            conv(t, "post_quant_conv", v.latentChannels(), v.latentChannels(), 1);
        }
        conv(t, "decoder.conv_in", top, v.latentChannels(), 3);
        midBlock(t, "decoder.mid_block", top, v.midBlockAddAttention(), legacyAttentionNames);
        in = top;
        for (int i = 0; i < n; i++) {
            int out = boc.get(n - 1 - i);
            for (int j = 0; j < v.layersPerBlock() + 1; j++) {
                resnet(t, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? in : out, out);
            }
            if (i < n - 1) {
                conv(t, "decoder.up_blocks." + i + ".upsamplers.0.conv", out, out, 3);
            }
            in = out;
        }
        norm(t, "decoder.conv_norm_out", boc.get(0));
        conv(t, "decoder.conv_out", v.outChannels(), boc.get(0), 3);
        return sorted(t);
    }

    private static void midBlock(List<TensorSpec> t, String p, int c, boolean attention, boolean legacy) {
        resnet(t, p + ".resnets.0", c, c);
        if (attention) {
            String a = p + ".attentions.0.";
            norm(t, a + "group_norm", c);
            for (String proj : legacy ? List.of("query", "key", "value", "proj_attn")
                    : List.of("to_q", "to_k", "to_v", "to_out.0")) {
                add(t, a + proj + ".weight", c, c);
                add(t, a + proj + ".bias", c);
            }
        }
        resnet(t, p + ".resnets.1", c, c);
    }

    private static void resnet(List<TensorSpec> t, String p, int in, int out) {
        norm(t, p + ".norm1", in);
        conv(t, p + ".conv1", out, in, 3);
        norm(t, p + ".norm2", out);
        conv(t, p + ".conv2", out, out, 3);
        if (in != out) {
            conv(t, p + ".conv_shortcut", out, in, 1);
        }
    }

    private static void conv(List<TensorSpec> t, String p, int out, int in, int k) {
        add(t, p + ".weight", out, in, k, k);
        add(t, p + ".bias", out);
    }

    private static void norm(List<TensorSpec> t, String p, int c) {
        add(t, p + ".weight", c);
        add(t, p + ".bias", c);
    }

    private static void add(List<TensorSpec> t, String name, long... shape) {
        t.add(new TensorSpec(name, DType.F32, shape));
    }

    private static List<TensorSpec> sorted(List<TensorSpec> t) {
        t.sort(Comparator.comparing(TensorSpec::name));
        return List.copyOf(t);
    }
}
