/**
 * <b>Internal</b> (public only for the SDK's own packages and tests; may change without notice): collation of the
 * guidance branches into padded batches (token ids, attention masks, positions) and the rotary tables.
 * {@code Collation} reaches users only through {@link io.omnigen4j.sdk.inspect.StageObserver}.
 */
package io.omnigen4j.sdk.batch;
