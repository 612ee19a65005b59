/**
 * <b>Public API.</b> Loading an exported OmniGen model and generating images: {@link io.omnigen4j.sdk.OmniGen}
 * (load, generate, warm up, close), {@link io.omnigen4j.sdk.GenerationRequest} and its builder,
 * {@link io.omnigen4j.sdk.GenerationResult}, progress and cancellation
 * ({@link io.omnigen4j.sdk.ProgressListener}, {@link io.omnigen4j.sdk.CancellationToken}), PNG provenance metadata
 * ({@link io.omnigen4j.sdk.Provenance}) and the SDK's exceptions. Package-private classes here are the pipeline.
 */
package io.omnigen4j.sdk;
