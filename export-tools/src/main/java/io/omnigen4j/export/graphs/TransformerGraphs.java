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
 * The OmniGen transformer as five graphs. The 3.8 B decoder weights live in exactly one of them, so a loaded model
 * holds one (pre-packed) copy of them:
 * <ul>
 *   <li>{@code token_embed}: token ids → embeddings (a Gather on {@code llm.embed_tokens}, or its quantized form).</li>
 *   <li>{@code image_embed}: an input image's VAE latents → its tokens ({@code input_x_embedder} + the cropped
 *       sin-cos table, cropped by the {@code pos_index} the caller computes).</li>
 *   <li>{@code step_embed}: noisy latents + timestep → the step's new tokens (time token, then the output-image
 *       tokens) and the timestep embedding the head modulates with.</li>
 *   <li>{@code transformer}: the Phi-3 decoder, LLM style: new tokens' embeddings + every layer's past K/V →
 *       the last hidden states and the rotated K/V of the first {@code cache_tokens} new tokens. The prefill runs
 *       it on the condition with an empty past and {@code cache_tokens} = all (its K/V are the same at every step:
 *       condition tokens never attend to the time or output tokens); each step runs it on the time and image
 *       tokens with the condition as past and {@code cache_tokens} = 0, so no per-step K/V is materialised. The
 *       additive mask decides what the new tokens see, so the reference's step-0 behaviour (condition keys only)
 *       and the correct one are both expressible.</li>
 *   <li>{@code step_head}: final RMSNorm, adaLN-modulated final layer and unpatchify → velocity.</li>
 * </ul>
 * RoPE tables (cos/sin per token, LongRoPE factor and attention scale applied) come from the caller, which alone
 * knows the full sequence length of a call and so makes the short/long factor choice once for prefill and steps.
 *
 * <p><b>Half precision</b> ({@link WeightFormat#half()}: {@code --precision fp16|bf16}, for GPUs). The weights are
 * stored in float16/bfloat16 and the projections, RoPE, attention, the MLP, the patch embedding and the time MLPs
 * compute in it, while every graph input and output stays float32 (a Cast at the boundary), so the SDK and the
 * manifest's I/O contract do not change. Kept in float32: the RMS norms (and their gains), the final LayerNorm and
 * adaLN modulation arithmetic, the timestep features, and the residual stream between the layers (each sub-layer's
 * output is cast up and added in float32; measured against a float16 residual in conformance/README.md). The
 * softmax runs in float32 inside ONNX Runtime's Attention kernels (the graphs set no {@code softmax_precision}, which
 * its CUDA kernel refuses); the additive mask is clamped to the half type's lowest finite value before the cast
 * (−FLT_MAX would become −inf). The float32 and quantized graphs are unchanged: every
 * half-precision node is added only in half mode.
 */
public final class TransformerGraphs {

    public static final String TOKEN_EMBED = "token_embed";
    public static final String IMAGE_EMBED = "image_embed";
    public static final String STEP_EMBED = "step_embed";
    public static final String DECODER = "transformer";
    public static final String STEP_HEAD = "step_head";

    /**
     * Heads per Attention node. ONNX Runtime's CPU Attention materialises the scores of all its heads at once
     * ([batch, heads, new, total] floats): for OmniGen-v1 at 1024² that is 2.2 GB per layer for text-to-image and
     * 4.3 GB for an edit. Attention over groups of at most this many heads bounds it (identical results: heads are
     * independent); models with at most this many heads keep a single Attention node.
     */
    public static final int DEFAULT_HEADS_PER_ATTENTION = 8;

    /** Lowest finite bfloat16 value (0xFF7F), the mask's clamp in bfloat16 graphs. */
    static final float BF16_LOWEST = -0x1.FEp127f;

    private final TransformerDims d;
    private final CheckpointWeights w;
    private final int attentionGroups;
    /** Compute type of the half-precision graphs; FLOAT for float32 and quantized weights. */
    private final OnnxType compute;
    private final boolean half;
    /** Half mode only: the residual stream in the half type too (measured, not the default). */
    private final boolean halfResidual;

    public TransformerGraphs(TransformerDims dims, CheckpointWeights weights) {
        this(dims, weights, DEFAULT_HEADS_PER_ATTENTION);
    }

    /** As above, with at most {@code headsPerAttention} heads per Attention node (rounded to a divisor). */
    public TransformerGraphs(TransformerDims dims, CheckpointWeights weights, int headsPerAttention) {
        this(dims, weights, headsPerAttention, false);
    }

    /**
     * As above; {@code halfResidual} (half-precision weights only) keeps the residual stream in float16/bfloat16 as
     * well: each residual add is fused with the following RMSNorm into a
     * {@code com.microsoft.SkipSimplifiedLayerNormalization} (normalising in float32 inside, returning the sum in the
     * half type), the first norm an RMSNormalization-23 on the half-type input. Used to measure that choice.
     */
    TransformerGraphs(TransformerDims dims, CheckpointWeights weights, int headsPerAttention, boolean halfResidual) {
        this.d = dims;
        this.w = weights;
        this.attentionGroups = attentionGroups(dims.heads(), dims.kvHeads(), headsPerAttention);
        this.compute = weights.floatType();
        this.half = compute != OnnxType.FLOAT;
        if (halfResidual && !half) {
            throw new IllegalArgumentException("a half-precision residual needs fp16 or bf16 weights");
        }
        this.halfResidual = halfResidual;
    }

    /** {@code x} (float32) cast to the compute type; {@code x} itself in float32 graphs (no node). */
    private Value toCompute(GraphBuilder g, Value x) {
        return half ? g.op("Cast").in(x).attr("to", (long) compute.code()).out() : x;
    }

    /** {@code x} (compute type) cast to float32; {@code x} itself in float32 graphs (no node). */
    private Value toFloat(GraphBuilder g, Value x) {
        return half ? g.op("Cast").in(x).attr("to", (long) OnnxType.FLOAT.code()).out() : x;
    }

    /** The float32 residual stream's RMSNorm, output in the compute type (the projections' input). */
    private Value normToCompute(GraphBuilder g, Value h, String gain) {
        return toCompute(g, rmsNorm(g, h, w.plainFloat(g, gain, d.hidden()), d.rmsEps()));
    }

    /**
     * Half-type residual only: {@code h + x} and its RMSNorm in one SkipSimplifiedLayerNormalization; returns
     * {normed, sum}. Without {@code x} (the first layer) an RMSNormalization-23 of {@code h} (float32 inside).
     */
    private Value[] skipNorm(GraphBuilder g, Value x, Value h, String gain, String tag) {
        Value gamma = w.plain(g, gain, d.hidden());
        if (x == null) {
            return new Value[] {rmsNorm(g, h, gamma, d.rmsEps()), h};
        }
        Value[] r = g.op("SkipSimplifiedLayerNormalization", GraphBuilder.MS_DOMAIN).in(x, h, gamma)
                .attr("epsilon", d.rmsEps()).outsNamed(tag + "_normed", "", "", tag + "_sum");
        return new Value[] {r[0], r[3]};
    }

    /**
     * The fewest groups that split both the query and the key/value heads evenly with at most
     * {@code headsPerAttention} query heads each (a group keeps whole GQA families together).
     */
    static int attentionGroups(int heads, int kvHeads, int headsPerAttention) {
        if (headsPerAttention < 1) {
            throw new IllegalArgumentException("heads per attention must be ≥ 1, got " + headsPerAttention);
        }
        for (int g = 1; g <= kvHeads; g++) {
            if (kvHeads % g == 0 && heads / g <= headsPerAttention) {
                return g;
            }
        }
        return kvHeads;
    }

    /** Attention nodes per layer. */
    public int attentionGroups() {
        return attentionGroups;
    }

    /** Query heads per Attention node for a bound of {@code headsPerAttention} (what the manifest records). */
    public static int headsPerNode(int heads, int kvHeads, int headsPerAttention) {
        return heads / attentionGroups(heads, kvHeads, headsPerAttention);
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

    /** Every graph, in the order they are written. */
    public java.util.List<GraphBuilder> all() {
        return java.util.List.of(tokenEmbed(), imageEmbed(), stepEmbed(), decoder(), stepHead());
    }

    // ---- token_embed ------------------------------------------------------------------------------------------

    public GraphBuilder tokenEmbed() {
        GraphBuilder g = new GraphBuilder(TOKEN_EMBED);
        Value ids = g.input("input_ids", OnnxType.INT64, "batch", "seq");
        Value e = toFloat(g, w.embedding(g, ids, "llm.embed_tokens.weight", d.vocab(), d.hidden()));
        g.output(e, "embeds", OnnxType.FLOAT, "batch", "seq", d.hidden());
        return g;
    }

    // ---- image_embed ------------------------------------------------------------------------------------------

    public GraphBuilder imageEmbed() {
        GraphBuilder g = new GraphBuilder(IMAGE_EMBED);
        Value latents = g.input("latents", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        Value posIndex = g.input("pos_index", OnnxType.INT64, "tokens");
        Value tokens = toFloat(g, patchTokens(g, latents, posIndex, "input_x_embedder"));
        g.output(tokens, "tokens", OnnxType.FLOAT, "batch", "tokens", d.hidden());
        return g;
    }

    /**
     * Conv patch embedding → [B, tokens, hidden] (row-major over patches) + the gathered position rows; in the
     * compute type ({@code latents} are float32).
     */
    private Value patchTokens(GraphBuilder g, Value latents, Value posIndex, String prefix) {
        int p = d.patchSize();
        Value kernel = w.plain(g, prefix + ".proj.weight", d.hidden(), d.latentChannels(), p, p);
        Value bias = w.plain(g, prefix + ".proj.bias", d.hidden());
        Value conv = g.op("Conv").in(toCompute(g, latents), kernel, bias).attr("strides", (long) p, (long) p)
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

    // ---- step_embed -------------------------------------------------------------------------------------------

    public GraphBuilder stepEmbed() {
        GraphBuilder g = new GraphBuilder(STEP_EMBED);
        Value latents = g.input("latents", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        Value timestep = g.input("timestep", OnnxType.FLOAT, "batch");
        Value posIndex = g.input("pos_index", OnnxType.INT64, "tokens");
        // The sinusoidal features stay float32 (t·f reaches 1000 rad); the MLPs run in the compute type.
        Value features = toCompute(g, timestepFeatures(g, timestep));
        Value timeToken = unsqueeze(g, mlp2(g, "time_token.mlp", features), 1);
        Value timeEmb = toFloat(g, mlp2(g, "t_embedder.mlp", features));
        Value image = patchTokens(g, latents, posIndex, "x_embedder");
        g.output(toFloat(g, concat(g, 1, timeToken, image)), "inputs_embeds", OnnxType.FLOAT, "batch", "new_len",
                d.hidden());
        g.output(timeEmb, "time_emb", OnnxType.FLOAT, "batch", d.hidden());
        return g;
    }

    // ---- transformer (decoder) --------------------------------------------------------------------------------

    public GraphBuilder decoder() {
        GraphBuilder g = new GraphBuilder(DECODER);
        int half = d.headDim() / 2;
        Value h = g.input("inputs_embeds", OnnxType.FLOAT, "batch", "new_len", d.hidden());
        Value mask = g.input("attention_mask", OnnxType.FLOAT, "batch", 1, "new_len", "total_len");
        Value cos = g.input("rope_cos", OnnxType.FLOAT, "batch", "new_len", half);
        Value sin = g.input("rope_sin", OnnxType.FLOAT, "batch", "new_len", half);
        Value cacheTokens = g.input("cache_tokens", OnnxType.INT64, 1);
        Value[] pastK = new Value[d.layers()];
        Value[] pastV = new Value[d.layers()];
        for (int i = 0; i < d.layers(); i++) {
            pastK[i] = g.input(pastKey(i), OnnxType.FLOAT, "batch", d.kvHeads(), "past_len", d.headDim());
            pastV[i] = g.input(pastValue(i), OnnxType.FLOAT, "batch", d.kvHeads(), "past_len", d.headDim());
        }
        if (this.half) {
            cos = toCompute(g, cos);
            sin = toCompute(g, sin);
            // Attention wants the mask in Q's type; −FLT_MAX would cast to −inf (NaN for a fully masked row, and
            // ONNX Runtime's CPU softmax expects finite scores), so clamp to the half type's lowest finite value.
            float lowest = compute == OnnxType.FLOAT16 ? -HalfTensor.FP16_MAX : BF16_LOWEST;
            mask = toCompute(g, g.op("Max").in(mask, g.constFloat(lowest)).out());
            if (halfResidual) {
                h = toCompute(g, h);
            }
        }
        Value pending = null; // half-type residual: the last sub-layer output, added by the next fused norm
        for (int i = 0; i < d.layers(); i++) {
            final int layer = i;
            Value[] state = {h, pending};
            Value m = mask;
            Value c = cos;
            Value s = sin;
            g.scoped("layer" + i, () -> {
                Value[] r = decoderLayer(g, layer, state[0], state[1], m, c, s, pastK[layer], pastV[layer],
                        cacheTokens);
                state[0] = r[0];
                state[1] = r[1];
            });
            h = state[0];
            pending = state[1];
        }
        if (halfResidual) {
            h = toFloat(g, add(g, h, pending));
        }
        g.output(g.op("Identity").in(h).out(), "hidden_states", OnnxType.FLOAT, "batch", "new_len", d.hidden());
        return g;
    }

    // ---- step_head --------------------------------------------------------------------------------------------

    public GraphBuilder stepHead() {
        GraphBuilder g = new GraphBuilder(STEP_HEAD);
        Value h = g.input("hidden_states", OnnxType.FLOAT, "batch", "new_len", d.hidden());
        Value timeEmb = g.input("time_emb", OnnxType.FLOAT, "batch", d.hidden());
        Value latents = g.input("latents", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
        // Drop the time token first: norm and head see only the N output-image tokens (row-wise ops, same values).
        Value imageStates = g.op("Slice").in(h, g.constLongs(1), g.constLongs(Long.MAX_VALUE), g.constLongs(1)).out();
        Value normed = rmsNorm(g, imageStates, w.plainFloat(g, "llm.norm.weight", d.hidden()), d.rmsEps());
        Value out = finalLayer(g, normed, timeEmb, latents);
        g.output(out, "velocity", OnnxType.FLOAT, "batch", d.latentChannels(), "latent_height", "latent_width");
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
     * One Phi-3 decoder layer over the new tokens, attending to {@code past} K/V (possibly empty) and their own. The
     * rotated K/V of the first {@code cacheTokens} new tokens become the outputs {@code present_key_i} /
     * {@code present_value_i} (a step's {@code cacheTokens} = 0 gives empty ones). Returns {residual, pending}:
     * pending is null with the float32 residual; with the half-type one it is the MLP output, left for the next
     * layer's fused norm (or the final add) to add.
     */
    private Value[] decoderLayer(GraphBuilder g, int i, Value h, Value pending, Value mask, Value cos, Value sin,
                                 Value pastK, Value pastV, Value cacheTokens) {
        String p = "llm.layers." + i + ".";
        int hd = d.headDim();
        int qDim = d.heads() * hd;
        int kvDim = d.kvHeads() * hd;
        Value x;
        if (halfResidual) {
            Value[] r = skipNorm(g, pending, h, p + "input_layernorm.weight", "layer" + i + "/input_norm");
            x = r[0];
            h = r[1];
        } else {
            x = normToCompute(g, h, p + "input_layernorm.weight");
        }
        // Separate q/k/v (and gate/up) projections on row blocks of the fused checkpoint weights: the same products
        // without the Split copies of the fused outputs (about 2-3 % of a step on the CPU).
        String qkvName = p + "self_attn.qkv_proj.weight";
        long qkvRows = qDim + 2L * kvDim;
        Value q = w.project(g, x, qkvName, qkvRows, d.hidden(), 0, qDim);
        Value k = w.project(g, x, qkvName, qkvRows, d.hidden(), qDim, kvDim);
        Value v = w.project(g, x, qkvName, qkvRows, d.hidden(), qDim + kvDim, kvDim);
        q = rope(g, q, cos, sin, d.heads());
        k = rope(g, k, cos, sin, d.kvHeads());
        // The present K/V are sliced from the new tokens and fed back into the attention's key/value sequence
        // (past ‖ present ‖ rest): as ancestors of the hidden states they run in the layer, so ONNX Runtime frees
        // each layer's new K/V with it. As leaf outputs they were placed after the last layer and every layer's
        // new K/V stayed allocated until then (about 96 MB per layer at 4097 new tokens, 3 GB for 32 layers).
        Value kAll = withPresent(g, toHeads(g, k, d.kvHeads()), pastK, cacheTokens, presentKey(i));
        Value vAll = withPresent(g, toHeads(g, v, d.kvHeads()), pastV, cacheTokens, presentValue(i));
        Value attn = attention(g, q, kAll, vAll, mask);
        Value o = w.project(g, attn, p + "self_attn.o_proj.weight", d.hidden(), qDim);
        Value x2;
        if (halfResidual) {
            Value[] r = skipNorm(g, o, h, p + "post_attention_layernorm.weight", "layer" + i + "/post_attention_norm");
            x2 = r[0];
            h = r[1];
        } else {
            h = add(g, h, toFloat(g, o));
            x2 = normToCompute(g, h, p + "post_attention_layernorm.weight");
        }
        String guName = p + "mlp.gate_up_proj.weight";
        int inter = d.intermediate();
        Value gate = w.project(g, x2, guName, 2L * inter, d.hidden(), 0, inter);
        Value up = w.project(g, x2, guName, 2L * inter, d.hidden(), inter, inter);
        Value act = mul(g, up, silu(g, gate));
        Value down = w.project(g, act, p + "mlp.down_proj.weight", d.hidden(), inter);
        return halfResidual ? new Value[] {h, down} : new Value[] {add(g, h, toFloat(g, down)), null};
    }

    /**
     * {@code past ‖ new[0, cacheTokens) ‖ new[cacheTokens, S)} along the sequence axis of [B, kv, ·, hd], with the
     * middle part also the graph output {@code presentName}.
     */
    private Value withPresent(GraphBuilder g, Value newHeads, Value past, Value cacheTokens, String presentName) {
        Value axis = g.constLongs(2);
        // The output's own value (after the renaming Identity) feeds the Concat, so no leaf node is left behind.
        // Half precision: the float32 output is cast back (exactly) for the Concat, for the same reason.
        Value present = g.output(toFloat(g, g.op("Slice").in(newHeads, g.constLongs(0), cacheTokens, axis).out()),
                presentName, OnnxType.FLOAT, "batch", d.kvHeads(), "cache_tokens", d.headDim());
        Value rest = g.op("Slice").in(newHeads, cacheTokens, g.constLongs(Long.MAX_VALUE), axis).out();
        return concat(g, 2, toCompute(g, past), toCompute(g, present), rest);
    }

    /**
     * Attention-23 of the new tokens' queries over the whole key/value sequence (past and new), in
     * {@link #attentionGroups} head groups whose outputs are concatenated back (q split along the hidden axis, K/V
     * along the head axis). The past is concatenated in the graph rather than passed as Attention's past inputs:
     * with a past, ONNX Runtime's CPU kernel also produces present_key/present_value (past + new), which this graph
     * never uses but which stay allocated until the run ends (about 100 MB per layer at 4097 new tokens).
     */
    private Value attention(GraphBuilder g, Value q, Value kAll, Value vAll, Value mask) {
        int groups = attentionGroups;
        if (groups == 1) {
            return attentionNode(g, q, kAll, vAll, mask, d.heads());
        }
        int qh = d.heads() / groups, kvh = d.kvHeads() / groups;
        Value[] qs = split(g, q, -1, (long) qh * d.headDim(), groups);
        Value[] ks = split(g, kAll, 1, kvh, groups);
        Value[] vs = split(g, vAll, 1, kvh, groups);
        Value[] outs = new Value[groups];
        for (int i = 0; i < groups; i++) {
            outs[i] = attentionNode(g, qs[i], ks[i], vs[i], mask, qh);
        }
        return concat(g, -1, outs);
    }

    /** One Attention-23 node in the 4-D [batch, heads, seq, head_dim] layout; K/V already include the past. */
    private Value attentionNode(GraphBuilder g, Value q, Value k4, Value v4, Value mask, int heads) {
        Value q4 = toHeads(g, q, heads);
        // No softmax_precision in half mode: ONNX Runtime's kernels already softmax in float32 (CPU: converts the
        // scores; CUDA: flash / memory-efficient attention accumulate in float32), and its CUDA Attention refuses
        // any softmax_precision with NOT_IMPLEMENTED.
        Value o4 = g.op("Attention").in(q4, k4, v4, mask).out();
        return reshape(g, transpose(g, o4, 0, 2, 1, 3), 0, 0, (long) heads * d.headDim());
    }

    /** [B, S, heads·hd] → [B, heads, S, hd] (for K/V: the KV-cache layout of Attention-23). */
    private Value toHeads(GraphBuilder g, Value x, int heads) {
        return transpose(g, reshape(g, x, 0, 0, heads, d.headDim()), 0, 2, 1, 3);
    }

    private static Value[] split(GraphBuilder g, Value x, int axis, long part, int parts) {
        long[] sizes = new long[parts];
        java.util.Arrays.fill(sizes, part);
        return g.op("Split").in(x, g.constLongs(sizes)).attr("axis", (long) axis).outs(parts);
    }

    /** RotaryEmbedding-23 on [B, S, heads·hd] with per-token half tables (non-interleaved halves). */
    private Value rope(GraphBuilder g, Value x, Value cos, Value sin, int numHeads) {
        return g.op("RotaryEmbedding").in(x, cos, sin).attr("interleaved", 0L).attr("num_heads", (long) numHeads).out();
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
        Value mod = toFloat(g, linear(g, toCompute(g, silu(g, c)), modW, modB));
        Value[] shiftScale = g.op("Split").in(mod, g.constLongs(hidden, hidden)).attr("axis", -1L).outs(2);
        Value shift = unsqueeze(g, shiftScale[0], 1);
        Value scale = unsqueeze(g, shiftScale[1], 1);
        Value modulated = add(g, mul(g, norm, add(g, scale, g.constFloat(1f))), shift);
        Value linW = w.linearT(g, "final_layer.linear.weight", d.patchValues(), hidden);
        Value linB = w.plain(g, "final_layer.linear.bias", d.patchValues());
        Value patches = toFloat(g, linear(g, toCompute(g, modulated), linW, linB));
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
