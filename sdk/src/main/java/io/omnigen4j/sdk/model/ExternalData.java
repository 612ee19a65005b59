package io.omnigen4j.sdk.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every external-data reference of a scanned graph before ONNX Runtime follows it: the location is a plain
 * relative path that resolves (symbolic links included) to one of the graph's data files in the manifest, and
 * offset and length are decimal numbers that stay inside that file and match the tensor's size.
 */
final class ExternalData {

    /** ONNX Runtime reads a location with this prefix as a memory address, not a file: never valid in a file. */
    static final String ORT_MEMORY_ADDRESS = "*/_ORT_MEM_ADDR_/*";

    private static final Set<String> KEYS = Set.of("location", "offset", "length", "checksum");

    private ExternalData() {
    }

    /**
     * @param what     "graph transformer (transformer.onnx)", for messages
     * @param files    checked real path of every listed file
     * @param entries  manifest entry of every listed file (sizes, already compared with the files)
     * @param graphDir the real folder of the graph file: ONNX Runtime resolves locations against it
     */
    static void check(String what, OnnxGraphScan.Result scan, ModelManifest.Graph graph, Map<String, Path> files,
                      Map<String, ModelManifest.FileEntry> entries, Path root, Path graphDir, String manifestFile,
                      String graphName) throws ModelFolderException {
        List<String> dataFiles = graph.dataFiles() == null ? List.of() : graph.dataFiles();
        for (OnnxGraphScan.TensorRef t : scan.externalTensors()) {
            String label = what + ": " + t.where();
            if (t.dataLocation() != OnnxGraphScan.EXTERNAL) {
                throw fail(label, "has external_data entries but its data_location is not EXTERNAL");
            }
            String location = null;
            String offsetText = null;
            String lengthText = null;
            Set<String> seen = new HashSet<>();
            for (String[] kv : t.externalData()) {
                if (!KEYS.contains(kv[0])) {
                    throw fail(label, "has an unknown external_data key '" + kv[0] + "' (known: location, offset,"
                            + " length, checksum)");
                }
                if (!seen.add(kv[0])) {
                    throw fail(label, "has the external_data key '" + kv[0] + "' twice");
                }
                switch (kv[0]) {
                    case "location" -> location = kv[1];
                    case "offset" -> offsetText = kv[1];
                    case "length" -> lengthText = kv[1];
                    default -> { } // checksum: not used by ONNX Runtime
                }
            }
            if (location == null || location.isEmpty()) {
                throw fail(label, "is stored externally but names no location");
            }
            String where = label + " has external data location '" + location + "'";
            if (location.startsWith(ORT_MEMORY_ADDRESS)) {
                throw fail(where, "which ONNX Runtime would read as a memory address; a model file may only point"
                        + " at its weight files");
            }
            String problem = ModelFolder.syntaxProblem(location);
            if (problem != null) {
                throw fail(where, "that " + problem + "; external data must be a file inside the model folder");
            }
            Path real;
            try {
                real = graphDir.resolve(location).toRealPath();
            } catch (IOException e) {
                throw fail(where, "that does not exist (" + e.getMessage() + ")");
            }
            if (!real.startsWith(root)) {
                throw fail(where, "that resolves to " + real + ", outside the model folder " + root + " (a"
                        + " symbolic link leads out of it)");
            }
            String dataFile = null;
            for (String df : dataFiles) {
                if (real.equals(files.get(df))) {
                    dataFile = df;
                }
            }
            if (dataFile == null) {
                throw fail(where, "that is not one of the graph's data files in " + manifestFile + " (graphs."
                        + graphName + ".data_files: " + dataFiles + ")");
            }
            long fileSize = entries.get(dataFile).bytes();
            long offset = offsetText == null ? 0 : number(where, "offset", offsetText);
            long expected = byteSize(where, t);
            long length = lengthText == null ? expected : number(where, "length", lengthText);
            if (expected >= 0 && length != expected) {
                throw fail(where, "with length " + length + ", but the tensor's shape " + java.util.Arrays.toString(
                        t.dims()) + " and type " + GraphContract.dtype(t.dataType()) + " need " + expected + " bytes");
            }
            if (length < 0) {
                throw fail(where, "with no length, and its size cannot be derived from its type "
                        + GraphContract.dtype(t.dataType()));
            }
            if (offset > fileSize || length > fileSize - offset) {
                throw fail(where, "with offset " + offset + " and length " + length + ", which end at byte "
                        + (offset > Long.MAX_VALUE - length ? "beyond 2^63" : Long.toString(offset + length))
                        + ", past the end of " + dataFile + " (" + fileSize + " bytes)");
            }
        }
    }

    private static ModelFolderException fail(String where, String problem) {
        return new ModelFolderException(where + " " + problem + " — the graph is corrupt or was not written by the"
                + " OmniGen4J exporter; export the model again");
    }

    /** A non-negative decimal number, as ONNX Runtime reads offset and length. */
    private static long number(String where, String key, String text) throws ModelFolderException {
        if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw fail(where, "with " + key + " '" + text + "', which is not a non-negative decimal number below"
                    + " 2^63");
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw fail(where, "with " + key + " '" + text + "', which is not below 2^63");
        }
    }

    /** Bytes the tensor's data takes, or -1 when its type has no fixed size. */
    private static long byteSize(String where, OnnxGraphScan.TensorRef t) throws ModelFolderException {
        long elements = 1;
        for (long d : t.dims()) {
            if (d < 0) {
                throw fail(where, "for a tensor with a negative dimension " + java.util.Arrays.toString(t.dims()));
            }
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw fail(where, "for a tensor of shape " + java.util.Arrays.toString(t.dims())
                        + ", whose element count overflows");
            }
        }
        int type = t.dataType();
        long bitsPerElement = switch (type) {
            case 2, 3, 9, 17, 18, 19, 20, 24 -> 8;     // uint8, int8, bool, float8 variants, float8e8m0
            case 4, 5, 10, 16 -> 16;                   // uint16, int16, float16, bfloat16
            case 1, 6, 12 -> 32;                       // float, int32, uint32
            case 7, 11, 13, 14 -> 64;                  // int64, double, uint64, complex64
            case 15 -> 128;                            // complex128
            case 21, 22, 23 -> 4;                      // uint4, int4, float4e2m1
            case 25, 26 -> 2;                          // uint2, int2
            default -> -1;
        };
        if (bitsPerElement < 0) {
            return -1;
        }
        try {
            return (Math.multiplyExact(elements, bitsPerElement) + 7) / 8;
        } catch (ArithmeticException e) {
            throw fail(where, "for a tensor of shape " + java.util.Arrays.toString(t.dims()) + ", whose byte size"
                    + " overflows");
        }
    }
}
