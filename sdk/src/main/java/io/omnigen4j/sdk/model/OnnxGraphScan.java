package io.omnigen4j.sdk.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the SDK checks in an ONNX graph before ONNX Runtime opens it: the top-level graph's inputs and outputs, and
 * every tensor that stores its data in an external file (initializers, sparse initializers and tensor attributes,
 * in subgraphs too). Streams the file with {@link ProtoReader}; inline tensor data is skipped, never read.
 * Field numbers are those of {@code onnx.proto}. Model-local functions and training information are refused: the
 * exporter writes neither, and a reader that skipped them could miss external data inside.
 */
final class OnnxGraphScan {

    /** Subgraphs (If/Loop bodies) nest at most this deep; deeper input is refused instead of overflowing the stack. */
    static final int MAX_DEPTH = 32;

    /** ONNX TensorProto.DataLocation.EXTERNAL. */
    static final int EXTERNAL = 1;

    /** A graph input or output: name, element type (0 when not a tensor type) and dims (null when no shape). */
    record ValueInfo(String name, int elemType, List<Object> dims) {
    }

    /**
     * A tensor whose data may live in an external file.
     *
     * @param where        where it sits ("initializer 'w'", "attribute 'value' of node 'c'")
     * @param dataType     ONNX element type
     * @param dims         its shape
     * @param externalData the key/value entries in order
     * @param dataLocation the data_location field (1 = EXTERNAL)
     */
    record TensorRef(String where, int dataType, long[] dims, List<String[]> externalData, int dataLocation) {
    }

    /** The scan of one graph file. */
    record Result(List<ValueInfo> inputs, List<ValueInfo> outputs, Set<String> initializers,
                  List<TensorRef> externalTensors) {
    }

    private final ProtoReader in;
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Set<String> initializers = new HashSet<>();
    private final List<TensorRef> external = new ArrayList<>();

    private OnnxGraphScan(ProtoReader in) {
        this.in = in;
    }

    /** Scans {@code file}; a malformed file throws {@link ProtoReader.FormatException} saying where. */
    static Result scan(Path file) throws IOException {
        try (ProtoReader in = new ProtoReader(file)) {
            OnnxGraphScan s = new OnnxGraphScan(in);
            s.model(in.size());
            return new Result(List.copyOf(s.inputs), List.copyOf(s.outputs), Set.copyOf(s.initializers),
                    List.copyOf(s.external));
        }
    }

