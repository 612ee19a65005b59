package io.omnigen4j.export.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one ONNX graph: named inputs and outputs with symbolic dimensions, initializers whose bytes are
 * produced lazily ({@link TensorData}), and nodes with attributes. Node outputs get unique generated names
 * under the current name scope so graph definitions read like the model code ({@code g.scope("layers.3")}).
 *
 * <p>Not thread-safe; one builder per graph. Serialisation is {@link OnnxModelWriter}'s job.
 */
public final class GraphBuilder {

    /** Opset of the default domain: Attention-23, RMSNormalization-23 and RotaryEmbedding-23 need 23. */
    public static final int OPSET = 23;

    private final String name;
    private final List<TensorSignature> inputs = new ArrayList<>();
    private final List<TensorSignature> outputs = new ArrayList<>();
    private final Map<String, Initializer> initializers = new LinkedHashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> counters = new LinkedHashMap<>();
    private String scope = "";

    public GraphBuilder(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** An initializer; {@code key} identifies identical content shared between graphs of one export. */
    public record Initializer(String name, String key, TensorData data) {
    }

    /** One node as recorded; attribute values are Long, Float, String, long[], float[] or TensorData. */
    public record Node(String opType, String domain, String name, List<String> inputs, List<String> outputs,
                       Map<String, Object> attributes) {
    }

    // ---- signature -------------------------------------------------------------------------------------------

    public Value input(String inputName, OnnxType type, Object... dims) {
        claim(inputName);
        inputs.add(new TensorSignature(inputName, type, Arrays.asList(Dim.of(dims))));
        return new Value(inputName);
    }

    /** Declares {@code v} as a graph output named {@code outputName} (an Identity renames it if needed). */
    public Value output(Value v, String outputName, OnnxType type, Object... dims) {
        Value out = v;
        if (!v.name().equals(outputName)) {
            claim(outputName);
            nodes.add(new Node("Identity", "", uniqueNodeName("Identity"), List.of(v.name()), List.of(outputName),
                    Map.of()));
            out = new Value(outputName);
        }
        outputs.add(new TensorSignature(outputName, type, Arrays.asList(Dim.of(dims))));
        return out;
    }

    public List<TensorSignature> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<TensorSignature> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Map<String, Initializer> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    // ---- initializers -----------------------------------------------------------------------------------------

    /** A weight initializer named {@code initName}; its content key defaults to the name. */
    public Value weight(String initName, TensorData data) {
        return weight(initName, initName, data);
    }

    public Value weight(String initName, String key, TensorData data) {
        claim(initName);
        return addInitializer(initName, key, data);
    }

    private Value addInitializer(String initName, String key, TensorData data) {
        initializers.put(initName, new Initializer(initName, key, data));
        return new Value(initName);
    }

    /** A small constant (shape given) stored inline. */
    public Value constFloats(float[] values, long... shape) {
        return addInitializer(fresh("const"), null, TensorData.ofFloats(values, shape));
    }

    public Value constFloat(float v) {
        return constFloats(new float[] {v});
    }

    public Value constLongs(long... values) {
        return addInitializer(fresh("const"), null, TensorData.ofLongs(values, values.length));
    }

    public Value constLong(long v) {
        return addInitializer(fresh("const"), null, TensorData.ofLongs(new long[] {v}));
    }

    // ---- nodes ------------------------------------------------------------------------------------------------

    /** Starts a node of the default domain. */
    public NodeBuilder op(String opType) {
        return new NodeBuilder(opType, "");
    }

    /** Starts a node of another operator domain (say {@value #MS_DOMAIN}, ONNX Runtime's contrib operators). */
    public NodeBuilder op(String opType, String domain) {
        return new NodeBuilder(opType, domain);
    }

    /** The domain of ONNX Runtime's contrib operators (MatMulNBits, GatherBlockQuantized), opset 1. */
    public static final String MS_DOMAIN = "com.microsoft";

    /** Runs {@code body} with names prefixed by {@code prefix}; restores the outer scope afterwards. */
    public void scoped(String prefix, Runnable body) {
        String outer = scope;
        scope = outer.isEmpty() ? prefix : outer + "/" + prefix;
        try {
            body.run();
        } finally {
            scope = outer;
        }
    }

    public final class NodeBuilder {
        private final String opType;
        private final String domain;
        private final List<String> in = new ArrayList<>();
        private final Map<String, Object> attrs = new LinkedHashMap<>();
        private String nodeName;

        private NodeBuilder(String opType, String domain) {
            this.opType = opType;
            this.domain = domain;
        }

        public NodeBuilder in(Value... values) {
            for (Value v : values) {
                in.add(v == null ? "" : v.name());
            }
            return this;
        }

        public NodeBuilder attr(String key, long v) {
            attrs.put(key, v);
            return this;
        }

        public NodeBuilder attr(String key, float v) {
            attrs.put(key, v);
            return this;
        }

        public NodeBuilder attr(String key, String v) {
            attrs.put(key, v);
            return this;
        }

        public NodeBuilder attr(String key, long... v) {
            attrs.put(key, v.clone());
            return this;
        }

        public NodeBuilder attr(String key, float... v) {
            attrs.put(key, v.clone());
            return this;
        }

        public NodeBuilder attr(String key, TensorData v) {
            attrs.put(key, v);
            return this;
        }

        public NodeBuilder named(String n) {
            this.nodeName = n;
            return this;
        }

        /** Adds the node with one output and returns it. */
        public Value out() {
            return outs(1)[0];
        }

        /** Adds the node with {@code n} outputs. */
        public Value[] outs(int n) {
            String base = nodeName != null ? nodeName : opType;
            String nn = uniqueNodeName(base);
            List<String> outNames = new ArrayList<>(n);
            Value[] result = new Value[n];
            for (int i = 0; i < n; i++) {
                String o = fresh(base + "_out" + i);
                outNames.add(o);
                result[i] = new Value(o);
            }
            nodes.add(new Node(opType, domain, nn, List.copyOf(in), outNames, Collections.unmodifiableMap(attrs)));
            return result;
        }

        /** Adds the node with named outputs; an empty name leaves an optional output unset. */
        public Value[] outsNamed(String... outNames) {
            String nn = uniqueNodeName(nodeName != null ? nodeName : opType);
            Value[] result = new Value[outNames.length];
            for (int i = 0; i < outNames.length; i++) {
                if (!outNames[i].isEmpty()) {
                    claim(outNames[i]);
                }
                result[i] = new Value(outNames[i]);
            }
            nodes.add(new Node(opType, domain, nn, List.copyOf(in), List.of(outNames),
                    Collections.unmodifiableMap(attrs)));
            return result;
        }
    }

    // ---- naming -----------------------------------------------------------------------------------------------

    private void claim(String n) {
        if (!names.add(n)) {
            throw new IllegalArgumentException("graph " + name + ": the name '" + n + "' is already used");
        }
    }

    private String fresh(String base) {
        String prefixed = scope.isEmpty() ? base : scope + "/" + base;
        int k = counters.merge(prefixed, 1, Integer::sum);
        String n = k == 1 ? prefixed : prefixed + "_" + (k - 1);
        while (names.contains(n)) {
            k = counters.merge(prefixed, 1, Integer::sum);
            n = prefixed + "_" + (k - 1);
        }
        names.add(n);
        return n;
    }

    private String uniqueNodeName(String base) {
        return fresh("node:" + base);
    }
}
