package io.omnigen4j.sdk.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The inputs and outputs the SDK feeds and reads for each graph, with the sizes the manifest's configuration implies
 * (hidden size, layers, K/V heads, head size, latent channels), checked against each graph file before ONNX Runtime
 * opens it: a graph that belongs elsewhere, or a configuration that disagrees with the graphs, is named at load
 * instead of failing inside the first run. The layout is {@code onnx-models/README.md}'s table.
 */
final class GraphContract {

    static final int FLOAT = 1;
    static final int INT64 = 7;

    /** One expected dimension: a fixed size and where it comes from, or any size ({@code size < 0}). */
    record Dim(long size, String origin) {
        static final Dim ANY = new Dim(-1, null);

        static Dim of(long size, String origin) {
            return new Dim(size, origin);
        }
    }

    /** One expected input or output; {@code origin} says why it is expected (null: every model has it). */
    record Value(String name, int elemType, List<Dim> dims, String origin) {
    }

    /** A graph's expected inputs (any order) and outputs (this order: the SDK reads some by position). */
    record Signature(List<Value> inputs, List<Value> outputs) {
    }

    private GraphContract() {
    }

    /**
     * Checks the configuration itself (sizes that must divide, agree or be in range): the graphs are built from
     * it, and the SDK sizes its buffers from it.
     */
    static void checkConfig(String file, ModelManifest m) throws ModelFolderException {
        ModelManifest.TransformerConfig t = m.transformer();
        if (t.hiddenSize() % t.heads() != 0) {
            throw config(file, "transformer.hidden_size " + t.hiddenSize() + " is not a multiple of"
                    + " transformer.num_attention_heads " + t.heads());
        }
        if (t.heads() % t.kvHeads() != 0) {
            throw config(file, "transformer.num_attention_heads " + t.heads() + " is not a multiple of"
                    + " transformer.num_key_value_heads " + t.kvHeads());
        }
        if (t.headDim() % 2 != 0) {
            throw config(file, "the head size hidden_size/num_attention_heads = " + t.headDim() + " is odd;"
                    + " rotary embeddings need an even head size");
        }
        if (t.ropeScaling() != null) {
            int half = t.headDim() / 2;
            for (String which : List.of("short_factor", "long_factor")) {
                List<Double> f = which.equals("short_factor") ? t.ropeScaling().shortFactor()
                        : t.ropeScaling().longFactor();
                if (f.size() != half) {
                    throw config(file, "transformer.rope_scaling." + which + " has " + f.size() + " values; the head"
                            + " size " + t.headDim() + " needs head_size/2 = " + half);
                }
            }
        }
        if (m.vae().latentChannels() != m.omnigen().latentChannels()) {
            throw config(file, "vae.latent_channels " + m.vae().latentChannels() + " and omnigen.latent_channels "
                    + m.omnigen().latentChannels() + " disagree");
        }
        if (m.omnigen().padTokenId() >= t.vocabSize()) {
            throw config(file, "omnigen.pad_token_id " + m.omnigen().padTokenId() + " is not below"
                    + " transformer.vocab_size " + t.vocabSize());
        }
    }

    private static ModelFolderException config(String file, String what) {
        return new ModelFolderException(file + ": " + what + " — the manifest's configuration is inconsistent;"
                + " export the model again");
    }

