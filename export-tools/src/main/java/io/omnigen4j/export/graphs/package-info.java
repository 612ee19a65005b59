/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice):
 * building the transformer and VAE ONNX graphs from the checkpoint's weights.
 */
package io.omnigen4j.export.graphs;
