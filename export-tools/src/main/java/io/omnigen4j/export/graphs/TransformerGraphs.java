package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.Value;

import static io.omnigen4j.export.graphs.Ops.add;
import static io.omnigen4j.export.graphs.Ops.concat;
import static io.omnigen4j.export.graphs.Ops.linear;
import static io.omnigen4j.export.graphs.Ops.mul;
import static io.omnigen4j.export.graphs.Ops.reshape;
import static io.omnigen4j.export.graphs.Ops.rmsNorm;
import static io.omnigen4j.export.graphs.Ops.silu;
import static io.omnigen4j.export.graphs.Ops.transpose;
import static io.omnigen4j.export.graphs.Ops.unsqueeze;

/**
 * The OmniGen transformer split into four graphs that share one weight file:
 * <ul>
 *   <li>{@code token_embed}: token ids → embeddings (a Gather on {@code llm.embed_tokens}).</li>
 *   <li>{@code image_embed}: an input image's VAE latents → its tokens ({@code input_x_embedder} + the cropped
 *       sin-cos table, cropped by the {@code pos_index} the caller computes).</li>
 *   <li>{@code transformer_prefill}: condition embeddings → every layer's rotated K and V. Condition tokens never
 *       attend to the time or output tokens, so their K/V are the same at every step: computed once per
 *       generation.</li>
 *   <li>{@code transformer_step}: noisy latents + timestep + the cached condition K/V → velocity. The additive
 *       mask decides what the new tokens see, so both the reference's step-0 behaviour (condition keys only) and
 *       the correct one are expressible.</li>
 * </ul>
 * RoPE tables (cos/sin per token, LongRoPE factor and attention scale applied) come from the caller, which alone
 * knows the full sequence length of a call and so makes the short/long factor choice once for prefill and steps.
 */
public final class TransformerGraphs {

    public static final String TOKEN_EMBED = "token_embed";
    public static final String IMAGE_EMBED = "image_embed";
    public static final String PREFILL = "transformer_prefill";
    public static final String STEP = "transformer_step";

    private final TransformerDims d;
    private final CheckpointWeights w;

    public TransformerGraphs(TransformerDims dims, CheckpointWeights weights) {
        this.d = dims;
        this.w = weights;
    }

    public static String pastKey(int layer) {
        return "past_key_" + layer;
    }

    public static String pastValue(int layer) {
        return "past_value_" + layer;
    }

    public static String presentKey(int layer) {
        return "present_key_" + layer;
    }

    public static String presentValue(int layer) {
        return "present_value_" + layer;
    }

    // ---- token_embed ------------------------------------------------------------------------------------------

    public GraphBuilder tokenEmbed() {
        GraphBuilder g = new GraphBuilder(TOKEN_EMBED);
        Value ids = g.input("input_ids", OnnxType.INT64, "batch", "seq");
        Value table = w.plain(g, "llm.embed_tokens.weight", d.vocab(), d.hidden());
        Value e = g.op("Gather").in(table, ids).attr("axis", 0L).out();
        g.output(e, "embeds", OnnxType.FLOAT, "batch", "seq", d.hidden());
        return g;
    }

    // ---- image_embed ------------------------------------------------------------------------------------------

