package io.omnigen4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.safetensors.SafetensorsFile;
import io.omnigen4j.export.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Locates the shared fixtures and makes altered copies of them for the tests. */
final class FixtureFiles {
    private FixtureFiles() {
    }

    /** {@code ../shared/conformance}, located by the export-tools test helper; missing fixtures fail the test. */
    static Path shared() {
        return Fixtures.conformance();
    }

    /** A fixtures folder in {@code root} with the given model and copies of the given case under new names. */
    static Path copy(Path root, String model, String sourceCase, String... newNames) throws IOException {
        Path src = shared();
        copyTree(src.resolve("models").resolve(model), root.resolve("models").resolve(model));
        for (String n : newNames) {
            copyTree(src.resolve("cases").resolve(sourceCase), root.resolve("cases").resolve(n));
        }
        return root;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            s.sorted(Comparator.naturalOrder()).forEach(p -> {
                try {
                    Path dst = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(dst);
                    } else {
                        Files.copy(p, dst);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** Replaces the first float of {@code tensor} in place with {@code v·1.5 + 0.5}; returns the old value. */
    static float corruptFirstFloat(Path safetensors, String tensor) throws IOException {
        long begin;
        try (SafetensorsFile t = SafetensorsFile.open(safetensors)) {
            begin = t.info(tensor).begin();
        }
        try (FileChannel ch = FileChannel.open(safetensors, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long pos = 8 + len.getLong(0) + begin;
            ByteBuffer f = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(f, pos);
            float old = f.getFloat(0);
            f.clear();
            f.putFloat(0, old * 1.5f + 0.5f);
            ch.write(f, pos);
            return old;
        }
    }

    /** Appends a one-value F32 tensor {@code name} to the file and to case.json's tensor index. */
    static void addTensor(Path caseDir, String name) throws IOException {
        Path file = caseDir.resolve("tensors.safetensors");
        byte[] all = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int dataStart = Math.toIntExact(8 + headerLen);
        ObjectMapper m = new ObjectMapper();
        ObjectNode header = (ObjectNode) m.readTree(new String(all, 8, (int) headerLen, StandardCharsets.UTF_8));
        int dataLen = all.length - dataStart;
        ObjectNode e = header.putObject(name);
        e.put("dtype", "F32");
        e.putArray("shape").add(1);
        e.putArray("data_offsets").add(dataLen).add(dataLen + 4);
        byte[] h = m.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + dataLen + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(all, dataStart, dataLen).putFloat(1f);
        Files.write(file, out.array());
        editCaseJson(caseDir, root -> {
            ObjectNode idx = ((ObjectNode) root.get("tensors")).putObject(name);
            idx.putArray("shape").add(1);
            idx.put("dtype", "float32");
        });
    }

    interface JsonEdit {
        void apply(ObjectNode root);
    }

    static void editCaseJson(Path caseDir, JsonEdit edit) throws IOException {
        ObjectMapper m = new ObjectMapper();
        Path f = caseDir.resolve("case.json");
        JsonNode root = m.readTree(f.toFile());
        edit.apply((ObjectNode) root);
        m.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), root);
    }
}
