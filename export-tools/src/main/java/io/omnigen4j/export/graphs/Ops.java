package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.Value;

/**
 * Small compositions of ONNX ops shared by the graph definitions. Each method adds nodes to {@code g} and
 * returns the result; weights come in already as initializers.
 */
public final class Ops {
    private Ops() {
    }

    /** y = x·wT (+ b): {@code wT} is the transposed [in, out] weight; {@code b} may be null. */
    public static Value linear(GraphBuilder g, Value x, Value wT, Value b) {
        Value y = g.op("MatMul").in(x, wT).out();
        return b == null ? y : g.op("Add").in(y, b).out();
    }

    /** SiLU as x·sigmoid(x) (ONNX has no Silu op). */
    public static Value silu(GraphBuilder g, Value x) {
        return g.op("Mul").in(x, g.op("Sigmoid").in(x).out()).out();
    }

    public static Value add(GraphBuilder g, Value a, Value b) {
        return g.op("Add").in(a, b).out();
    }

    public static Value mul(GraphBuilder g, Value a, Value b) {
        return g.op("Mul").in(a, b).out();
    }

    public static Value reshape(GraphBuilder g, Value x, long... shape) {
        return g.op("Reshape").in(x, g.constLongs(shape)).out();
    }

    public static Value reshape(GraphBuilder g, Value x, Value shape) {
        return g.op("Reshape").in(x, shape).out();
    }

    public static Value transpose(GraphBuilder g, Value x, long... perm) {
        return g.op("Transpose").in(x).attr("perm", perm).out();
    }

    public static Value unsqueeze(GraphBuilder g, Value x, long... axes) {
        return g.op("Unsqueeze").in(x, g.constLongs(axes)).out();
    }

    /** Dimension {@code axis} of x's shape as a 1-element int64 tensor. */
    public static Value dim(GraphBuilder g, Value x, long axis) {
        return g.op("Shape").in(x).attr("start", axis).attr("end", axis + 1).out();
    }

    public static Value concat(GraphBuilder g, long axis, Value... parts) {
        return g.op("Concat").in(parts).attr("axis", axis).out();
    }

    /** RMSNormalization-23 over the last axis with gain {@code w}. */
    public static Value rmsNorm(GraphBuilder g, Value x, Value w, float eps) {
        return g.op("RMSNormalization").in(x, w).attr("axis", -1L).attr("epsilon", eps).out();
    }

    /** Conv with square kernel; pads as [top, left, bottom, right]. */
    public static Value conv(GraphBuilder g, Value x, Value w, Value b, long stride, long... pads) {
        GraphBuilder.NodeBuilder n = g.op("Conv").in(x, w, b).attr("strides", stride, stride);
        if (pads.length > 0) {
            n.attr("pads", pads);
        }
        return n.out();
    }

    /**
     * GroupNorm over an [N, C, ...] input, written without GroupNormalization (ONNX Runtime has no kernel for it on
     * CPU or CUDA and expands its function body): reshape to [N, G, C/G·…], InstanceNormalization with unit scale
     * and zero bias (per-group mean and biased variance), reshape back, then {@code ·gamma + beta}. {@code gamma}
     * and {@code beta} must already broadcast against the input ([C, 1, 1] for NCHW).
     */
    public static Value groupNorm(GraphBuilder g, Value x, Value gamma, Value beta, int groups, float eps) {
        float[] ones = new float[groups];
        java.util.Arrays.fill(ones, 1f);
        Value grouped = reshape(g, x, 0L, groups, -1L);
        Value normed = g.op("InstanceNormalization")
                .in(grouped, g.constFloats(ones, groups), g.constFloats(new float[groups], groups))
                .attr("epsilon", eps).out();
        Value back = reshape(g, normed, g.op("Shape").in(x).out());
        return add(g, mul(g, back, gamma), beta);
    }
}
