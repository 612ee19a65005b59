/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): the
 * manifest.json model written beside the graphs.
 */
package io.omnigen4j.export.manifest;
