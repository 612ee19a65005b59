/**
 * <b>Public API</b> for conformance checks and debugging: {@link io.omnigen4j.sdk.inspect.StageObserver} sees every
 * intermediate stage of a generation. Its callbacks follow the pipeline's stages, so they may gain parameters when
 * the pipeline does; the arrays' layouts are documented per callback.
 */
package io.omnigen4j.sdk.inspect;
