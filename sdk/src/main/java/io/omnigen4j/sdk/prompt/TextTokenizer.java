package io.omnigen4j.sdk.prompt;

/**
 * Text → token ids, with the model's BOS handling (one {@code <s>} = 1 in front, no EOS). Separated from
 * {@link PromptTokenizer} so prompt assembly can be tested without the native tokenizer library.
 */
@FunctionalInterface
public interface TextTokenizer {
    /**
     * Ids of {@code text} as one fresh string (own BOS, own leading-space handling).
     * @param text the text
     * @return the token ids, starting with BOS
     */
    long[] encode(String text);
}
