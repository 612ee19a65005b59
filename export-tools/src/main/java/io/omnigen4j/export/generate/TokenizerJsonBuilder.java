package io.omnigen4j.export.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a small tokenizer in the HuggingFace {@code tokenizers} JSON format that behaves like the Llama/Phi-3
 * SentencePiece-BPE tokenizer OmniGen uses (same pipeline, same special tokens, a tiny vocabulary of our own), so
 * generated test checkpoints are complete without shipping the 1.8 MB Llama vocabulary.
 *
 * <p>The pipeline mirrors Phi-3's: normalizer {@code Prepend("▁")} + {@code Replace(" " → "▁")}, no pre-tokenizer,
 * BPE with {@code byte_fallback} and {@code fuse_unk}, decoder {@code Replace("▁" → " ")}, {@code ByteFallback},
 * {@code Fuse}, {@code Strip(" ", 1, 0)}, and a {@code TemplateProcessing} post-processor prepending {@code <s>}.
 * Added tokens are {@link AddedToken#PHI3} (ids 0–2, 32000–32010, same flags).
 *
 * <p>Vocabulary: {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, byte tokens {@code <0x00>}..{@code <0xFF>}=3..258,
 * {@code "▁"}=259, the printable ASCII characters {@code !}..{@code ~} from 260, then one piece per merge. Merges
 * build each listed word left to right ({@code "▁ t"}, {@code "▁t h"}, {@code "▁th e"}), so every merge yields a
 * vocabulary piece and encoding is predictable. Anything else (newlines, non-ASCII) falls back to byte tokens.
 *
 * <p>The added tokens 32000+ are also entries of the BPE vocabulary at their ids: the {@code tokenizers} library
 * assigns an added token that is not in the model vocabulary the next free id after the vocabulary, which here
 * would be a few hundred instead of 32000.
 *
 * <p>Immutable; {@link #withWords} returns a new builder.
 */
public final class TokenizerJsonBuilder {

    /** SentencePiece's word-boundary marker, U+2581. */
    public static final String SPACE = "\u2581";
    /** First id after the byte tokens and {@code ▁}: the printable ASCII characters start here. */
    public static final int FIRST_CHAR_ID = 260;

    /** Words (with their leading ▁) the default vocabulary can form whole; enough for the OmniGen prompt template. */
    public static final List<String> DEFAULT_WORDS = List.of(
            "▁a", "▁an", "▁the", "▁and", "▁of", "▁in", "▁to", "▁is", "▁on", "▁at", "▁with",
            "▁Generate", "▁image", "▁according", "▁following", "▁instructions",
            "▁cat", "▁dog", "▁photo", "▁red", "▁blue", "▁green", "▁sitting", "▁table", "▁low", "▁quality");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final List<String> words;
    private final List<AddedToken> addedTokens;

    private TokenizerJsonBuilder(List<String> words, List<AddedToken> addedTokens) {
        this.words = List.copyOf(words);
        this.addedTokens = List.copyOf(addedTokens);
    }

    /** The Phi-3-style tokenizer with {@link #DEFAULT_WORDS} and {@link AddedToken#PHI3}. */
    public static TokenizerJsonBuilder phi3Style() {
        return new TokenizerJsonBuilder(DEFAULT_WORDS, AddedToken.PHI3);
    }

    /**
     * A builder whose merges form {@code words} instead of the defaults. Each word needs at least two characters,
     * each a printable ASCII character or {@code ▁}; a leading {@code ▁} marks a word start.
     */
    public TokenizerJsonBuilder withWords(List<String> newWords) {
        for (String w : newWords) {
            Objects.requireNonNull(w, "word");
            if (w.length() < 2) {
                throw new IllegalArgumentException("word '" + w + "' needs at least two characters to need a merge");
            }
            for (int i = 0; i < w.length(); i++) {
                char c = w.charAt(i);
                if (!(c == '\u2581' || (c >= 0x21 && c <= 0x7E))) {
                    throw new IllegalArgumentException("word '" + w + "' has character U+"
                            + String.format(Locale.ROOT, "%04X", (int) c) + " outside printable ASCII and ▁");
                }
            }
        }
        return new TokenizerJsonBuilder(newWords, addedTokens);
    }

    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    /** The BPE vocabulary in id order (without the added tokens ≥ 32000, see {@link #modelVocabulary()}). */
    public Map<String, Integer> baseVocabulary() {
        return Collections.unmodifiableMap(build().vocab);
    }

    /** Merges in rank order, each as {@code "left right"}. */
    public List<String> merges() {
        return build().merges;
    }

    /** The BPE model's vocabulary as written: the base vocabulary plus every added token outside it. */
    public Map<String, Integer> modelVocabulary() {
        Map<String, Integer> v = new LinkedHashMap<>(build().vocab);
        for (AddedToken t : addedTokens) {
            Integer existing = v.get(t.content());
            if (existing != null && existing != t.id()) {
                throw new IllegalStateException("added token '" + t.content() + "' has id " + t.id()
                        + " but the vocabulary has it at " + existing);
            }
            v.putIfAbsent(t.content(), t.id());
        }
        return Collections.unmodifiableMap(v);
    }

    private record Built(Map<String, Integer> vocab, List<String> merges) {
    }

    private Built build() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format(Locale.ROOT, "<0x%02X>", b), vocab.size());
        }
        vocab.put(SPACE, vocab.size());
        for (char c = 0x21; c <= 0x7E; c++) {
            vocab.put(String.valueOf(c), vocab.size());
        }
        List<String> merges = new ArrayList<>();
        for (String w : words) {
            String left = w.substring(0, 1);
            for (int i = 1; i < w.length(); i++) {
                String right = w.substring(i, i + 1);
                String piece = left + right;
                if (!vocab.containsKey(piece)) {
                    vocab.put(piece, vocab.size());
                    merges.add(left + " " + right);
                }
                left = piece;
            }
        }
        int firstAdded = addedTokens.stream().mapToInt(AddedToken::id).filter(id -> id > 2).min().orElse(Integer.MAX_VALUE);
        if (vocab.size() > firstAdded) {
            throw new IllegalStateException("vocabulary of " + vocab.size() + " pieces reaches the added-token id "
                    + firstAdded);
        }
        return new Built(vocab, List.copyOf(merges));
    }

    /** The {@code tokenizer.json} tree. */
    public ObjectNode tokenizerJson() {
        Built b = build();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken t : addedTokens) {
            added.addObject()
                    .put("id", t.id())
                    .put("content", t.content())
                    .put("single_word", t.singleWord())
                    .put("lstrip", t.lstrip())
                    .put("rstrip", t.rstrip())
                    .put("normalized", t.normalized())
                    .put("special", t.special());
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode norms = norm.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        root.putNull("pre_tokenizer");
        root.set("post_processor", bosTemplate());
        root.set("decoder", decoder());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        modelVocabulary().forEach(vocab::put);
        ArrayNode merges = model.putArray("merges");
        b.merges.forEach(merges::add);
        return root;
    }

    private ObjectNode bosTemplate() {
        ObjectNode pp = JSON.createObjectNode();
        pp.put("type", "TemplateProcessing");
        ArrayNode single = pp.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = pp.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = pp.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        return pp;
    }

    private ObjectNode decoder() {
        ObjectNode dec = JSON.createObjectNode();
        dec.put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        ObjectNode rep = decs.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", SPACE);
        rep.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        return dec;
    }

    /** The {@code tokenizer_config.json} tree (transformers' LlamaTokenizer settings as Phi-3 ships them). */
    public ObjectNode tokenizerConfigJson() {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", true);
        c.put("add_eos_token", false);
        ObjectNode dec = c.putObject("added_tokens_decoder");
        for (AddedToken t : addedTokens) {
            dec.putObject(Integer.toString(t.id()))
                    .put("content", t.content())
                    .put("lstrip", t.lstrip())
                    .put("normalized", t.normalized())
                    .put("rstrip", t.rstrip())
                    .put("single_word", t.singleWord())
                    .put("special", t.special());
        }
        c.put("bos_token", "<s>");
        c.put("chat_template", "{% for message in messages %}"
                + "{% if message['role'] in ['system', 'user', 'assistant'] and message['content'] %}"
                + "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}");
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", "<|endoftext|>");
        c.put("legacy", false);
        c.put("model_max_length", 131072);
        c.put("pad_token", "<|endoftext|>");
        c.put("padding_side", "left");
        c.putObject("sp_model_kwargs");
        c.put("tokenizer_class", "LlamaTokenizer");
        c.put("unk_token", "<unk>");
        c.put("use_default_system_prompt", false);
        return c;
    }

    /** The {@code special_tokens_map.json} tree: bos {@code <s>}, eos and pad {@code <|endoftext|>}, unk {@code <unk>}. */
    public ObjectNode specialTokensMapJson() {
        ObjectNode m = JSON.createObjectNode();
        for (String[] kv : new String[][] {{"bos_token", "<s>"}, {"eos_token", "<|endoftext|>"},
                {"pad_token", "<|endoftext|>"}, {"unk_token", "<unk>"}}) {
            m.putObject(kv[0])
                    .put("content", kv[1])
                    .put("lstrip", false)
                    .put("normalized", false)
                    .put("rstrip", false)
                    .put("single_word", false);
        }
        return m;
    }

    /** Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} into {@code dir}. */
    public void writeTo(Path dir) throws IOException {
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizerJson());
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfigJson());
        JSON.writeValue(dir.resolve("special_tokens_map.json").toFile(), specialTokensMapJson());
    }
}
