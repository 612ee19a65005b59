package io.omnigen4j.sdk.model;

import com.google.protobuf.ByteString;
import io.omnigen4j.export.ExportOptions;
import io.omnigen4j.export.OmniGenExporter;
import io.omnigen4j.export.manifest.SampledDigest;
import io.omnigen4j.export.onnx.proto.OnnxProto.AttributeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.GraphProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.ModelProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.NodeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.StringStringEntryProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TensorProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TensorShapeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TypeProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.ValueInfoProto;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written protobuf reader behind the external-data and signature checks: it must see exactly what the
 * protobuf library sees in the exporter's graphs, find external data wherever ONNX allows it, refuse malformed or
 * unsupported input with a message saying where, and skip inline data without reading it.
 */
class OnnxGraphScanTest {

    private static Path exported;

    @TempDir
    Path dir;

    @BeforeAll
    static void export() throws IOException {
        Path root = Files.createTempDirectory("og-scan-test");
        exported = root.resolve("model");
        OmniGenExporter.export(ExportOptions.builder(Fixtures.model("tiny-omnigen-a"), exported).build());
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(exported.getParent())) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Every graph the exporter writes reads the same through the scanner as through protobuf-javalite. */
    @Test
    void agreesWithTheProtobufLibraryOnTheExportersGraphs() throws IOException {
        int graphs = 0;
        int externals = 0;
        for (String g : ModelManifest.GRAPHS) {
            Path file = exported.resolve(g + ".onnx");
            ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
            OnnxGraphScan.Result scan = OnnxGraphScan.scan(file);
            assertValues(model.getGraph().getInputList(), scan.inputs());
            assertValues(model.getGraph().getOutputList(), scan.outputs());
            List<TensorProto> ext = model.getGraph().getInitializerList().stream()
                    .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).toList();
            assertEquals(ext.size(), scan.externalTensors().size(), g);
            for (int i = 0; i < ext.size(); i++) {
                TensorProto t = ext.get(i);
                OnnxGraphScan.TensorRef r = scan.externalTensors().get(i);
                assertEquals("initializer '" + t.getName() + "'", r.where());
                assertEquals(t.getDataType(), r.dataType());
                assertArrayEquals(t.getDimsList().stream().mapToLong(Long::longValue).toArray(), r.dims());
                assertEquals(t.getExternalDataCount(), r.externalData().size());
                for (int k = 0; k < t.getExternalDataCount(); k++) {
                    assertEquals(t.getExternalData(k).getKey(), r.externalData().get(k)[0]);
                    assertEquals(t.getExternalData(k).getValue(), r.externalData().get(k)[1]);
                }
            }
            assertEquals(model.getGraph().getInitializerCount(), scan.initializers().size(), g);
            graphs++;
            externals += ext.size();
        }
        assertEquals(7, graphs);
        assertTrue(externals > 20, "the fixture's graphs keep their weights outside: " + externals);
    }

    private static void assertValues(List<ValueInfoProto> expected, List<OnnxGraphScan.ValueInfo> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            ValueInfoProto e = expected.get(i);
            OnnxGraphScan.ValueInfo a = actual.get(i);
            assertEquals(e.getName(), a.name());
            assertEquals(e.getType().getTensorType().getElemType(), a.elemType());
            List<Object> dims = new ArrayList<>();
            for (TensorShapeProto.Dimension d : e.getType().getTensorType().getShape().getDimList()) {
                dims.add(d.hasDimValue() ? (Object) d.getDimValue() : d.getDimParam());
            }
            assertEquals(dims, a.dims());
        }
    }

    private static TensorProto external(String name, String location) {
        return TensorProto.newBuilder().setName(name).setDataType(1).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
    }

    private Path write(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "g", ".onnx"), bytes);
    }

    private static ModelProto model(GraphProto.Builder g) {
        return ModelProto.newBuilder().setIrVersion(11).setGraph(g).build();
    }

    /** A tag and a length-delimited payload of field {@code number}. */
    private static byte[] field(int number, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, (long) number << 3 | 2);
        varint(out, payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void findsExternalDataInAttributesSubgraphsAndSparseInitializers() throws IOException {
        GraphProto.Builder body = GraphProto.newBuilder().setName("then").addInitializer(external("deep", "b.bin"));
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addNode(NodeProto.newBuilder().setName("c").setOpType("Constant").addOutput("x")
                        .addAttribute(AttributeProto.newBuilder().setName("value")
                                .setType(AttributeProto.AttributeType.TENSOR).setT(external("k", "a.bin"))))
                .addNode(NodeProto.newBuilder().setName("if").setOpType("If").addInput("x").addOutput("y")
                        .addAttribute(AttributeProto.newBuilder().setName("then_branch")
                                .setType(AttributeProto.AttributeType.GRAPH).setG(body)));
        // GraphProto.sparse_initializer (15) is not in the exporter's proto subset: written as raw fields.
        byte[] sparse = field(15, concat(field(1, external("sv", "../c.bin").toByteArray()),
                field(2, TensorProto.newBuilder().setName("si").setDataType(7).addDims(1).build().toByteArray())));
        byte[] graph = concat(g.build().toByteArray(), sparse);
        byte[] bytes = field(7, graph);
        OnnxGraphScan.Result r = OnnxGraphScan.scan(write(bytes));
        List<String> where = r.externalTensors().stream().map(OnnxGraphScan.TensorRef::where).toList();
        assertEquals(List.of("attribute 'value' of node 'c' (tensor 'k')", "initializer 'deep'",
                "sparse initializer (values) (tensor 'sv')"), where);
        assertEquals("../c.bin", r.externalTensors().get(2).externalData().get(0)[1]);
        // Only the top-level graph's initializers can stand in for inputs.
        assertTrue(r.initializers().isEmpty());
    }

    @Test
    void skipsInlineDataWithoutReadingItAndReadsPackedOrPlainDims() throws IOException {
        byte[] big = new byte[3 << 20];
        new Random(1).nextBytes(big);
        TensorProto inline = TensorProto.newBuilder().setName("inline").setDataType(2).addDims(big.length)
                .setRawData(ByteString.copyFrom(big)).build();
        GraphProto.Builder g = GraphProto.newBuilder().addInitializer(inline).addInitializer(external("w", "w.bin"))
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(1).setShape(TensorShapeProto.newBuilder()
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(3))))));
        byte[] bytes = model(g).toByteArray();
        // The same tensor with its dims unpacked (one varint field each), as older writers emit them.
        byte[] unpacked = concat(new byte[] {0x08, 0x02, 0x08, 0x03, 0x10, 0x01},
                external("u", "w.bin").toBuilder().clearDims().clearDataType().build().toByteArray());
        bytes = concat(bytes, field(7, field(5, unpacked)));
        OnnxGraphScan.Result r = OnnxGraphScan.scan(write(bytes));
        assertEquals(2, r.externalTensors().size());
        assertArrayEquals(new long[] {2, 3}, r.externalTensors().get(1).dims());
        assertEquals(List.of("batch", 3L), r.inputs().get(0).dims());
        assertTrue(r.initializers().contains("inline"));
    }

    private void refused(byte[] bytes, String fragment) throws IOException {
        Path file = write(bytes);
        ProtoReader.FormatException e = assertThrows(ProtoReader.FormatException.class, () -> OnnxGraphScan.scan(file));
        assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    }

    @Test
    void refusesMalformedOrUnsupportedFiles() throws IOException {
        byte[] good = model(GraphProto.newBuilder().addInitializer(external("w", "w.bin"))).toByteArray();
        refused(Arrays.copyOf(good, good.length - 5), "runs past");
        refused(new byte[0], "holds no ONNX graph");
        refused("this is not a model".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "");
        refused(new byte[] {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}, "runs past");
        refused(new byte[] {0x08, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}, "malformed varint");
        refused(concat(good, field(25, new byte[] {0x0a, 0x01, 0x66})), "model-local functions");
        refused(concat(good, field(20, new byte[0])), "training information");
        refused(concat(good, new byte[] {0x0b}), "wire type 3");
        // A tensor whose length prefix claims more than its enclosing graph holds.
        refused(field(7, concat(new byte[] {0x2a, 0x7f}, new byte[10])), "runs past its enclosing message");
        // Subgraphs nested deeper than any real model.
        byte[] g = GraphProto.newBuilder().setName("leaf").build().toByteArray();
        for (int i = 0; i < OnnxGraphScan.MAX_DEPTH + 2; i++) {
            g = NodeProto.newBuilder().setName("n" + i).addAttribute(AttributeProto.newBuilder().setName("body")
                    .setG(GraphProto.parseFrom(g))).build().toByteArray();
            g = field(1, g);
        }
        refused(field(7, g), "nest more than");
    }

    @Test
    void sampledDigestMatchesTheExporters() throws IOException {
        Random random = new Random(7);
        long windowBytes = (long) FileDigests.WINDOW * FileDigests.WINDOWS;
        for (long size : new long[] {0, 1, windowBytes, windowBytes + 1, (5L << 20) + 3}) {
            byte[] b = new byte[(int) size];
            random.nextBytes(b);
            Path f = Files.write(dir.resolve("f" + size), b);
            assertEquals(SampledDigest.of(f), FileDigests.sampledSha256(f), "size " + size);
        }
        assertEquals(SampledDigest.WINDOW, FileDigests.WINDOW);
        assertEquals(SampledDigest.WINDOWS, FileDigests.WINDOWS);
    }

    @Test
    void pathSyntax() {
        assertNull(ModelFolder.syntaxProblem("transformer.weights"));
        assertNull(ModelFolder.syntaxProblem("sub/dir/x.onnx"));
        assertNull(ModelFolder.syntaxProblem("a..b"));
        for (String bad : List.of("", "/abs", "\\\\server\\x", "C:x", "c:/x", "..", "a/../b", "./a", "a//b", "a/",
                "a\\b", "a:b", "a\u0000b", "a\nb")) {
            assertTrue(ModelFolder.syntaxProblem(bad) != null, bad);
        }
    }
}
