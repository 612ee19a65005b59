/**
 * <b>Public API:</b> {@link io.omnigen4j.imaging.DesktopImageCodec}, the SDK's
 * {@link io.omnigen4j.sdk.image.ImageCodec} for desktop JVMs: reads PNG and JPEG (commons-imaging, JDK ImageIO as
 * fallback) and writes PNG. Not for Android (uses AWT). Package-private classes here convert pixels.
 */
package io.omnigen4j.imaging;
