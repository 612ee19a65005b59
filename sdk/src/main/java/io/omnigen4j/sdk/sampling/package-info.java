/**
 * <b>Public API:</b> where the randomness of a run comes from: {@link io.omnigen4j.sdk.sampling.NoiseSource} and its
 * implementations (seeded, recorded), set with {@code GenerationRequest.Builder.noiseSource}.
 *
 * <p><b>Internal</b> (public only for the SDK's own packages and tests; may change without notice, left out of the
 * Javadoc): the sampler's arithmetic, {@code FlowSchedule}, {@code EulerStep}, {@code Guidance} and
 * {@code LatentCodec}.
 */
package io.omnigen4j.sdk.sampling;
