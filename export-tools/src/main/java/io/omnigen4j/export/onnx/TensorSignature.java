package io.omnigen4j.export.onnx;

import java.util.List;

/** Name, element type and dimensions of a graph input or output; what the manifest records. */
public record TensorSignature(String name, OnnxType type, List<Dim> dims) {
    public TensorSignature {
        dims = List.copyOf(dims);
    }
}
