package io.omnigen4j.export.checkpoint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor names of OmniGen's transformer in the diffusers layout ({@code OmniGenTransformer2DModel}) against
 * the original layout's names, as diffusers' {@code scripts/convert_omnigen_to_diffusers.py} converts them:
 * <ul>
 *   <li>renamed: {@code pos_embed} → {@code patch_embedding.pos_embed}, {@code x_embedder.proj.*} →
 *       {@code patch_embedding.output_image_proj.*}, {@code input_x_embedder.proj.*} →
 *       {@code patch_embedding.input_image_proj.*}, {@code final_layer.adaLN_modulation.1.*} →
 *       {@code norm_out.linear.*}, {@code final_layer.linear.*} → {@code proj_out.*}, {@code time_token.mlp.0/2.*}
 *       and {@code t_embedder.mlp.0/2.*} → {@code *.linear_1/linear_2.*}, {@code llm.embed_tokens.weight} →
 *       {@code embed_tokens.weight};</li>
 *   <li>{@code llm.layers.N.self_attn.qkv_proj.weight} split by rows into {@code layers.N.self_attn.to_q.weight},
 *       {@code to_k.weight} and {@code to_v.weight} (Phi-3's fused order: queries, keys, values);</li>
 *   <li>{@code llm.layers.N.self_attn.o_proj.weight} → {@code layers.N.self_attn.to_out.0.weight};</li>
 *   <li>every other {@code llm.} name loses the prefix: the layer norms, {@code mlp.gate_up_proj},
 *       {@code mlp.down_proj} and {@code llm.norm.weight}.</li>
 * </ul>
 * Nothing is transposed or re-ordered within a tensor: diffusers' modules keep the original's layouts
 * ({@code nn.Linear} [out, in]; {@code norm_out} chunks its modulation as shift then scale, like the original's
 * final layer; the output projection is unpatchified in the same channel order).
 */
public final class DiffusersNames {

    /** Original name → diffusers name, for the tensors outside the decoder layers. */
    private static final Map<String, String> FIXED = fixed();
    private static final Map<String, String> FIXED_INVERSE = inverse(FIXED);
    /** Per-layer suffix (after {@code llm.layers.N.}) → suffix after {@code layers.N.}; q/k/v handled apart. */
    private static final Map<String, String> LAYER = Map.of(
            "input_layernorm.weight", "input_layernorm.weight",
            "post_attention_layernorm.weight", "post_attention_layernorm.weight",
            "self_attn.o_proj.weight", "self_attn.to_out.0.weight",
            "mlp.gate_up_proj.weight", "mlp.gate_up_proj.weight",
            "mlp.down_proj.weight", "mlp.down_proj.weight");
    private static final Map<String, String> LAYER_INVERSE = inverse(LAYER);
    private static final String QKV = "self_attn.qkv_proj.weight";
    /** Diffusers' split of {@code qkv_proj}, in row order. */
    private static final List<String> QKV_PARTS = List.of("self_attn.to_q.weight", "self_attn.to_k.weight",
            "self_attn.to_v.weight");
    private static final Pattern ORIGINAL_LAYER = Pattern.compile("llm\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern DIFFUSERS_LAYER = Pattern.compile("layers\\.(\\d+)\\.(.+)");

    private DiffusersNames() {
    }

    /**
     * Where a diffusers tensor comes from in the original layout.
     *
     * @param original the original-layout name
     * @param part     0 for a tensor stored whole; for the q/k/v split, 0, 1 or 2 (rows of queries, keys, values)
     * @param parts    1 for a tensor stored whole, 3 for the q/k/v split
     */
    public record Origin(String original, int part, int parts) {
    }

    private static Map<String, String> fixed() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("pos_embed", "patch_embedding.pos_embed");
        for (String p : List.of("weight", "bias")) {
            m.put("x_embedder.proj." + p, "patch_embedding.output_image_proj." + p);
            m.put("input_x_embedder.proj." + p, "patch_embedding.input_image_proj." + p);
            m.put("final_layer.adaLN_modulation.1." + p, "norm_out.linear." + p);
            m.put("final_layer.linear." + p, "proj_out." + p);
            for (String mlp : List.of("time_token", "t_embedder")) {
                m.put(mlp + ".mlp.0." + p, mlp + ".linear_1." + p);
                m.put(mlp + ".mlp.2." + p, mlp + ".linear_2." + p);
            }
        }
        m.put("llm.embed_tokens.weight", "embed_tokens.weight");
        m.put("llm.norm.weight", "norm.weight");
        return Map.copyOf(m);
    }

    private static Map<String, String> inverse(Map<String, String> m) {
        Map<String, String> inv = new LinkedHashMap<>();
        m.forEach((k, v) -> inv.put(v, k));
        return Map.copyOf(inv);
    }

    /**
     * The diffusers names holding original tensor {@code original}: one name, or for {@code qkv_proj} the three
     * row blocks in order (queries, keys, values).
     *
     * @param original an original-layout transformer tensor name
     * @return the diffusers names, empty when the name is not an OmniGen transformer tensor
     */
    public static List<String> toDiffusers(String original) {
        String f = FIXED.get(original);
        if (f != null) {
            return List.of(f);
        }
        Matcher m = ORIGINAL_LAYER.matcher(original);
        if (!m.matches()) {
            return List.of();
        }
        String prefix = "layers." + m.group(1) + ".";
        if (m.group(2).equals(QKV)) {
            return QKV_PARTS.stream().map(s -> prefix + s).toList();
        }
        String s = LAYER.get(m.group(2));
        return s == null ? List.of() : List.of(prefix + s);
    }

    /**
     * The original tensor a diffusers tensor belongs to.
     *
     * @param diffusers a diffusers-layout transformer tensor name
     * @return where it comes from, or null when the name is not part of OmniGen's diffusers transformer
     */
    public static Origin toOriginal(String diffusers) {
        String f = FIXED_INVERSE.get(diffusers);
        if (f != null) {
            return new Origin(f, 0, 1);
        }
        Matcher m = DIFFUSERS_LAYER.matcher(diffusers);
        if (!m.matches()) {
            return null;
        }
        String prefix = "llm.layers." + m.group(1) + ".";
        int part = QKV_PARTS.indexOf(m.group(2));
        if (part >= 0) {
            return new Origin(prefix + QKV, part, QKV_PARTS.size());
        }
        String s = LAYER_INVERSE.get(m.group(2));
        return s == null ? null : new Origin(prefix + s, 0, 1);
    }
}