    public GraphBuilder imageEmbed() {
        GraphBuilder g = new GraphBuilder(IMAGE_EMBED);
        Value latents = g.input("latents", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        Value posIndex = g.input("pos_index", OnnxType.INT64, "tokens");
        Value tokens = patchTokens(g, latents, posIndex, "input_x_embedder");
        g.output(tokens, "tokens", OnnxType.FLOAT, "batch", "tokens", d.hidden());
        return g;
    }

    /** Conv patch embedding → [B, tokens, hidden] (row-major over patches) + the gathered position rows. */
    private Value patchTokens(GraphBuilder g, Value latents, Value posIndex, String prefix) {
        int p = d.patchSize();
        Value kernel = w.plain(g, prefix + ".proj.weight", d.hidden(), d.latentChannels(), p, p);
        Value bias = w.plain(g, prefix + ".proj.bias", d.hidden());
        Value conv = g.op("Conv").in(latents, kernel, bias).attr("strides", (long) p, (long) p)
                .attr("kernel_shape", (long) p, (long) p).out();
        Value flat = reshape(g, conv, 0, d.hidden(), -1);
        Value tokens = transpose(g, flat, 0, 2, 1);
        Value pos = g.op("Gather").in(posTable(g), posIndex).attr("axis", 0L).out();
        return add(g, tokens, pos);
    }

    private Value posTable(GraphBuilder g) {
        long rows = (long) d.posEmbedMaxSize() * d.posEmbedMaxSize();
        return w.reshaped(g, "pos_embed", new long[] {1, rows, d.hidden()}, rows, d.hidden());
    }

    // ---- prefill ----------------------------------------------------------------------------------------------

    public GraphBuilder prefill() {
        GraphBuilder g = new GraphBuilder(PREFILL);
        int half = d.headDim() / 2;
        Value h = g.input("inputs_embeds", OnnxType.FLOAT, "batch", "cond_len", d.hidden());
        Value mask = g.input("attention_mask", OnnxType.FLOAT, "batch", 1, "cond_len", "cond_len");
        Value cos = g.input("rope_cos", OnnxType.FLOAT, "batch", "cond_len", half);
        Value sin = g.input("rope_sin", OnnxType.FLOAT, "batch", "cond_len", half);
        for (int i = 0; i < d.layers(); i++) {
            final int layer = i;
            Value[] state = {h};
            g.scoped("layer" + i, () -> {
                boolean last = layer == d.layers() - 1;
                state[0] = decoderLayer(g, layer, state[0], mask, cos, sin, null, null, true, !last);
            });
            h = state[0];
        }
        return g;
    }

    // ---- step -------------------------------------------------------------------------------------------------

    public GraphBuilder step() {
        GraphBuilder g = new GraphBuilder(STEP);
        int half = d.headDim() / 2;
        Value latents = g.input("latents", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        Value timestep = g.input("timestep", OnnxType.FLOAT, "batch");
        Value posIndex = g.input("pos_index", OnnxType.INT64, "tokens");
        Value mask = g.input("attention_mask", OnnxType.FLOAT, "batch", 1, "new_len", "total_len");
        Value cos = g.input("rope_cos", OnnxType.FLOAT, "batch", "new_len", half);
        Value sin = g.input("rope_sin", OnnxType.FLOAT, "batch", "new_len", half);
        Value[] pastK = new Value[d.layers()];
        Value[] pastV = new Value[d.layers()];
        for (int i = 0; i < d.layers(); i++) {
            pastK[i] = g.input(pastKey(i), OnnxType.FLOAT, "batch", d.kvHeads(), "cond_len", d.headDim());
            pastV[i] = g.input(pastValue(i), OnnxType.FLOAT, "batch", d.kvHeads(), "cond_len", d.headDim());
        }

        Value[] emb = new Value[3];
        g.scoped("embed", () -> {
            Value features = timestepFeatures(g, timestep);
            Value timeToken = mlp2(g, "time_token.mlp", features);
            emb[0] = unsqueeze(g, timeToken, 1);
            emb[1] = mlp2(g, "t_embedder.mlp", features);
            emb[2] = patchTokens(g, latents, posIndex, "x_embedder");
        });
        Value h = concat(g, 1, emb[0], emb[2]);
        for (int i = 0; i < d.layers(); i++) {
            final int layer = i;
            Value[] state = {h};
            g.scoped("layer" + i, () ->
                    state[0] = decoderLayer(g, layer, state[0], mask, cos, sin, pastK[layer], pastV[layer], false, true));
            h = state[0];
        }
        Value normed = rmsNorm(g, h, w.plain(g, "llm.norm.weight", d.hidden()), d.rmsEps());
        // Drop the time token: the head sees only the N output-image tokens.
        Value imageStates = g.op("Slice").in(normed, g.constLongs(1), g.constLongs(Long.MAX_VALUE), g.constLongs(1)).out();
        Value[] out = new Value[1];
        g.scoped("final_layer", () -> out[0] = finalLayer(g, imageStates, emb[1], latents));
        g.output(out[0], "velocity", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        return g;
    }

    /** [cos(t·f) | sin(t·f)] with f_j = exp(−ln(10000)·j/128) rounded as the reference's float32 ops. */
    private Value timestepFeatures(GraphBuilder g, Value t) {
        int half = TransformerDims.TIME_FEATURES / 2;
        float[] freqs = new float[half];
        float c = (float) -Math.log(10000.0);
        for (int j = 0; j < half; j++) {
            float x = c * (float) j;
            x = x / (float) half;
            freqs[j] = (float) Math.exp(x);
        }
        Value args = g.op("Mul").in(unsqueeze(g, t, 1), g.constFloats(freqs, 1, half)).out();
        return concat(g, -1, g.op("Cos").in(args).out(), g.op("Sin").in(args).out());
    }

    /** Linear → SiLU → Linear, as OmniGen's TimestepEmbedder. */
    private Value mlp2(GraphBuilder g, String prefix, Value x) {
        Value w0 = w.linearT(g, prefix + ".0.weight", d.hidden(), TransformerDims.TIME_FEATURES);
        Value b0 = w.plain(g, prefix + ".0.bias", d.hidden());
        Value w2 = w.linearT(g, prefix + ".2.weight", d.hidden(), d.hidden());
        Value b2 = w.plain(g, prefix + ".2.bias", d.hidden());
        return linear(g, silu(g, linear(g, x, w0, b0)), w2, b2);
    }

    /**
     * One Phi-3 decoder layer. In prefill mode the rotated K and V become the graph outputs
     * {@code present_key_i}/{@code present_value_i}; {@code full=false} stops after them (the last layer's output
     * is not needed to build the cache). In step mode the cached K/V are prepended inside Attention.
     */
    private Value decoderLayer(GraphBuilder g, int i, Value h, Value mask, Value cos, Value sin, Value pastK,
                               Value pastV, boolean prefill, boolean full) {
        String p = "llm.layers." + i + ".";
        int hd = d.headDim();
        int qDim = d.heads() * hd;
        int kvDim = d.kvHeads() * hd;
        Value x = rmsNorm(g, h, w.plain(g, p + "input_layernorm.weight", d.hidden()), d.rmsEps());
        // Separate q/k/v (and gate/up) MatMuls on row blocks of the fused checkpoint weights: the same products
        // without the Split copies of the fused outputs (about 2-3 % of a step on the CPU).
        String qkvName = p + "self_attn.qkv_proj.weight";
        long qkvRows = qDim + 2L * kvDim;
        Value k = g.op("MatMul").in(x, w.linearRowsT(g, qkvName, qkvRows, d.hidden(), qDim, kvDim)).out();
        Value v = g.op("MatMul").in(x, w.linearRowsT(g, qkvName, qkvRows, d.hidden(), qDim + kvDim, kvDim)).out();
        k = rope(g, k, cos, sin, d.kvHeads());
        if (prefill) {
            g.output(headsFirst(g, k), presentKey(i), OnnxType.FLOAT, "batch", d.kvHeads(), "cond_len", hd);
            g.output(headsFirst(g, v), presentValue(i), OnnxType.FLOAT, "batch", d.kvHeads(), "cond_len", hd);
            if (!full) {
                return null; // the cache needs only K and V
            }
        }
        Value q = g.op("MatMul").in(x, w.linearRowsT(g, qkvName, qkvRows, d.hidden(), 0, qDim)).out();
        q = rope(g, q, cos, sin, d.heads());
        GraphBuilder.NodeBuilder att = g.op("Attention").in(q, k, v, mask)
                .attr("q_num_heads", (long) d.heads()).attr("kv_num_heads", (long) d.kvHeads());
        if (pastK != null) {
            att.in(pastK, pastV);
        }
        // ORT's CPU kernel requires present_key/value whenever past is given (it attends over them).
        Value attn = att.outs(pastK != null ? 3 : 1)[0];
        Value o = g.op("MatMul").in(attn, w.linearT(g, p + "self_attn.o_proj.weight", d.hidden(), qDim)).out();
        h = add(g, h, o);
        Value x2 = rmsNorm(g, h, w.plain(g, p + "post_attention_layernorm.weight", d.hidden()), d.rmsEps());
        String guName = p + "mlp.gate_up_proj.weight";
        int inter = d.intermediate();
        Value gate = g.op("MatMul").in(x2, w.linearRowsT(g, guName, 2L * inter, d.hidden(), 0, inter)).out();
        Value up = g.op("MatMul").in(x2, w.linearRowsT(g, guName, 2L * inter, d.hidden(), inter, inter)).out();
        Value act = mul(g, up, silu(g, gate));
        Value down = g.op("MatMul").in(act, w.linearT(g, p + "mlp.down_proj.weight", d.hidden(), inter)).out();
        return add(g, h, down);
    }

    /** RotaryEmbedding-23 on [B, S, heads·hd] with per-token half tables (non-interleaved halves). */
    private Value rope(GraphBuilder g, Value x, Value cos, Value sin, int numHeads) {
        return g.op("RotaryEmbedding").in(x, cos, sin).attr("interleaved", 0L).attr("num_heads", (long) numHeads).out();
    }

    /** [B, S, heads·hd] → [B, heads, S, hd], the KV-cache layout of Attention-23. */
    private Value headsFirst(GraphBuilder g, Value x) {
        Value r = reshape(g, x, 0, 0, d.kvHeads(), d.headDim());
        return transpose(g, r, 0, 2, 1, 3);
    }

    /** LayerNorm (no affine) → adaLN modulation → linear → unpatchify to [B, C, h, w]. */
    private Value finalLayer(GraphBuilder g, Value x, Value c, Value latents) {
        int hidden = d.hidden();
        float[] ones = new float[hidden];
        java.util.Arrays.fill(ones, 1f);
        Value scaleOnes = g.constFloats(ones, hidden);
        Value norm = g.op("LayerNormalization").in(x, scaleOnes).attr("axis", -1L).attr("epsilon", 1e-6f).out();
        Value modW = w.linearT(g, "final_layer.adaLN_modulation.1.weight", 2L * hidden, hidden);
        Value modB = w.plain(g, "final_layer.adaLN_modulation.1.bias", 2L * hidden);
        Value mod = linear(g, silu(g, c), modW, modB);
        Value[] shiftScale = g.op("Split").in(mod, g.constLongs(hidden, hidden)).attr("axis", -1L).outs(2);
        Value shift = unsqueeze(g, shiftScale[0], 1);
        Value scale = unsqueeze(g, shiftScale[1], 1);
        Value modulated = add(g, mul(g, norm, add(g, scale, g.constFloat(1f))), shift);
        Value linW = w.linearT(g, "final_layer.linear.weight", d.patchValues(), hidden);
        Value linB = w.plain(g, "final_layer.linear.bias", d.patchValues());
        Value patches = linear(g, modulated, linW, linB);
        return unpatchify(g, patches, latents);
    }

    /** [B, hp·wp, p·p·C] with features ordered (p, q, c) → [B, C, hp·p, wp·p]. */
    private Value unpatchify(GraphBuilder g, Value patches, Value latents) {
        long p = d.patchSize();
        long ch = d.latentChannels();
        Value shape = g.op("Shape").in(latents).out();
        Value hw = g.op("Slice").in(shape, g.constLongs(2), g.constLongs(4), g.constLongs(0)).out();
        Value hpwp = g.op("Div").in(hw, g.constLongs(p)).out();
        Value batch = g.op("Slice").in(shape, g.constLongs(0), g.constLongs(1), g.constLongs(0)).out();
        Value six = concat(g, 0, batch, hpwp, g.constLongs(p, p, ch));
        Value grid = reshape(g, patches, six);
        Value moved = transpose(g, grid, 0, 5, 1, 3, 2, 4);
        return reshape(g, moved, shape);
    }
}
