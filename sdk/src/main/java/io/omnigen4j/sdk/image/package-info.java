/**
 * <b>Public API:</b> the SDK's pixel type {@link io.omnigen4j.sdk.image.RgbImage}, image sizes, the
 * {@link io.omnigen4j.sdk.image.ImageCodec} interface that decodes input files (implemented by omnigen4j-imaging on
 * desktop JVMs), the AWT-free {@link io.omnigen4j.sdk.image.PngEncoder}, the preprocessed input image seen by a
 * {@link io.omnigen4j.sdk.inspect.StageObserver}, and the input-image exceptions.
 *
 * <p><b>Internal</b> (public only for the SDK's own packages and tests; may change without notice, left out of the
 * Javadoc): {@code InputImagePreprocessor} and {@code PilResampler}, the port of the reference's resize and crop.
 */
package io.omnigen4j.sdk.image;
