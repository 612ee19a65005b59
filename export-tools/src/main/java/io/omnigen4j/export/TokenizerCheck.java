package io.omnigen4j.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omnigen4j.export.CheckpointValidationException.Problem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the checkpoint's tokenizer before it is copied into the model folder, so that a broken or unrelated
 * tokenizer fails the export instead of the first generation (or, with ids beyond the embedding, a read inside
 * ONNX Runtime). Structural, with Jackson: the exporter does not load the native tokenizer library (the SDK
 * does, at load; see the README's "Security and trust").
 *
 * <p>Checked: {@code tokenizer.json} is a JSON object with a {@code model} holding a vocabulary (an object of
 * piece → id, or Unigram's array of [piece, score]); {@code added_tokens} entries have an id and a content; ids
 * are ≥ 0; {@code <s>} has id 1 (the SDK drops id 1 from the start of later prompt chunks, as OmniGen does);
 * {@code <|user|>}, {@code <|end|>} and {@code <|assistant|>} (OmniGen's prompt template) are added tokens; the
 * post-processor puts {@code <s>} first; the largest id is below the config's {@code vocab_size} and the token
 * embedding's rows. {@code tokenizer_config.json} and {@code special_tokens_map.json}, when present, are JSON
 * objects.
 */
final class TokenizerCheck {

    /** Added tokens of OmniGen's prompt template (spec §2: {@code <|user|>\n…<|end|>\n<|assistant|>\n…}). */
    static final List<String> TEMPLATE_TOKENS = List.of("<|user|>", "<|end|>", "<|assistant|>");
    /** The BOS token and the id the SDK and OmniGen treat as BOS. */
    static final String BOS = "<s>";
    static final int BOS_ID = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the check learnt: the largest id, for the comparison with the embedding's rows. */
    record Summary(Path file, int maxId, String maxIdToken, int tokens) {
    }

    private TokenizerCheck() {
    }

    /**
     * Checks the tokenizer files in {@code dir} against the config's {@code vocabSize}.
     *
     * @param dir       folder holding tokenizer.json (and optionally its companions)
     * @param vocabSize the transformer config's vocab_size (rows of the token embedding)
     * @return the summary
     * @throws CheckpointValidationException naming the file and the problem
     */
    static Summary check(Path dir, int vocabSize) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        JsonNode root = parse(file);
        if (!root.isObject()) {
            throw fail(file, "is not a JSON object but " + kind(root) + "; it is not a Hugging Face tokenizers file");
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw fail(file, "has no \"model\" object (the tokenization model with its vocabulary); it is not a"
                    + " Hugging Face tokenizers file or is truncated");
        }
        Map<String, Integer> ids = new HashMap<>();
        int[] max = {-1};
        String[] maxToken = {null};
        JsonNode vocab = model.get("vocab");
        if (vocab != null && vocab.isObject() && !vocab.isEmpty()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                JsonNode id = e.getValue();
                if (!id.canConvertToInt() || !id.isIntegralNumber() || id.intValue() < 0) {
                    throw fail(file, "model.vocab gives token '" + e.getKey() + "' the id " + id
                            + "; ids must be integers ≥ 0");
                }
                note(ids, max, maxToken, e.getKey(), id.intValue());
            }
        } else if (vocab != null && vocab.isArray() && !vocab.isEmpty()) {
            for (int i = 0; i < vocab.size(); i++) { // Unigram: [piece, score] pairs, id = position
                JsonNode entry = vocab.get(i);
                if (!entry.isArray() || entry.isEmpty() || !entry.get(0).isTextual()) {
                    throw fail(file, "model.vocab entry " + i + " is " + entry + "; a Unigram vocabulary holds"
                            + " [piece, score] pairs");
                }
                note(ids, max, maxToken, entry.get(0).asText(), i);
            }
        } else {
            throw fail(file, "has no vocabulary: model.vocab is " + (vocab == null ? "missing" : kind(vocab))
                    + "; OmniGen's (Phi-3's) tokenizer.json holds a BPE vocabulary of 32000 pieces");
        }
        JsonNode added = root.get("added_tokens");
        Map<String, Integer> addedIds = new HashMap<>();
        if (added != null && !added.isNull()) {
            if (!added.isArray()) {
                throw fail(file, "\"added_tokens\" is " + kind(added) + ", not an array");
            }
            for (JsonNode t : added) {
                JsonNode id = t.get("id");
                JsonNode content = t.get("content");
                if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0
                        || content == null || !content.isTextual()) {
                    throw fail(file, "added token " + t + " needs an integer \"id\" ≥ 0 and a string \"content\"");
                }
                addedIds.put(content.asText(), id.intValue());
                note(ids, max, maxToken, content.asText(), id.intValue());
            }
        }
        Integer bos = ids.get(BOS);
        if (bos == null || bos != BOS_ID) {
            throw fail(file, (bos == null ? "has no token " + BOS : "gives " + BOS + " the id " + bos)
                    + "; OmniGen's prompts start with the BOS token " + BOS + " = " + BOS_ID + " (Phi-3's"
                    + " tokenizer). This is not OmniGen's tokenizer: use the tokenizer.json of the checkpoint");
        }
        for (String t : TEMPLATE_TOKENS) {
            if (!addedIds.containsKey(t)) {
                throw fail(file, "has no added token " + t + "; OmniGen's prompt template uses "
                        + String.join(", ", TEMPLATE_TOKENS) + " (Phi-3's special tokens), so this is not"
                        + " OmniGen's tokenizer: use the tokenizer.json of the checkpoint");
            }
        }
        if (!prependsBos(root.get("post_processor"))) {
            throw fail(file, "has no post-processor that puts " + BOS + " in front of the text (\"post_processor\" is "
                    + kind(root.get("post_processor")) + "); OmniGen's prompts start with " + BOS
                    + " (Phi-3's tokenizer.json uses a TemplateProcessing with " + BOS + " first)");
        }
        if (max[0] >= vocabSize) {
            throw fail(file, "holds token id " + max[0] + " ('" + maxToken[0] + "'), but the config's vocab_size is "
                    + vocabSize + " (ids 0–" + (vocabSize - 1) + "); the tokenizer does not belong to this model");
        }
        for (String companion : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path c = dir.resolve(companion);
            if (Files.exists(c)) {
                JsonNode n = parse(c);
                if (!n.isObject()) {
                    throw fail(c, "is " + kind(n) + ", not a JSON object");
                }
            }
        }
        return new Summary(file, max[0], maxToken[0], ids.size());
    }

    /**
     * Checks the largest id of {@code s} against the token embedding's rows.
     *
     * @throws CheckpointValidationException when an id has no embedding row
     */
    static void checkEmbedding(Summary s, long rows, String embeddingName) throws CheckpointValidationException {
        if (s.maxId() >= rows) {
            throw fail(s.file(), "holds token id " + s.maxId() + " ('" + s.maxIdToken() + "'), but the token"
                    + " embedding " + embeddingName + " has " + rows + " rows (ids 0–" + (rows - 1) + "); the"
                    + " tokenizer does not belong to these weights");
        }
    }

    private static void note(Map<String, Integer> ids, int[] max, String[] maxToken, String token, int id) {
        ids.put(token, id);
        if (id > max[0]) {
            max[0] = id;
            maxToken[0] = token;
        }
    }

    /** A TemplateProcessing with {@code <s>} first, alone or inside a Sequence. */
    private static boolean prependsBos(JsonNode pp) {
        if (pp == null || !pp.isObject()) {
            return false;
        }
        String type = pp.path("type").asText("");
        if (type.equals("Sequence")) {
            for (JsonNode p : pp.path("processors")) {
                if (prependsBos(p)) {
                    return true;
                }
            }
            return false;
        }
        if (!type.equals("TemplateProcessing")) {
            return false;
        }
        JsonNode first = pp.path("single").path(0);
        return BOS.equals(first.path("SpecialToken").path("id").asText(null));
    }

    private static JsonNode parse(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw fail(file, "is missing");
        }
        if (bytes.length == 0) {
            throw fail(file, "is empty");
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || n.isMissingNode()) {
                throw fail(file, "holds no JSON value");
            }
            return n;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw fail(file, "is not valid JSON" + where + ": " + e.getOriginalMessage()
                    + "; the file is damaged or truncated: copy it from the checkpoint again");
        }
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "null";
        }
        if (n.isObject()) {
            return n.isEmpty() ? "an empty object" : "an object";
        }
        return n.isArray() ? "an array" : n.isTextual() ? "a string" : n.isNumber() ? "a number" : "a " + n.getNodeType();
    }

    private static CheckpointValidationException fail(Path file, String what) {
        return new CheckpointValidationException(Problem.TOKENIZER, file, file + " " + what, null);
    }
}
