/**
 * <b>Public API:</b> the prompt rules callers can check before generating: the chat template and image tags
 * ({@link io.omnigen4j.sdk.prompt.PromptTemplate}, {@link io.omnigen4j.sdk.prompt.ImageTagParser}), the tokenizer
 * ({@link io.omnigen4j.sdk.prompt.PromptTokenizer}) and {@link io.omnigen4j.sdk.prompt.PromptException}, whose
 * {@code kind()} says which rule a prompt broke.
 *
 * <p><b>Internal</b> (may change without notice, left out of the Javadoc): {@code PromptEncoder} and
 * {@code BranchInput}, which assemble each guidance branch's ids.
 */
package io.omnigen4j.sdk.prompt;