    /** The expected signature of every graph of {@link ModelManifest#GRAPHS} for this manifest's configuration. */
    static Map<String, Signature> expected(ModelManifest m) {
        ModelManifest.TransformerConfig t = m.transformer();
        Dim hidden = Dim.of(t.hiddenSize(), "transformer.hidden_size = " + t.hiddenSize());
        Dim kv = Dim.of(t.kvHeads(), "transformer.num_key_value_heads = " + t.kvHeads());
        Dim head = Dim.of(t.headDim(), "the head size hidden_size/num_attention_heads = " + t.headDim());
        Dim halfHead = Dim.of(t.headDim() / 2, "half the head size (hidden_size/num_attention_heads)/2 = "
                + t.headDim() / 2);
        Dim latent = Dim.of(m.omnigen().latentChannels(), "omnigen.latent_channels = "
                + m.omnigen().latentChannels());
        Dim vaeLatent = Dim.of(m.vae().latentChannels(), "vae.latent_channels = " + m.vae().latentChannels());
        Dim moments = Dim.of(2L * m.vae().latentChannels(), "2 × vae.latent_channels = "
                + 2 * m.vae().latentChannels());
        Dim rgb = Dim.of(3, "RGB images (3 channels)");
        Dim one = Dim.of(1, "the SDK's layout");
        Dim any = Dim.ANY;
        Map<String, Signature> s = new LinkedHashMap<>();
        s.put("token_embed", new Signature(
                List.of(v("input_ids", INT64, any, any)),
                List.of(v("embeds", FLOAT, any, any, hidden))));
        s.put("image_embed", new Signature(
                List.of(v("latents", FLOAT, any, latent, any, any), v("pos_index", INT64, any)),
                List.of(v("tokens", FLOAT, any, any, hidden))));
        s.put("step_embed", new Signature(
                List.of(v("latents", FLOAT, any, latent, any, any), v("timestep", FLOAT, any),
                        v("pos_index", INT64, any)),
                List.of(v("inputs_embeds", FLOAT, any, any, hidden), v("time_emb", FLOAT, any, hidden))));
        List<Value> in = new ArrayList<>(List.of(v("inputs_embeds", FLOAT, any, any, hidden),
                v("attention_mask", FLOAT, any, one, any, any), v("rope_cos", FLOAT, any, any, halfHead),
                v("rope_sin", FLOAT, any, any, halfHead), v("cache_tokens", INT64, one)));
        List<Value> out = new ArrayList<>();
        String perLayer = "the manifest's transformer.num_hidden_layers = " + t.layers() + " implies one per layer"
                + " (0…" + (t.layers() - 1) + ")";
        for (int i = 0; i < t.layers(); i++) {
            List<Dim> kvDims = List.of(any, kv, any, head);
            in.add(new Value("past_key_" + i, FLOAT, kvDims, perLayer));
            in.add(new Value("past_value_" + i, FLOAT, kvDims, perLayer));
            out.add(new Value("present_key_" + i, FLOAT, kvDims, perLayer));
            out.add(new Value("present_value_" + i, FLOAT, kvDims, perLayer));
        }
        out.add(v("hidden_states", FLOAT, any, any, hidden));
        s.put("transformer", new Signature(List.copyOf(in), List.copyOf(out)));
        s.put("step_head", new Signature(
                List.of(v("hidden_states", FLOAT, any, any, hidden), v("time_emb", FLOAT, any, hidden),
                        v("latents", FLOAT, any, latent, any, any)),
                List.of(v("velocity", FLOAT, any, latent, any, any))));
        s.put("vae_encoder", new Signature(
                List.of(v("pixels", FLOAT, any, rgb, any, any)),
                List.of(v("moments", FLOAT, any, moments, any, any))));
        s.put("vae_decoder", new Signature(
                List.of(v("latents", FLOAT, any, vaeLatent, any, any)),
                List.of(v("pixels", FLOAT, any, rgb, any, any))));
        return s;
    }

    private static Value v(String name, int type, Dim... dims) {
        return new Value(name, type, List.of(dims), null);
    }

    /**
     * Checks a scanned graph against its expected signature and against the manifest's own record of it.
     *
     * @param what "graph token_embed (token_embed.onnx)", for messages
     */
    static void check(String what, Signature expected, OnnxGraphScan.Result graph, ModelManifest.Graph recorded,
                      String manifestFile) throws ModelFolderException {
        Map<String, OnnxGraphScan.ValueInfo> inputs = new LinkedHashMap<>();
        for (OnnxGraphScan.ValueInfo v : graph.inputs()) {
            inputs.put(v.name(), v);
        }
        String fix = " — the file does not belong to this model or the manifest was edited; export the model again";
        for (Value e : expected.inputs()) {
            OnnxGraphScan.ValueInfo actual = inputs.get(e.name());
            if (actual == null) {
                throw new ModelFolderException(what + " has no input '" + e.name() + "' (its inputs: "
                        + names(graph.inputs()) + ")" + origin(e) + fix);
            }
            compare(what, "input", e, actual, fix);
        }
        Set<String> fed = expected.inputs().stream().map(Value::name).collect(Collectors.toSet());
        for (OnnxGraphScan.ValueInfo v : graph.inputs()) {
            // An input with an initializer has a default value; the SDK need not feed it.
            if (!fed.contains(v.name()) && !graph.initializers().contains(v.name())) {
                throw new ModelFolderException(what + " has an input '" + v.name() + "' that the SDK does not"
                        + " feed (" + (v.name().startsWith("past_") ? "the manifest's transformer.num_hidden_layers"
                        + " is " + (expected.inputs().size() - 5) / 2 : "it feeds " + expected.inputs().size()
                        + " inputs") + ")" + fix);
            }
        }
        List<OnnxGraphScan.ValueInfo> outs = graph.outputs();
        for (int i = 0; i < expected.outputs().size(); i++) {
            Value e = expected.outputs().get(i);
            if (i >= outs.size() || !outs.get(i).name().equals(e.name())) {
                boolean present = outs.stream().anyMatch(o -> o.name().equals(e.name()));
                throw new ModelFolderException(what + (present ? " has its output '" + e.name() + "' at position "
                        + positionOf(outs, e.name()) + ", expected " + i : " has no output '" + e.name() + "'")
                        + " (its outputs: " + names(outs) + ")" + origin(e) + fix);
            }
            compare(what, "output", e, outs.get(i), fix);
        }
        if (outs.size() != expected.outputs().size()) {
            throw new ModelFolderException(what + " has " + outs.size() + " outputs, expected "
                    + expected.outputs().size() + " (its outputs: " + names(outs) + ")" + fix);
        }
        if (recorded.inputs() != null) {
            compareRecorded(what, "inputs", recorded.inputs(), graph.inputs(), manifestFile);
        }
        if (recorded.outputs() != null) {
            compareRecorded(what, "outputs", recorded.outputs(), graph.outputs(), manifestFile);
        }
    }

