/**
 * <b>Public API:</b> exporting an OmniGen checkpoint to the ONNX model folder the SDK loads:
 * {@link io.omnigen4j.export.OmniGenExporter} with {@link io.omnigen4j.export.ExportOptions}, the CLI subcommand
 * {@link io.omnigen4j.export.ExportCommand} and {@link io.omnigen4j.export.ExportException}. The sub-packages are
 * internal except {@code io.omnigen4j.export.demo}.
 */
package io.omnigen4j.export;
