package io.omnigen4j.export.onnx;

import com.google.protobuf.ByteString;
import io.omnigen4j.export.onnx.proto.OnnxProto.AttributeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.GraphProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.ModelProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.NodeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.OperatorSetIdProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.StringStringEntryProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TensorProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TensorShapeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TypeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.ValueInfoProto;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serialises a {@link GraphBuilder} to an ONNX file. Initializers of at least {@code externalThreshold} bytes go
 * to an {@link ExternalDataFile} (required beyond protobuf's 2 GB limit, and lets ORT memory-map the weights);
 * smaller ones are stored inline. The {@code .onnx} file itself stays small.
 */
public final class OnnxModelWriter {

    /** IR version 11 is the one that carries opset 23. */
    public static final long IR_VERSION = 11;

    private final String producerVersion;
    private final long externalThreshold;

    public OnnxModelWriter(String producerVersion, long externalThreshold) {
        this.producerVersion = producerVersion;
        this.externalThreshold = externalThreshold;
    }

    /** Writes {@code graph} to {@code file}; large weights are appended to {@code data} (may be null: all inline). */
    public void write(GraphBuilder graph, Path file, ExternalDataFile data, Map<String, String> metadata)
            throws IOException {
        ModelProto model = toProto(graph, data, metadata);
        try (OutputStream os = Files.newOutputStream(file)) {
            model.writeTo(os);
        }
    }

    public ModelProto toProto(GraphBuilder graph, ExternalDataFile data, Map<String, String> metadata)
            throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().setName(graph.name());
        for (TensorSignature s : graph.inputs()) {
            g.addInput(valueInfo(s));
        }
        for (TensorSignature s : graph.outputs()) {
            g.addOutput(valueInfo(s));
        }
        for (GraphBuilder.Initializer init : graph.initializers().values()) {
            g.addInitializer(tensor(init, data));
        }
        for (GraphBuilder.Node n : graph.nodes()) {
            NodeProto.Builder nb = NodeProto.newBuilder().setOpType(n.opType()).setName(n.name())
                    .addAllInput(n.inputs()).addAllOutput(n.outputs());
            if (!n.domain().isEmpty()) {
                nb.setDomain(n.domain());
            }
            for (Map.Entry<String, Object> a : n.attributes().entrySet()) {
                nb.addAttribute(attribute(a.getKey(), a.getValue()));
            }
            g.addNode(nb);
        }
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("omnigen4j-export")
                .setProducerVersion(producerVersion)
                .setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(GraphBuilder.OPSET));
        if (graph.nodes().stream().anyMatch(n -> GraphBuilder.MS_DOMAIN.equals(n.domain()))) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(GraphBuilder.MS_DOMAIN).setVersion(1));
        }
        if (metadata != null) {
            metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        }
        return m.build();
    }

    private TensorProto tensor(GraphBuilder.Initializer init, ExternalDataFile data) throws IOException {
        TensorData td = init.data();
        TensorProto.Builder t = TensorProto.newBuilder().setName(init.name()).setDataType(td.type().code());
        for (long d : td.shape()) {
            t.addDims(d);
        }
        long len = td.byteLength();
        if (data != null && len >= externalThreshold) {
            long[] loc = data.put(init.key() != null ? init.key() : init.name(), td);
            t.setDataLocation(TensorProto.DataLocation.EXTERNAL);
            t.addExternalData(entry("location", data.location()));
            t.addExternalData(entry("offset", Long.toString(loc[0])));
            t.addExternalData(entry("length", Long.toString(loc[1])));
        } else {
            t.setRawData(ByteString.copyFrom(bytesOf(td)));
        }
        return t.build();
    }

    private static byte[] bytesOf(TensorData td) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream((int) td.byteLength());
        td.writeTo(chunk -> {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            bos.write(b);
        });
        return bos.toByteArray();
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static ValueInfoProto valueInfo(TensorSignature s) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Dim d : s.dims()) {
            TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
            if (d.isSymbolic()) {
                db.setDimParam(d.symbol());
            } else {
                db.setDimValue(d.size());
            }
            shape.addDim(db);
        }
        TypeProto type = TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(s.type().code()).setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(s.name()).setType(type).build();
    }

    private AttributeProto attribute(String name, Object v) throws IOException {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        if (v instanceof Long l) {
            a.setType(AttributeProto.AttributeType.INT).setI(l);
        } else if (v instanceof Float f) {
            a.setType(AttributeProto.AttributeType.FLOAT).setF(f);
        } else if (v instanceof String s) {
            a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFrom(s, StandardCharsets.UTF_8));
        } else if (v instanceof long[] ls) {
            a.setType(AttributeProto.AttributeType.INTS);
            for (long l : ls) {
                a.addInts(l);
            }
        } else if (v instanceof float[] fs) {
            a.setType(AttributeProto.AttributeType.FLOATS);
            for (float f : fs) {
                a.addFloats(f);
            }
        } else if (v instanceof TensorData td) {
            TensorProto.Builder t = TensorProto.newBuilder().setDataType(td.type().code())
                    .setRawData(ByteString.copyFrom(bytesOf(td)));
            for (long d : td.shape()) {
                t.addDims(d);
            }
            a.setType(AttributeProto.AttributeType.TENSOR).setT(t);
        } else {
            throw new IllegalArgumentException("unsupported attribute value for " + name + ": " + v);
        }
        return a.build();
    }

}
