/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice): a small
 * ONNX graph builder and writer with external data (io.omnigen4j.export.onnx.proto is protoc's output).
 */
package io.omnigen4j.export.onnx;
