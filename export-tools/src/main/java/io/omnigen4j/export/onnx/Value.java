package io.omnigen4j.export.onnx;

/** A named value in a graph: a graph input, an initializer or a node output. */
public record Value(String name) {
    /** The empty name ONNX uses for an omitted optional input. */
    public static final Value ABSENT = new Value("");

    @Override
    public String toString() {
        return name;
    }
}