    private void model(long end) throws IOException {
        boolean graph = false;
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 7 && wt == ProtoReader.LEN) {
                graph(in.readLengthEnd(end), 0, true);
                graph = true;
            } else if (field == 20 || field == 25) {
                throw new ProtoReader.FormatException("the model has " + (field == 20 ? "training information"
                        : "model-local functions") + ", which graphs exported for this SDK never have");
            } else {
                in.skip(wt, end);
            }
        }
        if (!graph) {
            throw new ProtoReader.FormatException("the file holds no ONNX graph (not an ONNX model)");
        }
    }

    private void graph(long end, int depth, boolean top) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ProtoReader.FormatException("subgraphs nest more than " + MAX_DEPTH + " deep");
        }
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (wt != ProtoReader.LEN) {
                in.skip(wt, end);
                continue;
            }
            long fieldEnd = in.readLengthEnd(end);
            switch (field) {
                case 1 -> node(fieldEnd, depth);
                case 5 -> {
                    String name = tensor(fieldEnd, "initializer");
                    if (top) {
                        initializers.add(name);
                    }
                }
                case 15 -> sparseTensor(fieldEnd, "sparse initializer");
                case 11, 12 -> {
                    ValueInfo v = valueInfo(fieldEnd);
                    if (top) {
                        (field == 11 ? inputs : outputs).add(v);
                    }
                }
                default -> in.seek(fieldEnd);
            }
            expectAt(fieldEnd);
        }
    }

    private void node(long end, int depth) throws IOException {
        String name = "";
        List<long[]> attributes = new ArrayList<>();
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 3 && wt == ProtoReader.LEN) {
                name = in.readString(end);
            } else if (field == 5 && wt == ProtoReader.LEN) {
                long fieldEnd = in.readLengthEnd(end);
                attributes.add(new long[] {in.position(), fieldEnd});
                in.seek(fieldEnd);
            } else {
                in.skip(wt, end);
            }
        }
        // Attributes after the node's fields so their messages can name the node.
        long after = in.position();
        for (long[] a : attributes) {
            in.seek(a[0]);
            attribute(a[1], depth, name);
            expectAt(a[1]);
        }
        in.seek(after);
    }

    private void attribute(long end, int depth, String node) throws IOException {
        String name = "";
        List<long[]> values = new ArrayList<>();
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 1 && wt == ProtoReader.LEN) {
                name = in.readString(end);
            } else if (wt == ProtoReader.LEN && (field == 5 || field == 10 || field == 6 || field == 11
                    || field == 22 || field == 23)) {
                long fieldEnd = in.readLengthEnd(end);
                values.add(new long[] {field, in.position(), fieldEnd});
                in.seek(fieldEnd);
            } else {
                in.skip(wt, end);
            }
        }
        long after = in.position();
        String where = "attribute '" + name + "' of node '" + node + "'";
        for (long[] v : values) {
            in.seek(v[1]);
            switch ((int) v[0]) {
                case 5, 10 -> tensor(v[2], where);
                case 6, 11 -> graph(v[2], depth + 1, false);
                default -> sparseTensor(v[2], where);
            }
            expectAt(v[2]);
        }
        in.seek(after);
    }

    private void sparseTensor(long end, String where) throws IOException {
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if ((field == 1 || field == 2) && wt == ProtoReader.LEN) {
                long fieldEnd = in.readLengthEnd(end);
                tensor(fieldEnd, where + (field == 1 ? " (values)" : " (indices)"));
                expectAt(fieldEnd);
            } else {
                in.skip(wt, end);
            }
        }
    }

    /** Reads a TensorProto, records it when it has external data, and returns its name. */
    private String tensor(long end, String kind) throws IOException {
        String name = "";
        int dataType = 0;
        int location = 0;
        List<Long> dims = new ArrayList<>();
        List<String[]> entries = new ArrayList<>();
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            switch (field) {
                case 1 -> {
                    if (wt == ProtoReader.LEN) { // packed
                        long fieldEnd = in.readLengthEnd(end);
                        while (in.position() < fieldEnd) {
                            dims.add(in.readVarint());
                        }
                        expectAt(fieldEnd);
                    } else if (wt == ProtoReader.VARINT) {
                        dims.add(in.readVarint());
                    } else {
                        in.skip(wt, end);
                    }
                }
                case 2 -> {
                    if (wt == ProtoReader.VARINT) {
                        dataType = (int) in.readVarint();
                    } else {
                        in.skip(wt, end);
                    }
                }
                case 8 -> {
                    if (wt == ProtoReader.LEN) {
                        name = in.readString(end);
                    } else {
                        in.skip(wt, end);
                    }
                }
                case 13 -> {
                    if (wt == ProtoReader.LEN) {
                        entries.add(entry(in.readLengthEnd(end)));
                    } else {
                        in.skip(wt, end);
                    }
                }
                case 14 -> {
                    if (wt == ProtoReader.VARINT) {
                        location = (int) in.readVarint();
                    } else {
                        in.skip(wt, end);
                    }
                }
                default -> in.skip(wt, end);
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        String where = kind.equals("initializer") ? "initializer '" + name + "'"
                : kind + (name.isEmpty() ? "" : " (tensor '" + name + "')");
        TensorRef ref = new TensorRef(where, dataType, d, List.copyOf(entries), location);
        if (!entries.isEmpty() || location == EXTERNAL) {
            external.add(ref);
        }
        return name;
    }

    private String[] entry(long end) throws IOException {
        String key = "";
        String value = "";
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 1 && wt == ProtoReader.LEN) {
                key = in.readString(end);
            } else if (field == 2 && wt == ProtoReader.LEN) {
                value = in.readString(end);
            } else {
                in.skip(wt, end);
            }
        }
        expectAt(end);
        return new String[] {key, value};
    }

    private ValueInfo valueInfo(long end) throws IOException {
        String name = "";
        int elemType = 0;
        List<Object> dims = null;
        while (in.position() < end) {
            long tag = in.readTag(end);
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 1 && wt == ProtoReader.LEN) {
                name = in.readString(end);
            } else if (field == 2 && wt == ProtoReader.LEN) {
                long typeEnd = in.readLengthEnd(end);
                while (in.position() < typeEnd) {
                    long t = in.readTag(typeEnd);
                    if ((t >>> 3) == 1 && (t & 7) == ProtoReader.LEN) { // tensor_type
                        long tensorEnd = in.readLengthEnd(typeEnd);
                        while (in.position() < tensorEnd) {
                            long tt = in.readTag(tensorEnd);
                            if ((tt >>> 3) == 1 && (tt & 7) == ProtoReader.VARINT) {
                                elemType = (int) in.readVarint();
                            } else if ((tt >>> 3) == 2 && (tt & 7) == ProtoReader.LEN) {
                                dims = shape(in.readLengthEnd(tensorEnd));
                            } else {
                                in.skip((int) (tt & 7), tensorEnd);
                            }
                        }
                        expectAt(tensorEnd);
                    } else {
                        in.skip((int) (t & 7), typeEnd);
                    }
                }
                expectAt(typeEnd);
            } else {
                in.skip(wt, end);
            }
        }
        return new ValueInfo(name, elemType, dims == null ? null : List.copyOf(dims));
    }

    /** TensorShapeProto: each dim a Long (dim_value), a String (dim_param) or "?" when neither is set. */
    private List<Object> shape(long end) throws IOException {
        List<Object> dims = new ArrayList<>();
        while (in.position() < end) {
            long tag = in.readTag(end);
            if ((tag >>> 3) == 1 && (tag & 7) == ProtoReader.LEN) {
                long dimEnd = in.readLengthEnd(end);
                Object d = "?";
                while (in.position() < dimEnd) {
                    long t = in.readTag(dimEnd);
                    if ((t >>> 3) == 1 && (t & 7) == ProtoReader.VARINT) {
                        d = in.readVarint();
                    } else if ((t >>> 3) == 2 && (t & 7) == ProtoReader.LEN) {
                        d = in.readString(dimEnd);
                    } else {
                        in.skip((int) (t & 7), dimEnd);
                    }
                }
                expectAt(dimEnd);
                dims.add(d);
            } else {
                in.skip((int) (tag & 7), end);
            }
        }
        expectAt(end);
        return dims;
    }

    private void expectAt(long end) throws IOException {
        if (in.position() != end) {
            throw new ProtoReader.FormatException("a message ending at byte " + end + " overruns it (at byte "
                    + in.position() + ")");
        }
    }
}
