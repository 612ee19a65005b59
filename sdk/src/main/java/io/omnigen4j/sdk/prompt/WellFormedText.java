package io.omnigen4j.sdk.prompt;

import java.util.Locale;

/**
 * Checks that prompt text is well-formed Unicode before it reaches the tokenizer. A Java string can hold an unpaired
 * UTF-16 surrogate (for example after cutting a string in the middle of an emoji, or decoding bytes as UTF-16); the
 * native tokenizer would silently turn it into U+FFFD or fail inside native code. The reference pipeline's Python
 * strings cannot be encoded to UTF-8 with one either, so such text is refused here, naming where it is.
 */
public final class WellFormedText {
    private WellFormedText() {
    }

    /**
     * Throws unless every surrogate in {@code text} is part of a high-low pair.
     *
     * @param text  the text to check (not null)
     * @param label how the text is named in the message, e.g. {@code "prompt 2"} or {@code "negative prompt"}
     * @throws PromptException of kind {@link PromptException.Kind#MALFORMED_TEXT}, naming the label, the char offset
     *                         and the surrogate's code unit
     */
    public static void require(String text, String label) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            String what = Character.isHighSurrogate(c)
                    ? (i + 1 < n ? "a high surrogate not followed by a low one" : "a high surrogate at the end")
                    : "a low surrogate without a high one before it";
            throw new PromptException(PromptException.Kind.MALFORMED_TEXT, String.format(Locale.ROOT,
                    "%s is not well-formed Unicode: unpaired UTF-16 surrogate U+%04X (%s) at char offset %d of %d;"
                            + " the string was probably cut inside a character or decoded with the wrong charset",
                    label, (int) c, what, i, n));
        }
    }
}
