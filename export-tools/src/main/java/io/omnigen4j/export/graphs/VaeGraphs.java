package io.omnigen4j.export.graphs;

import io.omnigen4j.export.onnx.GraphBuilder;
import io.omnigen4j.export.onnx.OnnxType;
import io.omnigen4j.export.onnx.TensorData;
import io.omnigen4j.export.onnx.Value;
import io.omnigen4j.export.safetensors.SafetensorsException;
import io.omnigen4j.export.safetensors.TensorStore;
import io.omnigen4j.export.safetensors.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * The two float32 graphs of the diffusers {@code AutoencoderKL} (SDXL VAE layout, spec §1.4, §8, §10), built from
 * {@code vae/diffusion_pytorch_model.safetensors}:
 *
 * <ul>
 *   <li>{@value #ENCODER_NAME}: input {@value #ENCODER_INPUT} float [batch, in_channels, height, width] in [−1, 1]
 *       → output {@value #ENCODER_OUTPUT} float [batch, 2·latent, latent_height, latent_width] (after
 *       {@code quant_conv}); channels [0, latent) are the posterior mean, channels [latent, 2·latent) the
 *       log-variance <b>already clamped to [{@value #LOGVAR_MIN}, {@value #LOGVAR_MAX}] inside the graph</b> (a
 *       Split/Clip/Concat on the output, as {@code DiagonalGaussianDistribution} does). Java only computes
 *       {@code std = exp(0.5·logvar)} and {@code (mean + std·ε)·scaling_factor}; clamping again is harmless.
 *       latent size = size / 2^(len(block_out_channels)−1) (÷8 for four blocks).</li>
 *   <li>{@value #DECODER_NAME}: input {@value #DECODER_INPUT} float [batch, latent, latent_height, latent_width]
 *       (already divided by the scaling factor) → output {@value #DECODER_OUTPUT} float [batch, out_channels,
 *       height, width], the raw decoder output before {@code ·0.5 + 0.5} and clamping.</li>
 * </ul>
 *
 * <p>Batch and spatial sizes are dynamic. GroupNorm (eps {@value #NORM_EPS}) is the InstanceNormalization
 * formulation of {@link Ops#groupNorm} (GroupNormalization has no ORT kernel). The mid-block attention is a
 * single-head opset-23 {@code Attention} on 3-D [batch, H·W, C] inputs (default scale 1/√C), which has CPU and CUDA
 * kernels. Upsampling is {@code Resize} nearest ×2 with asymmetric coordinates and floor rounding (identical to
 * {@code F.interpolate(mode="nearest")}); downsampling pads right/bottom by one and runs the 3×3 stride-2 conv
 * without padding.
 *
 * <p>Attention weights are accepted under both spellings, {@code to_q/to_k/to_v/to_out.0} and the legacy
 * {@code query/key/value/proj_attn}, as [C, C] linears or legacy [C, C, 1, 1] conv-shaped tensors. A missing or
 * wrongly shaped weight is reported as a {@link SafetensorsException} (an {@link IOException}) whose message names
 * the file and the key (both spellings for attention weights). Initializers are named after the checkpoint keys;
 * a Winograd-transformed weight ({@link Convolution#WINOGRAD}) is named {@code <key>#winograd}.
 */
public final class VaeGraphs {

    public static final String ENCODER_NAME = "vae_encoder";
    public static final String DECODER_NAME = "vae_decoder";
    public static final String ENCODER_INPUT = "pixels";
    public static final String ENCODER_OUTPUT = "moments";
    public static final String DECODER_INPUT = "latents";
    public static final String DECODER_OUTPUT = "pixels";

    /** GroupNorm epsilon of every norm of the VAE. */
    public static final float NORM_EPS = 1e-6f;
    public static final float LOGVAR_MIN = -30f;
    public static final float LOGVAR_MAX = 20f;

    private VaeGraphs() {
    }

    /**
     * The structural hyper-parameters of an {@code AutoencoderKL} (diffusers config names in brackets):
     * in_channels, out_channels, latent_channels, block_out_channels, layers_per_block, norm_num_groups,
     * mid_block_add_attention, use_quant_conv, use_post_quant_conv.
     */
    public record Dims(int inChannels, int outChannels, int latentChannels, int[] blockOutChannels,
                       int layersPerBlock, int normGroups, boolean midBlockAttention, boolean quantConv,
                       boolean postQuantConv) {

        public Dims {
            if (inChannels <= 0 || outChannels <= 0 || latentChannels <= 0 || layersPerBlock <= 0
                    || normGroups <= 0) {
                throw new IllegalArgumentException("VAE dims must be positive: inChannels=" + inChannels
                        + ", outChannels=" + outChannels + ", latentChannels=" + latentChannels
                        + ", layersPerBlock=" + layersPerBlock + ", normGroups=" + normGroups);
            }
            if (blockOutChannels == null || blockOutChannels.length == 0) {
                throw new IllegalArgumentException("VAE block_out_channels must not be empty");
            }
            blockOutChannels = blockOutChannels.clone();
            for (int c : blockOutChannels) {
                if (c <= 0 || c % normGroups != 0) {
                    throw new IllegalArgumentException("VAE block_out_channels " + Arrays.toString(blockOutChannels)
                            + ": every entry must be a positive multiple of norm_num_groups " + normGroups);
                }
            }
        }

        /** The SDXL VAE (spec §1.4). */
        public static Dims sdxl() {
            return new Dims(3, 3, 4, new int[] {128, 256, 512, 512}, 2, 32, true, true, true);
        }

        @Override
        public int[] blockOutChannels() {
            return blockOutChannels.clone();
        }

        /** Pixels per latent cell along each axis: 2^(len(block_out_channels) − 1). */
        public int downsampleFactor() {
            return 1 << (blockOutChannels.length - 1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Dims d && inChannels == d.inChannels && outChannels == d.outChannels
                    && latentChannels == d.latentChannels && Arrays.equals(blockOutChannels, d.blockOutChannels)
                    && layersPerBlock == d.layersPerBlock && normGroups == d.normGroups
                    && midBlockAttention == d.midBlockAttention && quantConv == d.quantConv
                    && postQuantConv == d.postQuantConv;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new int[] {inChannels, outChannels, latentChannels,
                    Arrays.hashCode(blockOutChannels), layersPerBlock, normGroups, midBlockAttention ? 1 : 0,
                    quantConv ? 1 : 0, postQuantConv ? 1 : 0});
        }

        @Override
        public String toString() {
            return "Dims[inChannels=" + inChannels + ", outChannels=" + outChannels + ", latentChannels="
                    + latentChannels + ", blockOutChannels=" + Arrays.toString(blockOutChannels)
                    + ", layersPerBlock=" + layersPerBlock + ", normGroups=" + normGroups + ", midBlockAttention="
                    + midBlockAttention + ", quantConv=" + quantConv + ", postQuantConv=" + postQuantConv + "]";
        }
    }

    /**
     * How the 3×3 stride-1 convolutions with at least {@value #WINOGRAD_MIN_CHANNELS} input and output channels
     * (all but conv_in and conv_out; the encoder's stride-2 downsamplers are always direct) are written. Both compute the same function; they differ in float32
     * rounding by about 1e-5 relative.
     */
    public enum Convolution {
        /** One ONNX {@code Conv} per convolution. */
        DIRECT,
        /**
         * Winograd F(4×4, 3×3) ({@link WinogradConv}): VAE about 1.6× faster on the CPU, 4× the weight bytes of
         * those convolutions, about twice the working memory.
         */
        WINOGRAD;

        /** The lower-case name written to the manifest and the graphs' metadata. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Convolution parse(String s) {
            for (Convolution c : values()) {
                if (c.name().equalsIgnoreCase(s)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown VAE convolution '" + s + "'; use winograd or direct");
        }
    }

    /** Convolutions with fewer input or output channels stay direct (their cost is in the memory traffic). */
    public static final int WINOGRAD_MIN_CHANNELS = 16;

    /** The {@value #ENCODER_NAME} graph with Winograd convolutions. */
    public static GraphBuilder encoder(TensorStore vae, Dims dims) throws IOException {
        return encoder(vae, dims, Convolution.WINOGRAD);
    }

    /** The {@value #ENCODER_NAME} graph; weights are read lazily from {@code vae} when the graph is written. */
    public static GraphBuilder encoder(TensorStore vae, Dims dims, Convolution convolution) throws IOException {
        GraphBuilder g = new GraphBuilder(ENCODER_NAME);
        return new Builder(g, vae, dims, convolution).encoder();
    }

    /** The {@value #DECODER_NAME} graph with Winograd convolutions. */
    public static GraphBuilder decoder(TensorStore vae, Dims dims) throws IOException {
        return decoder(vae, dims, Convolution.WINOGRAD);
    }

    /** The {@value #DECODER_NAME} graph; weights are read lazily from {@code vae} when the graph is written. */
    public static GraphBuilder decoder(TensorStore vae, Dims dims, Convolution convolution) throws IOException {
        GraphBuilder g = new GraphBuilder(DECODER_NAME);
        return new Builder(g, vae, dims, convolution).decoder();
    }

    // ---- construction -----------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface IoBody {
        Value run() throws IOException;
    }

    private static final class Builder {
        private final GraphBuilder g;
        private final TensorStore file;
        private final Dims d;
        private final WinogradConv winograd;

        Builder(GraphBuilder g, TensorStore file, Dims d, Convolution convolution) {
            this.g = g;
            this.file = file;
            this.d = d;
            this.winograd = convolution == Convolution.WINOGRAD ? new WinogradConv(g) : null;
        }

        GraphBuilder encoder() throws IOException {
            int[] boc = d.blockOutChannels();
            int n = boc.length;
            int lat2 = 2 * d.latentChannels();
            Value x = g.input(ENCODER_INPUT, OnnxType.FLOAT, "batch", d.inChannels(), "height", "width");
            Value h = conv3x3(x, "encoder.conv_in", d.inChannels(), boc[0]);
            int ch = boc[0];
            for (int i = 0; i < n; i++) {
                String block = "encoder.down_blocks." + i;
                int out = boc[i];
                for (int j = 0; j < d.layersPerBlock(); j++) {
                    h = resnet(h, block + ".resnets." + j, ch, out);
                    ch = out;
                }
                if (i < n - 1) {
                    Value hin = h;
                    int c = ch;
                    // Downsample2D: zero-pad right and bottom by one, 3×3 conv stride 2, no other padding.
                    h = scoped(block + ".downsamplers.0",
                            () -> conv(hin, block + ".downsamplers.0.conv", c, c, 3, 2, 0, 0, 1, 1));
                }
            }
            h = midBlock(h, "encoder.mid_block", ch);
            h = normSiluConv(h, "encoder", ch, lat2);
            if (d.quantConv()) {
                h = conv(h, "quant_conv", lat2, lat2, 1, 1);
            }
            Value moments = clampLogvar(h);
            g.output(moments, ENCODER_OUTPUT, OnnxType.FLOAT, "batch", lat2, "latent_height", "latent_width");
            return g;
        }

        GraphBuilder decoder() throws IOException {
            int[] boc = d.blockOutChannels();
            int n = boc.length;
            int lat = d.latentChannels();
            Value z = g.input(DECODER_INPUT, OnnxType.FLOAT, "batch", lat, "latent_height", "latent_width");
            Value h = z;
            if (d.postQuantConv()) {
                h = conv(h, "post_quant_conv", lat, lat, 1, 1);
            }
            int ch = boc[n - 1];
            h = conv3x3(h, "decoder.conv_in", lat, ch);
            h = midBlock(h, "decoder.mid_block", ch);
            for (int i = 0; i < n; i++) {
                String block = "decoder.up_blocks." + i;
                int out = boc[n - 1 - i];
                for (int j = 0; j <= d.layersPerBlock(); j++) {
                    h = resnet(h, block + ".resnets." + j, ch, out);
                    ch = out;
                }
                if (i < n - 1) {
                    Value hin = h;
                    int c = ch;
                    h = scoped(block + ".upsamplers.0", () -> {
                        Value up = g.op("Resize").in(hin, Value.ABSENT, g.constFloats(new float[] {1, 1, 2, 2}, 4))
                                .attr("mode", "nearest")
                                .attr("coordinate_transformation_mode", "asymmetric")
                                .attr("nearest_mode", "floor")
                                .out();
                        return conv3x3(up, block + ".upsamplers.0.conv", c, c);
                    });
                }
            }
            h = normSiluConv(h, "decoder", ch, d.outChannels());
            g.output(h, DECODER_OUTPUT, OnnxType.FLOAT, "batch", d.outChannels(), "height", "width");
            return g;
        }

        /** conv_norm_out → SiLU → conv_out of the encoder or decoder. */
        private Value normSiluConv(Value h, String part, int ch, int outCh) throws IOException {
            return scoped(part + ".out", () -> {
                Value n = groupNorm(h, part + ".conv_norm_out", ch);
                return conv3x3(Ops.silu(g, n), part + ".conv_out", ch, outCh);
            });
        }

        /** Mid block: resnet, (attention), resnet; channels unchanged. */
        private Value midBlock(Value x, String prefix, int ch) throws IOException {
            Value h = resnet(x, prefix + ".resnets.0", ch, ch);
            if (d.midBlockAttention()) {
                h = attention(h, prefix + ".attentions.0", ch);
            }
            return resnet(h, prefix + ".resnets.1", ch, ch);
        }

        /** ResnetBlock2D: GN → SiLU → conv3×3 → GN → SiLU → conv3×3, plus the input or its 1×1 conv_shortcut. */
        private Value resnet(Value x, String prefix, int in, int out) throws IOException {
            return scoped(prefix, () -> {
                Value h = Ops.silu(g, groupNorm(x, prefix + ".norm1", in));
                h = conv3x3(h, prefix + ".conv1", in, out);
                h = Ops.silu(g, groupNorm(h, prefix + ".norm2", out));
                h = conv3x3(h, prefix + ".conv2", out, out);
                Value skip = in == out ? x : conv(x, prefix + ".conv_shortcut", in, out, 1, 1);
                return Ops.add(g, skip, h);
            });
        }

        /** Single-head self-attention over the H·W positions with a residual connection. */
        private Value attention(Value x, String prefix, int ch) throws IOException {
            String[] modern = {"to_q", "to_k", "to_v", "to_out.0"};
            String[] legacy = {"query", "key", "value", "proj_attn"};
            String[] names;
            if (file.contains(prefix + ".to_q.weight")) {
                names = modern;
            } else if (file.contains(prefix + ".query.weight")) {
                names = legacy;
            } else {
                throw new SafetensorsException(file.path() + ": VAE attention weights missing: neither '" + prefix
                        + ".to_q.weight' nor legacy '" + prefix + ".query.weight' exists");
            }
            return scoped(prefix, () -> {
                Value n = groupNorm(x, prefix + ".group_norm", ch);
                Value seq = Ops.transpose(g, Ops.reshape(g, n, 0L, ch, -1L), 0, 2, 1);
                Value q = linear(seq, prefix, names[0], ch);
                Value k = linear(seq, prefix, names[1], ch);
                Value v = linear(seq, prefix, names[2], ch);
                Value a = g.op("Attention").in(q, k, v)
                        .attr("q_num_heads", 1L).attr("kv_num_heads", 1L).out();
                Value o = linear(a, prefix, names[3], ch);
                Value back = Ops.reshape(g, Ops.transpose(g, o, 0, 2, 1), g.op("Shape").in(x).out());
                return Ops.add(g, back, x);
            });
        }

        /** y = x·Wᵀ + b for a [C, C] (or legacy [C, C, 1, 1]) weight. */
        private Value linear(Value x, String prefix, String name, int ch) throws IOException {
            String wKey = prefix + "." + name + ".weight";
            String bKey = prefix + "." + name + ".bias";
            TensorInfo wi = require(wKey);
            long[] s = wi.shape();
            TensorData wT;
            if (Arrays.equals(s, new long[] {ch, ch})) {
                wT = CheckpointTensor.transposed(file, wKey);
            } else if (Arrays.equals(s, new long[] {ch, ch, 1, 1})) {
                wT = new Transposed2d(CheckpointTensor.of(file, wKey, ch, ch), ch, ch);
            } else {
                throw wrongShape(wKey, s, "[" + ch + ", " + ch + "] (or [" + ch + ", " + ch + ", 1, 1])");
            }
            Value w = g.weight(wKey, wKey + "#T", wT);
            return Ops.linear(g, x, w, tensor(bKey, ch));
        }

        /** GroupNorm with the checkpoint's {@code prefix.weight/.bias} reshaped to [C, 1, 1]. */
        private Value groupNorm(Value x, String prefix, int ch) throws IOException {
            Value gamma = channelVector(prefix + ".weight", ch);
            Value beta = channelVector(prefix + ".bias", ch);
            return Ops.groupNorm(g, x, gamma, beta, d.normGroups(), NORM_EPS);
        }

        private Value channelVector(String key, int ch) throws IOException {
            checkShape(key, ch);
            return g.weight(key, key + "#C11", CheckpointTensor.of(file, key, ch, 1, 1));
        }

        private Value conv3x3(Value x, String prefix, int in, int out) throws IOException {
            if (winograd != null && in >= WINOGRAD_MIN_CHANNELS && out >= WINOGRAD_MIN_CHANNELS) {
                String wKey = prefix + ".weight";
                checkShape(wKey, out, in, 3, 3);
                Value u = g.weight(wKey + "#winograd", wKey + "#winograd",
                        WinogradConv.transformWeights(CheckpointTensor.of(file, wKey), out, in));
                return winograd.apply(x, u, tensor(prefix + ".bias", out), in, out);
            }
            return conv(x, prefix, in, out, 3, 1, 1, 1, 1, 1);
        }

        /** Conv with weight [out, in, k, k] + bias; pads as [top, left, bottom, right]. */
        private Value conv(Value x, String prefix, int in, int out, int k, int stride, long... pads)
                throws IOException {
            Value w = tensor(prefix + ".weight", out, in, k, k);
            Value b = tensor(prefix + ".bias", out);
            return Ops.conv(g, x, w, b, stride, pads);
        }

        /** Moments with the log-variance half clipped to [LOGVAR_MIN, LOGVAR_MAX]. */
        private Value clampLogvar(Value moments) {
            long lat = d.latentChannels();
            Value[] halves = g.op("Split").in(moments, g.constLongs(lat, lat)).attr("axis", 1L).outs(2);
            Value logvar = g.op("Clip").in(halves[1], g.constFloat(LOGVAR_MIN), g.constFloat(LOGVAR_MAX)).out();
            return Ops.concat(g, 1, halves[0], logvar);
        }

        // ---- checkpoint access --------------------------------------------------------------------------------

        private Value tensor(String key, long... shape) throws IOException {
            checkShape(key, shape);
            return g.weight(key, CheckpointTensor.of(file, key));
        }

        private TensorInfo require(String key) throws SafetensorsException {
            if (!file.contains(key)) {
                throw new SafetensorsException(file.path() + ": VAE weight '" + key + "' is missing");
            }
            return file.info(key);
        }

        private void checkShape(String key, long... shape) throws SafetensorsException {
            long[] actual = require(key).shape();
            if (!Arrays.equals(actual, shape)) {
                throw wrongShape(key, actual, Arrays.toString(shape));
            }
        }

        private SafetensorsException wrongShape(String key, long[] actual, String expected) {
            return new SafetensorsException(file.path() + ": VAE weight '" + key + "' has shape "
                    + Arrays.toString(actual) + ", expected " + expected + " for " + d);
        }

        /** Runs {@code body} with node names under {@code prefix}, passing its IOException through. */
        private Value scoped(String prefix, IoBody body) throws IOException {
            Value[] result = new Value[1];
            try {
                g.scoped(prefix, () -> {
                    try {
                        result[0] = body.run();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            return result[0];
        }
    }

    /** A float [rows, cols] tensor emitted as its [cols, rows] transpose (small: buffered in memory). */
    private record Transposed2d(TensorData source, int rows, int cols) implements TensorData {
        @Override
        public OnnxType type() {
            return OnnxType.FLOAT;
        }

        @Override
        public long[] shape() {
            return new long[] {cols, rows};
        }

        @Override
        public void writeTo(ByteSink sink) throws IOException {
            float[] a = source.toFloatArray();
            ByteBuffer out = ByteBuffer.allocate(a.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int c = 0; c < cols; c++) {
                for (int r = 0; r < rows; r++) {
                    out.putFloat(a[r * cols + c]);
                }
            }
            out.flip();
            sink.accept(out);
        }
    }
}