    private static String origin(Value e) {
        return e.origin() == null ? "" : "; " + e.origin();
    }

    private static int positionOf(List<OnnxGraphScan.ValueInfo> values, String name) {
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static void compare(String what, String kind, Value e, OnnxGraphScan.ValueInfo actual, String fix)
            throws ModelFolderException {
        String label = what + " " + kind + " '" + e.name() + "'";
        if (actual.elemType() != e.elemType()) {
            throw new ModelFolderException(label + " is " + dtype(actual.elemType()) + ", expected "
                    + dtype(e.elemType()) + fix);
        }
        if (actual.dims() == null || actual.dims().size() != e.dims().size()) {
            throw new ModelFolderException(label + " has " + (actual.dims() == null ? "no shape"
                    : actual.dims().size() + " dimensions " + actual.dims()) + ", expected " + e.dims().size() + fix);
        }
        for (int k = 0; k < e.dims().size(); k++) {
            Dim d = e.dims().get(k);
            Object a = actual.dims().get(k);
            if (d.size() >= 0 && !(a instanceof Long l && l == d.size())) {
                throw new ModelFolderException(label + " has dimension " + k + " = " + a + " in the graph, but "
                        + d.origin() + " in the manifest implies " + d.size() + " — the manifest's configuration"
                        + " and the graphs disagree; export the model again");
            }
        }
    }

    private static void compareRecorded(String what, String kind, List<ModelManifest.TensorInfo> recorded,
                                        List<OnnxGraphScan.ValueInfo> actual, String manifestFile)
            throws ModelFolderException {
        String fix = " — the manifest and the graph disagree; export the model again";
        if (recorded.size() != actual.size()) {
            throw new ModelFolderException(what + " has " + actual.size() + " " + kind + " (" + names(actual)
                    + "), but " + manifestFile + " records " + recorded.size() + fix);
        }
        for (int i = 0; i < recorded.size(); i++) {
            ModelManifest.TensorInfo r = recorded.get(i);
            OnnxGraphScan.ValueInfo a = actual.get(i);
            if (!r.name().equals(a.name()) || !r.dtype().equals(dtype(a.elemType()))
                    || !sameDims(r.dims(), a.dims())) {
                throw new ModelFolderException(what + " " + kind.substring(0, kind.length() - 1) + " " + i + " is '"
                        + a.name() + "' " + dtype(a.elemType()) + " " + a.dims() + ", but " + manifestFile
                        + " records '" + r.name() + "' " + r.dtype() + " " + r.dims() + fix);
            }
        }
    }

    private static boolean sameDims(List<Object> recorded, List<Object> actual) {
        if (actual == null || recorded.size() != actual.size()) {
            return false;
        }
        for (int i = 0; i < recorded.size(); i++) {
            Object r = recorded.get(i);
            Object a = actual.get(i);
            // Fixed sizes must agree; symbolic names are labels only.
            if ((r instanceof Long || a instanceof Long) && !r.equals(a)) {
                return false;
            }
        }
        return true;
    }

    /** The names, the first 12 of them when there are more (a real decoder has 69 inputs). */
    private static String names(List<OnnxGraphScan.ValueInfo> values) {
        if (values.isEmpty()) {
            return "none";
        }
        String shown = values.stream().limit(12).map(OnnxGraphScan.ValueInfo::name).collect(Collectors.joining(", "));
        return values.size() > 12 ? shown + ", … (" + values.size() + " in all)" : shown;
    }

    /** The manifest's name of an ONNX element type. */
    static String dtype(int type) {
        return switch (type) {
            case 1 -> "float32";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case 6 -> "int32";
            case 7 -> "int64";
            case 8 -> "string";
            case 9 -> "bool";
            case 10 -> "float16";
            case 11 -> "float64";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case 16 -> "bfloat16";
            case 0 -> "not a tensor";
            default -> "ONNX type " + type;
        };
    }
}
