package io.omnigen4j.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.manifest.SampledDigest;
import io.omnigen4j.export.onnx.proto.OnnxProto.ModelProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.StringStringEntryProto;
import io.omnigen4j.export.onnx.proto.OnnxProto.TensorProto;
import io.omnigen4j.sdk.model.IntegrityCheck;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelFolderException;
import io.omnigen4j.sdk.model.ModelManifest;
import io.omnigen4j.sdk.runtime.RuntimeOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model folder is untrusted input: every path in the manifest and in the graphs' external data is confined to the
 * folder (no {@code ..}, absolute path or symbolic link leading out), graphs are checked against the manifest and its
 * configuration, fields are named when missing or malformed, and content is hashed at load. Each case damages a
 * fresh copy of the exported fixture model and expects a {@link ModelFolderException} naming the input and the
 * problem from {@link ModelFolder#open} alone (so before ONNX Runtime opens anything) and from {@link OmniGen#load}
 * (whose ONNX Runtime failures would be plain {@link OmniGenException}s, not this type).
 */
class UntrustedModelFolderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path copy;

    @AfterEach
    void cleanUp() {
        if (copy != null) {
            TinyModel.deleteTree(copy.getParent());
        }
    }

    private Path folder() throws Exception {
        copy = TinyModel.copy();
        return copy;
    }

    /** A file beside the model folder (outside it) with the bytes of the folder's {@code name}. */
    private Path outsideCopy(String name) throws Exception {
        Path dir = Files.createDirectories(copy.getParent().resolve("outside"));
        return Files.copy(copy.resolve(name), dir.resolve(name));
    }

    private static ModelFolderException fails(Path folder, String... fragments) {
        return fails(folder, RuntimeOptions.defaults(), fragments);
    }

    private static ModelFolderException fails(Path folder, RuntimeOptions options, String... fragments) {
        ModelFolderException e = assertThrows(ModelFolderException.class,
                () -> ModelFolder.open(folder, options.integrityCheck()));
        contains(e, fragments);
        ModelFolderException viaLoad = assertThrows(ModelFolderException.class,
                () -> OmniGen.load(folder, options).close());
        assertEquals(e.getMessage(), viaLoad.getMessage());
        return e;
    }

    private static void contains(Exception e, String... fragments) {
        String msg = e.getMessage().toLowerCase(Locale.ROOT);
        for (String f : fragments) {
            assertTrue(msg.contains(f.toLowerCase(Locale.ROOT)), "message should contain '" + f + "': "
                    + e.getMessage());
        }
    }

    private static ObjectNode manifest(Path folder) throws Exception {
        return (ObjectNode) JSON.readTree(folder.resolve(ModelManifest.FILE_NAME).toFile());
    }

    private static void write(Path folder, JsonNode manifest) throws Exception {
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve(ModelManifest.FILE_NAME).toFile(), manifest);
    }

    private static void edit(Path folder, UnaryOperator<ObjectNode> change) throws Exception {
        write(folder, change.apply(manifest(folder)));
    }

    private static ObjectNode fileEntry(ObjectNode m, String path) {
        for (JsonNode f : m.get("files")) {
            if (f.get("path").asText().equals(path)) {
                return (ObjectNode) f;
            }
        }
        throw new AssertionError("no files entry " + path);
    }

    /** Records the current size and checksums of {@code name} in the manifest, as a forger would. */
    private static void rehash(Path folder, String name, String asPath) throws Exception {
        Path p = folder.resolve(asPath);
        ObjectNode m = manifest(folder);
        ObjectNode e = fileEntry(m, name);
        e.put("path", asPath);
        e.put("bytes", Files.size(p));
        e.put("sha256", sha256(p));
        e.put("sample_sha256", SampledDigest.of(p));
        write(folder, m);
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void flipByte(Path file, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
    }

    // ---- paths in the manifest ----

    @Test
    void dotDotInAGraphPathIsRefused() throws Exception {
        Path folder = folder();
        outsideCopy("token_embed.onnx");
        edit(folder, m -> {
            ((ObjectNode) m.get("graphs").get("token_embed")).put("file", "../outside/token_embed.onnx");
            return m;
        });
        fails(folder, "graphs.token_embed.file", "'../outside/token_embed.onnx'", "contains '..'", "inside the model");
    }

    @Test
    void dotDotInTheFileListIsRefused() throws Exception {
        Path folder = folder();
        outsideCopy("vae.weights");
        edit(folder, m -> {
            fileEntry(m, "vae.weights").put("path", "sub/../../outside/vae.weights");
            return m;
        });
        fails(folder, "files[", "].path", "'sub/../../outside/vae.weights'", "contains '..'");
    }

    @Test
    void absolutePathsAreRefused() throws Exception {
        Path folder = folder();
        Path outside = outsideCopy("tokenizer.json");
        edit(folder, m -> {
            ((ObjectNode) m.get("tokenizer")).put("file", outside.toString());
            return m;
        });
        fails(folder, "tokenizer.file", outside.toString(), "is an absolute path");

        edit(folder, m -> {
            ((ObjectNode) m.get("tokenizer")).put("file", "tokenizer.json");
            fileEntry(m, "vae.weights").put("path", "/etc/passwd");
            return m;
        });
        fails(folder, "files[", "'/etc/passwd'", "is an absolute path");
    }

    @Test
    void aSymbolicLinkToAFileOutsideIsRefused() throws Exception {
        Path folder = folder();
        Path outside = outsideCopy("vae.weights");
        Files.delete(folder.resolve("vae.weights"));
        Files.createSymbolicLink(folder.resolve("vae.weights"), outside);
        // Same bytes, so sizes and checksums would match: only the confinement finds it.
        ModelFolderException e = fails(folder, "vae.weights", "resolves to " + outside.toRealPath(),
                "outside the model folder", "copy the file into the folder");
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void aSymbolicLinkToADirectoryOutsideIsRefused() throws Exception {
        Path folder = folder();
        Path outside = outsideCopy("transformer.onnx").getParent();
        Files.createSymbolicLink(folder.resolve("sub"), outside);
        edit(folder, m -> {
            ((ObjectNode) m.get("graphs").get("transformer")).put("file", "sub/transformer.onnx");
            fileEntry(m, "transformer.onnx").put("path", "sub/transformer.onnx");
            return m;
        });
        fails(folder, "sub/transformer.onnx", "resolves to " + outside.toRealPath().resolve("transformer.onnx"),
                "outside the model folder");
    }

    @Test
    void aManifestLinkedFromOutsideIsRefused() throws Exception {
        Path folder = folder();
        Path outside = outsideCopy(ModelManifest.FILE_NAME);
        Files.delete(folder.resolve(ModelManifest.FILE_NAME));
        Files.createSymbolicLink(folder.resolve(ModelManifest.FILE_NAME), outside);
        fails(folder, "the manifest manifest.json", "outside the model folder");
    }

    /** Links that stay inside the folder, and a folder reached through a link, are fine. */
    @Test
    void symbolicLinksInsideTheFolderAreAccepted() throws Exception {
        Path folder = folder();
        Files.createDirectories(folder.resolve("inner"));
        Files.move(folder.resolve("vae.weights"), folder.resolve("inner/vae.weights"));
        Files.createSymbolicLink(folder.resolve("vae.weights"), Path.of("inner/vae.weights"));
        Path link = Files.createSymbolicLink(copy.getParent().resolve("model-link"), folder);
        assertDoesNotThrow(() -> ModelFolder.open(link));
        try (OmniGen omnigen = OmniGen.load(link)) {
            assertEquals(folder.toRealPath().resolve("vae_decoder.onnx"), omnigen.folder().graph("vae_decoder"));
        }
    }

    // ---- external data inside the graphs ----

    /** Rewrites the first external initializer of transformer.onnx with {@code change} and re-records its hash. */
    private static String editExternal(Path folder, UnaryOperator<List<StringStringEntryProto>> change)
            throws Exception {
        Path graph = folder.resolve("transformer.onnx");
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(graph));
        ModelProto.Builder b = model.toBuilder();
        int index = -1;
        for (int i = 0; i < model.getGraph().getInitializerCount(); i++) {
            if (model.getGraph().getInitializer(i).getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                index = i;
                break;
            }
        }
        assertTrue(index >= 0, "the exported decoder has external initializers");
        TensorProto t = model.getGraph().getInitializer(index);
        TensorProto changed = t.toBuilder().clearExternalData()
                .addAllExternalData(change.apply(new ArrayList<>(t.getExternalDataList()))).build();
        b.setGraph(model.getGraph().toBuilder().setInitializer(index, changed));
        Files.write(graph, b.build().toByteArray());
        rehash(folder, "transformer.onnx", "transformer.onnx");
        return t.getName();
    }

    private static UnaryOperator<List<StringStringEntryProto>> set(String key, String value) {
        return entries -> {
            entries.removeIf(e -> e.getKey().equals(key));
            entries.add(StringStringEntryProto.newBuilder().setKey(key).setValue(value).build());
            return entries;
        };
    }

    private static String entry(List<StringStringEntryProto> entries, String key) {
        return entries.stream().filter(e -> e.getKey().equals(key)).findFirst().orElseThrow().getValue();
    }

    @ParameterizedTest(name = "location {0}")
    @CsvSource(delimiter = '|', value = {
            "../outside/transformer.weights | contains '..'",
            "/etc/passwd                    | is an absolute path",
            "sub/../transformer.weights     | contains '..'",
            "C:/weights                     | is an absolute path",
            "weights\\x                     | backslash",
            "*/_ORT_MEM_ADDR_/*             | memory address",
            "no-such.weights                | does not exist",
            "tokenizer.json                 | not one of the graph's data files",
    })
    void externalDataLocationsAreConfined(String location, String problem) throws Exception {
        Path folder = folder();
        outsideCopy("transformer.weights");
        String tensor = editExternal(folder, set("location", location));
        fails(folder, "graph transformer (transformer.onnx)", "initializer '" + tensor + "'",
                "location '" + location + "'", problem);
    }

    @Test
    void externalDataThroughASymbolicLinkOutsideIsRefused() throws Exception {
        Path folder = folder();
        Path outside = outsideCopy("transformer.weights");
        Files.createSymbolicLink(folder.resolve("linked.weights"), outside);
        editExternal(folder, set("location", "linked.weights"));
        fails(folder, "location 'linked.weights'", "resolves to " + outside.toRealPath(), "outside the model folder");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "offset | -1                   | offset '-1'                   | not a non-negative decimal number",
            "offset | 99999999999999999999 | offset '99999999999999999999' | not a non-negative decimal number",
            "offset | 9223372036854775807  | offset 9223372036854775807    | past the end of transformer.weights",
            "offset | 0x10                 | offset '0x10'                 | not a non-negative decimal number",
            "offset | ''                   | offset ''                     | not a non-negative decimal number",
            "length | 1                    | length 1                      | need",
            "length | -5                   | length '-5'                   | not a non-negative decimal number",
    })
    void externalDataOffsetsAndLengthsAreChecked(String key, String value, String named, String problem)
            throws Exception {
        Path folder = folder();
        editExternal(folder, set(key, value));
        fails(folder, "graph transformer (transformer.onnx)", "location 'transformer.weights'", named, problem);
    }

    @Test
    void externalDataEndingPastTheFileIsRefused() throws Exception {
        Path folder = folder();
        long size = Files.size(folder.resolve("transformer.weights"));
        // A valid length at an offset that moves the end past the file by one byte.
        String[] length = new String[1];
        editExternal(folder, entries -> {
            length[0] = entry(entries, "length");
            return set("offset", Long.toString(size - Long.parseLong(length[0]) + 1)).apply(entries);
        });
        fails(folder, "with offset " + (size - Long.parseLong(length[0]) + 1), "length " + length[0],
                "past the end of transformer.weights (" + size + " bytes)");
    }

    @Test
    void unknownOrRepeatedExternalDataKeysAreRefused() throws Exception {
        Path folder = folder();
        editExternal(folder, entries -> {
            entries.add(StringStringEntryProto.newBuilder().setKey("basepath").setValue("/").build());
            return entries;
        });
        fails(folder, "unknown external_data key 'basepath'");
    }

    // ---- graphs against the manifest and its configuration ----

    @Test
    void aSwappedGraphIsNamedWithItsMissingInput() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("graphs").get("token_embed")).put("file", "image_embed.onnx");
            ((ObjectNode) m.get("graphs").get("image_embed")).put("file", "token_embed.onnx");
            return m;
        });
        fails(folder, "graph token_embed (image_embed.onnx) has no input 'input_ids'", "its inputs: latents, pos_index",
                "does not belong to this model");
    }

    @Test
    void moreLayersInTheConfigThanInTheGraphIsNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("num_hidden_layers", 3);
            return m;
        });
        fails(folder, "graph transformer (transformer.onnx) has no input 'past_key_2'",
                "transformer.num_hidden_layers = 3");
    }

    @Test
    void fewerLayersInTheConfigThanInTheGraphIsNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("num_hidden_layers", 1);
            return m;
        });
        fails(folder, "graph transformer (transformer.onnx) has an input 'past_key_1' that the sdk does not feed",
                "num_hidden_layers is 1");
    }

    @Test
    void aHiddenSizeTheGraphsDoNotHaveIsNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ObjectNode t = (ObjectNode) m.get("transformer");
            t.put("hidden_size", 128);
            t.put("num_attention_heads", 8); // keeps the head size, so only the hidden size disagrees
            return m;
        });
        fails(folder, "graph token_embed (token_embed.onnx) output 'embeds' has dimension 2 = 64 in the graph",
                "transformer.hidden_size = 128", "implies 128", "disagree");
    }

    @Test
    void kvHeadsTheGraphsDoNotHaveAreNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("num_key_value_heads", 2);
            return m;
        });
        fails(folder, "graph transformer (transformer.onnx) input 'past_key_0' has dimension 1 = 4 in the graph",
                "transformer.num_key_value_heads = 2");
    }

    @Test
    void anInconsistentConfigIsNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("num_attention_heads", 5);
            return m;
        });
        fails(folder, "transformer.hidden_size 64 is not a multiple of transformer.num_attention_heads 5");
    }

    @Test
    void aGraphThatDisagreesWithItsManifestRecordIsNamed() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ObjectNode input = (ObjectNode) m.get("graphs").get("step_head").get("inputs").get(1);
            input.put("dtype", "float16");
            return m;
        });
        fails(folder, "graph step_head (step_head.onnx) input 1 is 'time_emb' float32", "records 'time_emb' float16");
    }

    // ---- manifest fields ----

    @Test
    void aMissingFieldIsNamedWithItsType() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).remove("hidden_size");
            return m;
        });
        fails(folder, "field transformer.hidden_size is missing", "expected a positive integer");

        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("hidden_size", 64);
            ((ObjectNode) m.get("graphs").get("vae_decoder")).remove("file");
            return m;
        });
        fails(folder, "field graphs.vae_decoder.file is missing", "expected a string");
    }

    @Test
    void aMalformedFieldIsNamedWithWhatItIsAndWhatIsExpected() throws Exception {
        Path folder = folder();
        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("hidden_size", "64");
            return m;
        });
        fails(folder, "field transformer.hidden_size is \"64\" (a string); expected a positive integer");

        edit(folder, m -> {
            ((ObjectNode) m.get("transformer")).put("hidden_size", 64);
            ((ObjectNode) ((ArrayNode) m.get("files")).get(2)).put("sha256", "not-a-checksum");
            return m;
        });
        fails(folder, "field files[2].sha256", "expected a sha-256 as 64 hexadecimal digits");

        edit(folder, m -> {
            ((ObjectNode) ((ArrayNode) m.get("files")).get(2)).put("sha256", "0".repeat(64));
            ((ObjectNode) m.get("vae")).put("scaling_factor", -1);
            return m;
        });
        fails(folder, "field vae.scaling_factor is -1", "expected a positive number");
    }

    @Test
    void aDuplicateKeyIsRefused() throws Exception {
        Path folder = folder();
        Path m = folder.resolve(ModelManifest.FILE_NAME);
        String json = Files.readString(m);
        Files.writeString(m, json.replaceFirst("\"format\"", "\"precision\" : \"int4\",\n  \"format\""));
        fails(folder, "manifest.json cannot be read", "duplicate field 'precision'");
    }

    // ---- integrity ----

    @Test
    void aFlippedByteInASampledWindowIsFoundAtLoad() throws Exception {
        Path folder = folder();
        Path weights = folder.resolve("transformer.weights");
        long size = Files.size(weights);
        assertTrue(size > 4 << 20, "the fixture's decoder weights exceed the whole-file hashing limit");
        flipByte(weights, (size - SampledDigest.WINDOW) * 5 / (SampledDigest.WINDOWS - 1) + 1234);
        fails(folder, "sampled checksum of transformer.weights does not match", "re-export or copy it again");
    }

    @Test
    void aFlippedByteInASmallFileIsFoundAtLoad() throws Exception {
        Path folder = folder();
        Path graph = folder.resolve("step_head.onnx");
        flipByte(graph, Files.size(graph) / 2);
        fails(folder, "checksum of step_head.onnx does not match the manifest");
    }

    /**
     * A byte between the sampled windows is not read by the default check (documented); {@link IntegrityCheck#FULL}
     * and {@link ModelFolder#verifyChecksums()} find it.
     */
    @Test
    void aFlippedByteBetweenWindowsNeedsTheFullCheck() throws Exception {
        Path folder = folder();
        Path weights = folder.resolve("transformer.weights");
        long size = Files.size(weights);
        long between = (size - SampledDigest.WINDOW) * 2 / (SampledDigest.WINDOWS - 1) + SampledDigest.WINDOW + 10;
        assertTrue(between < (size - SampledDigest.WINDOW) * 3 / (SampledDigest.WINDOWS - 1));
        flipByte(weights, between);
        ModelFolder sampled = assertDoesNotThrow(() -> ModelFolder.open(folder));
        contains(assertThrows(ModelFolderException.class, sampled::verifyChecksums),
                "checksum of transformer.weights does not match");
        fails(folder, RuntimeOptions.builder().integrityCheck(IntegrityCheck.FULL).build(),
                "checksum of transformer.weights does not match the manifest");
    }

    @Test
    void aSizeChangeIsFoundAtEveryLevel() throws Exception {
        Path folder = folder();
        Files.write(folder.resolve("vae.weights"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        fails(folder, RuntimeOptions.builder().integrityCheck(IntegrityCheck.SIZES).build(),
                "file vae.weights is missing or has the wrong size");
    }

    /** verifyChecksums confines again: a link put in after open is refused, not hashed as matching. */
    @Test
    void verifyChecksumsDoesNotFollowALinkAddedAfterOpen() throws Exception {
        Path folder = folder();
        ModelFolder opened = ModelFolder.open(folder);
        Path outside = outsideCopy("vae.weights");
        Files.delete(folder.resolve("vae.weights"));
        Files.createSymbolicLink(folder.resolve("vae.weights"), outside);
        contains(assertThrows(ModelFolderException.class, opened::verifyChecksums), "vae.weights",
                "outside the model folder");
    }
}
