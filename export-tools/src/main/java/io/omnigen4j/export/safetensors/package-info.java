/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): reading
 * and writing safetensors files.
 */
package io.omnigen4j.export.safetensors;
