package io.omnigen4j.sdk.prompt;

/**
 * A prompt that cannot be turned into model input: bad image tags, tags and images that do not match, text that is
 * not well-formed Unicode, or a prompt over the model's length budget. {@link #kind()} tells callers (and tests)
 * which rule was broken without parsing the message.
 */
public final class PromptException extends io.omnigen4j.sdk.InvalidRequestException {

    /** The broken rule. */
    public enum Kind {
        /** Something that looks like an image tag but does not match {@code <|image_<digits>|>}. */
        MALFORMED_TAG,
        /** A tag refers to an image that was not supplied (including tags in a prompt without images). */
        TAG_WITHOUT_IMAGE,
        /** An image was supplied but no tag refers to it. */
        IMAGE_WITHOUT_TAG,
        /** The distinct tag numbers, sorted, are not 1, 2, …, K (e.g. start at 0 or 2, or have a gap). */
        BAD_NUMBERING,
        /** The condition sequence (text plus input-image tokens) exceeds the length budget. */
        TOO_LONG,
        /** The text is not well-formed Unicode (an unpaired UTF-16 surrogate); see {@link WellFormedText}. */
        MALFORMED_TEXT
    }

    /** The broken rule. */
    private final Kind kind;

    /**
     * Creates the exception.
     * @param kind the broken rule
     * @param message what is wrong and how to fix the prompt
     */
    public PromptException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** {@return the broken rule} */
    public Kind kind() {
        return kind;
    }
}
