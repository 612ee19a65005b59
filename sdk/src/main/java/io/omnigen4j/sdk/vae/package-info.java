/**
 * <b>Public API:</b> {@link io.omnigen4j.sdk.vae.VaeTiling}, the tiling choice of
 * {@link io.omnigen4j.sdk.runtime.RuntimeOptions}.
 *
 * <p><b>Internal</b> (may change without notice, left out of the Javadoc): {@code TiledVae}, which runs the VAE in
 * overlapping tiles, and the tensor holder {@code Nchw}.
 */
package io.omnigen4j.sdk.vae;
