package io.omnigen4j.export.generate;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omnigen4j.export.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerJsonBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "<|user|>\nGenerate an image according to the following instructions\n"
            + "a cat<|end|>\n<|assistant|>\n<|diffusion|>";

    @TempDir
    Path dir;

    @BeforeAll
    static void cpuTokenizerLibrary() {
        // keeps DJL from looking for (and trying to download) a CUDA build on GPU machines
        System.setProperty("RUST_FLAVOR", "cpu");
    }

    @Test
    void pipelineAndAddedTokensMatchTheReferenceTokenizer() throws IOException {
        JsonNode ref = JSON.readTree(Fixtures.model("tiny-omnigen-a").resolve("tokenizer.json").toFile());
        ObjectNode ours = TokenizerJsonBuilder.phi3Style().tokenizerJson();
        assertEquals(List.of("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                "post_processor", "decoder", "model"), fieldNames(ours));
        for (String k : List.of("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                "post_processor", "decoder")) {
            assertEquals(ref.get(k), ours.get(k), k);
        }
        ObjectNode refModel = ((ObjectNode) ref.get("model")).deepCopy();
        ObjectNode ourModel = ((ObjectNode) ours.get("model")).deepCopy();
        assertEquals(fieldNames(refModel), fieldNames(ourModel));
        refModel.remove(List.of("vocab", "merges"));
        ourModel.remove(List.of("vocab", "merges"));
        assertEquals(refModel, ourModel);
        // merges use the same "left right" string form
        assertTrue(ref.get("model").get("merges").get(0).isTextual());
        assertTrue(ours.get("model").get("merges").get(0).isTextual());
    }

    @Test
    void vocabularyLayoutIsLlamaLike() {
        TokenizerJsonBuilder b = TokenizerJsonBuilder.phi3Style();
        Map<String, Integer> v = b.modelVocabulary();
        assertEquals(0, v.get("<unk>"));
        assertEquals(1, v.get("<s>"));
        assertEquals(2, v.get("</s>"));
        assertEquals(3, v.get("<0x00>"));
        assertEquals(13, v.get("<0x0A>"));
        assertEquals(258, v.get("<0xFF>"));
        assertEquals(259, v.get("▁"));
        assertEquals(TokenizerJsonBuilder.FIRST_CHAR_ID, v.get("!"));
        assertEquals(TokenizerJsonBuilder.FIRST_CHAR_ID + ('a' - '!'), v.get("a"));
        assertEquals(32000, v.get("<|endoftext|>"));
        assertEquals(32010, v.get("<|user|>"));
        Map<String, Integer> base = b.baseVocabulary();
        Set<Integer> ids = new HashSet<>(base.values());
        assertEquals(base.size(), ids.size(), "ids unique");
        for (int i = 0; i < base.size(); i++) {
            assertTrue(ids.contains(i), "base ids are contiguous from 0; missing " + i);
        }
        for (String m : b.merges()) {
            String[] lr = m.split(" ");
            assertEquals(2, lr.length, m);
            assertTrue(v.containsKey(lr[0]) && v.containsKey(lr[1]) && v.containsKey(lr[0] + lr[1]), m);
        }
        assertTrue(v.containsKey("▁the") && v.containsKey("▁image") && v.containsKey("▁a"));
        assertEquals(v.size(), new HashSet<>(v.values()).size());
    }

    @Test
    void configFilesMatchTheReferenceTokenizer() throws IOException {
        Path ref = Fixtures.model("tiny-omnigen-a");
        TokenizerJsonBuilder b = TokenizerJsonBuilder.phi3Style();
        b.writeTo(dir);
        JsonNode refCfg = JSON.readTree(ref.resolve("tokenizer_config.json").toFile());
        JsonNode ourCfg = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals(fieldNames(refCfg), fieldNames(ourCfg));
        for (String k : fieldNames(refCfg)) {
            if (!k.equals("chat_template")) {
                assertEquals(refCfg.get(k), ourCfg.get(k), k);
            }
        }
        assertEquals(JSON.readTree(ref.resolve("special_tokens_map.json").toFile()),
                JSON.readTree(dir.resolve("special_tokens_map.json").toFile()));
        assertEquals(b.tokenizerJson(), JSON.readTree(dir.resolve("tokenizer.json").toFile()));
    }

    @Test
    void djlEncodesThePromptTemplateLikePhi3() throws IOException {
        TokenizerJsonBuilder.phi3Style().writeTo(dir);
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"))) {
            Encoding e = tok.encode(PROMPT);
            long[] ids = e.getIds();
            assertEquals(1, ids[0], "BOS first");
            assertEquals(32010, ids[1], "<|user|> keeps its id");
            Set<Long> all = new HashSet<>();
            Arrays.stream(ids).forEach(all::add);
            assertTrue(all.contains(32007L) && all.contains(32001L), Arrays.toString(ids));
            List<String> tokens = Arrays.asList(e.getTokens());
            // rstrip: the newline after <|user|> is swallowed, so the next piece is a word with ▁
            assertEquals("▁Generate", tokens.get(2));
            assertTrue(tokens.contains("▁image"));
            // <|diffusion|> is ordinary text, split into characters after a ▁
            int end = tokens.size();
            assertEquals(List.of("▁", "<", "|", "d"), tokens.subList(end - 14, end - 10));
            assertEquals("Generate an image according to the following instructions\na cat <|diffusion|>",
                    tok.decode(ids, true));

            Encoding plain = tok.encode("a cat", false, false);
            Map<String, Integer> v = TokenizerJsonBuilder.phi3Style().modelVocabulary();
            assertArrayEquals(new long[] {v.get("▁a"), v.get("▁cat")}, plain.getIds());

            Encoding bytes = tok.encode("é\n", false, false);
            assertEquals(List.of("▁", "<0xC3>", "<0xA9>", "<0x0A>"), Arrays.asList(bytes.getTokens()));
            assertEquals("é\n", tok.decode(bytes.getIds(), true));
        }
    }

    @Test
    void customWordsAreValidated() {
        TokenizerJsonBuilder b = TokenizerJsonBuilder.phi3Style().withWords(List.of("▁xyz", "ab"));
        assertEquals(List.of("▁ x", "▁x y", "▁xy z", "a b"), b.merges());
        assertThrows(IllegalArgumentException.class, () -> b.withWords(List.of("é!")));
        assertThrows(IllegalArgumentException.class, () -> b.withWords(List.of("x")));
        assertFalse(b.modelVocabulary().containsKey("▁the"));
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
