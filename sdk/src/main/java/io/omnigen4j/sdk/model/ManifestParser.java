package io.omnigen4j.sdk.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds a {@link ModelManifest} from manifest.json's JSON tree, field by field, so a missing or malformed field is
 * named by its path ({@code transformer.hidden_size}) with the type expected, instead of becoming 0 or null.
 */
final class ManifestParser {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final String file;

    ManifestParser(String file) {
        this.file = file;
    }

    ModelManifest parse(JsonNode root) throws ModelFolderException {
        if (root == null || !root.isObject()) {
            throw new ModelFolderException(file + " is not a JSON object; it is not an OmniGen4J manifest");
        }
        String format = string(root, "", "format", true);
        if (!ModelManifest.FORMAT.equals(format)) {
            throw new ModelFolderException(file + ": format is '" + format + "', expected '" + ModelManifest.FORMAT
                    + "'");
        }
        int version = integer(root, "", "format_version", 0, null);
        if (version != ModelManifest.SUPPORTED_VERSION) {
            throw new ModelFolderException(file + ": format version " + version + " is not supported by this SDK"
                    + " (supports " + ModelManifest.SUPPORTED_VERSION + "); re-export the model with a matching"
                    + " exporter");
        }
        String producer = string(root, "", "producer", false);
        Integer revision = root.hasNonNull("graphs_revision") ? integer(root, "", "graphs_revision", 1, null) : null;
        String precision = string(root, "", "precision", false);
        JsonNode q = object(root, "", "quantization", false);
        ModelManifest.Quantization quant = q == null ? null : new ModelManifest.Quantization(
                string(q, "quantization.", "scheme", true), integer(q, "quantization.", "bits", 1, null),
                integer(q, "quantization.", "block_size", 1, null), bool(q, "quantization.", "symmetric"),
                integer(q, "quantization.", "accuracy_level", 0, null), string(q, "quantization.", "embedding", true));
        String vaeConvolution = string(root, "", "vae_convolution", false);
        Integer headsPerNode = root.hasNonNull("attention_heads_per_node")
                ? integer(root, "", "attention_heads_per_node", 1, null) : null;
        ModelManifest.TransformerConfig transformer = transformer(object(root, "", "transformer", true));
        JsonNode v = object(root, "", "vae", true);
        ModelManifest.VaeSettings vae = new ModelManifest.VaeSettings(integer(v, "vae.", "latent_channels", 1, null),
                number(v, "vae.", "scaling_factor", true, true),
                v.hasNonNull("shift_factor") ? number(v, "vae.", "shift_factor", true, false) : null);
        JsonNode c = object(root, "", "omnigen", true);
        ModelManifest.Constants omnigen = new ModelManifest.Constants(
                integer(c, "omnigen.", "pos_embed_max_size", 1, null), integer(c, "omnigen.", "patch_size", 1, null),
                integer(c, "omnigen.", "latent_channels", 1, null), integer(c, "omnigen.", "vae_downscale", 1, null),
                integer(c, "omnigen.", "pad_token_id", 0, null));
        JsonNode g = object(root, "", "graphs", true);
        Map<String, ModelManifest.Graph> graphs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) g::fields) {
            graphs.put(e.getKey(), graph(g, "graphs." + e.getKey()));
        }
        JsonNode t = object(root, "", "tokenizer", true);
        ModelManifest.Tokenizer tokenizer = new ModelManifest.Tokenizer(string(t, "tokenizer.", "file", true),
                strings(t, "tokenizer.", "extra_files"));
        JsonNode fs = array(root, "", "files", true);
        List<ModelManifest.FileEntry> files = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            String p = "files[" + i + "]";
            JsonNode f = fs.get(i);
            if (!f.isObject()) {
                throw bad(p, f, "an object with path, bytes and sha256");
            }
            p += ".";
            files.add(new ModelManifest.FileEntry(string(f, p, "path", true), longValue(f, p, "bytes"),
                    sha(f, p, "sha256", true), sha(f, p, "sample_sha256", false)));
        }
        return new ModelManifest(format, version, producer, revision, precision, quant, vaeConvolution, headsPerNode,
                transformer, vae, omnigen, graphs, tokenizer, files);
    }

    private ModelManifest.TransformerConfig transformer(JsonNode t) throws ModelFolderException {
        String p = "transformer.";
        int heads = integer(t, p, "num_attention_heads", 1, null);
        JsonNode rs = object(t, p, "rope_scaling", false);
        ModelManifest.RopeScaling rope = rs == null ? null : new ModelManifest.RopeScaling(
                string(rs, p + "rope_scaling.", "type", true), numbers(rs, p + "rope_scaling.", "short_factor"),
                numbers(rs, p + "rope_scaling.", "long_factor"));
        int maxPos = integer(t, p, "max_position_embeddings", 1, null);
        return new ModelManifest.TransformerConfig(integer(t, p, "hidden_size", 1, null),
                integer(t, p, "num_hidden_layers", 1, null), heads,
                integer(t, p, "num_key_value_heads", 1, heads), integer(t, p, "intermediate_size", 1, null),
                integer(t, p, "vocab_size", 1, null), number(t, p, "rms_norm_eps", true, true),
                number(t, p, "rope_theta", true, true), maxPos,
                integer(t, p, "original_max_position_embeddings", 1, rope == null ? maxPos : null), rope);
    }

    private ModelManifest.Graph graph(JsonNode graphs, String path) throws ModelFolderException {
        JsonNode g = graphs.get(path.substring("graphs.".length()));
        if (!g.isObject()) {
            throw bad(path, g, "an object with file, data_files, inputs and outputs");
        }
        String p = path + ".";
        return new ModelManifest.Graph(string(g, p, "file", true), strings(g, p, "data_files"),
                tensors(g, p, "inputs"), tensors(g, p, "outputs"));
    }

    private List<ModelManifest.TensorInfo> tensors(JsonNode g, String p, String name) throws ModelFolderException {
        JsonNode a = array(g, p, name, false);
        if (a == null) {
            return null;
        }
        List<ModelManifest.TensorInfo> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String q = p + name + "[" + i + "]";
            JsonNode e = a.get(i);
            if (!e.isObject()) {
                throw bad(q, e, "an object with name, dtype and dims");
            }
            q += ".";
            JsonNode dims = array(e, q, "dims", true);
            List<Object> d = new ArrayList<>();
            for (int k = 0; k < dims.size(); k++) {
                JsonNode x = dims.get(k);
                if (x.isIntegralNumber() && x.canConvertToLong() && x.asLong() >= 0) {
                    d.add(x.asLong());
                } else if (x.isTextual()) {
                    d.add(x.asText());
                } else {
                    throw bad(q + "dims[" + k + "]", x, "a size (integer ≥ 0) or a symbolic dimension name (string)");
                }
            }
            out.add(new ModelManifest.TensorInfo(string(e, q, "name", true), string(e, q, "dtype", true),
                    List.copyOf(d)));
        }
        return List.copyOf(out);
    }

    private JsonNode field(JsonNode obj, String prefix, String name, boolean required, String expected)
            throws ModelFolderException {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) {
            if (required) {
                throw new ModelFolderException(file + ": field " + prefix + name + " is missing; expected "
                        + expected + " — the manifest is incomplete or was edited by hand; export the model again");
            }
            return null;
        }
        return n;
    }

    private ModelFolderException bad(String path, JsonNode value, String expected) {
        String shown = value.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return new ModelFolderException(file + ": field " + path + " is " + shown + " (" + kind(value)
                + "); expected " + expected + " — the manifest is malformed; export the model again");
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private JsonNode object(JsonNode obj, String prefix, String name, boolean required) throws ModelFolderException {
        JsonNode n = field(obj, prefix, name, required, "an object");
        if (n != null && !n.isObject()) {
            throw bad(prefix + name, n, "an object");
        }
        return n;
    }

    private JsonNode array(JsonNode obj, String prefix, String name, boolean required) throws ModelFolderException {
        JsonNode n = field(obj, prefix, name, required, "an array");
        if (n != null && !n.isArray()) {
            throw bad(prefix + name, n, "an array");
        }
        return n;
    }

    private String string(JsonNode obj, String prefix, String name, boolean required) throws ModelFolderException {
        JsonNode n = field(obj, prefix, name, required, "a string");
        if (n != null && !n.isTextual()) {
            throw bad(prefix + name, n, "a string");
        }
        return n == null ? null : n.asText();
    }

    private List<String> strings(JsonNode obj, String prefix, String name) throws ModelFolderException {
        JsonNode a = array(obj, prefix, name, false);
        if (a == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).isTextual()) {
                throw bad(prefix + name + "[" + i + "]", a.get(i), "a string (a file name)");
            }
            out.add(a.get(i).asText());
        }
        return List.copyOf(out);
    }

    private List<Double> numbers(JsonNode obj, String prefix, String name) throws ModelFolderException {
        JsonNode a = array(obj, prefix, name, true);
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = a.get(i);
            if (!x.isNumber() || !Double.isFinite(x.asDouble())) {
                throw bad(prefix + name + "[" + i + "]", x, "a finite number");
            }
            out.add(x.asDouble());
        }
        return List.copyOf(out);
    }

    private int integer(JsonNode obj, String prefix, String name, int min, Integer dflt) throws ModelFolderException {
        String expected = min == 1 ? "a positive integer" : "an integer ≥ " + min;
        JsonNode n = field(obj, prefix, name, dflt == null, expected);
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < min) {
            throw bad(prefix + name, n, expected);
        }
        return n.asInt();
    }

    private long longValue(JsonNode obj, String prefix, String name) throws ModelFolderException {
        JsonNode n = field(obj, prefix, name, true, "a byte count (integer ≥ 0)");
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw bad(prefix + name, n, "a byte count (integer ≥ 0)");
        }
        return n.asLong();
    }

    private double number(JsonNode obj, String prefix, String name, boolean required, boolean positive)
            throws ModelFolderException {
        String expected = positive ? "a positive number" : "a finite number";
        JsonNode n = field(obj, prefix, name, required, expected);
        if (!n.isNumber() || !Double.isFinite(n.asDouble()) || (positive && n.asDouble() <= 0)) {
            throw bad(prefix + name, n, expected);
        }
        return n.asDouble();
    }

    private boolean bool(JsonNode obj, String prefix, String name) throws ModelFolderException {
        JsonNode n = field(obj, prefix, name, true, "true or false");
        if (!n.isBoolean()) {
            throw bad(prefix + name, n, "true or false");
        }
        return n.asBoolean();
    }

    private String sha(JsonNode obj, String prefix, String name, boolean required) throws ModelFolderException {
        String s = string(obj, prefix, name, required);
        if (s != null && !SHA256.matcher(s).matches()) {
            throw bad(prefix + name, obj.get(name), "a SHA-256 as 64 hexadecimal digits");
        }
        return s;
    }
}
