package io.omnigen4j.export.generate;

import java.util.List;

/**
 * One entry of a HuggingFace tokenizer's {@code added_tokens}: a string matched before normalisation and mapped to a
 * fixed id. The flags decide visible behaviour: {@code rstrip} makes e.g. {@code <|user|>} swallow the following
 * whitespace (including the newline), {@code special} lets decoding skip it.
 */
public record AddedToken(int id, String content, boolean special, boolean rstrip, boolean lstrip,
                         boolean normalized, boolean singleWord) {

    public AddedToken {
        if (id < 0) {
            throw new IllegalArgumentException("added token id must be non-negative, got " + id);
        }
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("added token content must not be empty");
        }
    }

    /** A special, non-normalised token (the kind every Phi-3 added token is, except {@code </s>}). */
    public static AddedToken special(int id, String content, boolean rstrip) {
        return new AddedToken(id, content, true, rstrip, false, false, false);
    }

    /**
     * The added tokens of the Phi-3 tokenizer OmniGen uses, with their flags (ids 0–2 and 32000–32010; see the
     * conformance README's table): all special and non-normalised; {@code </s>} is not special; {@code rstrip} on
     * {@code </s>} and on every token from 32001 on.
     */
    public static final List<AddedToken> PHI3 = List.of(
            special(0, "<unk>", false),
            special(1, "<s>", false),
            new AddedToken(2, "</s>", false, true, false, false, false),
            special(32000, "<|endoftext|>", false),
            special(32001, "<|assistant|>", true),
            special(32002, "<|placeholder1|>", true),
            special(32003, "<|placeholder2|>", true),
            special(32004, "<|placeholder3|>", true),
            special(32005, "<|placeholder4|>", true),
            special(32006, "<|system|>", true),
            special(32007, "<|end|>", true),
            special(32008, "<|placeholder5|>", true),
            special(32009, "<|placeholder6|>", true),
            special(32010, "<|user|>", true));
}
