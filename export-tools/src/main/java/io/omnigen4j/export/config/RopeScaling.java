package io.omnigen4j.export.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Objects;

/**
 * The {@code rope_scaling} entry of a Phi-3 config, LongRoPE being the only kind OmniGen uses: per-frequency
 * extension factors for short and long contexts ({@code head_dim / 2} each). {@code type} keeps the spelling of the
 * file ({@code "su"} as in OmniGen-v1, or {@code "longrope"}, which transformers maps it to).
 *
 * <p>Factors are kept as the doubles parsed from JSON; the reference computes with them as float32, so graph
 * builders should use {@link #shortFactorF32()} / {@link #longFactorF32()}.
 */
@JsonPropertyOrder({"type", "short_factor", "long_factor"})
public record RopeScaling(
        @JsonProperty("type") String type,
        @JsonProperty("short_factor") List<Double> shortFactor,
        @JsonProperty("long_factor") List<Double> longFactor) {

    /** Type spellings accepted as LongRoPE. */
    public static final List<String> LONGROPE_TYPES = List.of("su", "longrope");

    public RopeScaling {
        Objects.requireNonNull(type, "type");
        shortFactor = List.copyOf(shortFactor);
        longFactor = List.copyOf(longFactor);
        if (!LONGROPE_TYPES.contains(type)) {
            throw new IllegalArgumentException("rope_scaling.type '" + type + "' is not LongRoPE (su/longrope)");
        }
    }

    /** LongRoPE with the type spelled {@code "su"}, as OmniGen-v1's config.json has it. */
    public static RopeScaling longRope(List<Double> shortFactor, List<Double> longFactor) {
        return new RopeScaling("su", shortFactor, longFactor);
    }

    @JsonIgnore
    public float[] shortFactorF32() {
        return toFloats(shortFactor);
    }

    @JsonIgnore
    public float[] longFactorF32() {
        return toFloats(longFactor);
    }

    private static float[] toFloats(List<Double> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = l.get(i).floatValue();
        }
        return f;
    }
}
