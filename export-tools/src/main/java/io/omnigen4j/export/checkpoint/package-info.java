/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): reading
 * a checkpoint folder in its original or diffusers layout and mapping its tensor names.
 */
package io.omnigen4j.export.checkpoint;
