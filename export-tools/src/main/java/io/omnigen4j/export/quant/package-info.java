/**
 * <b>Internal</b> (public only for the exporter's own packages, the CLI and tests; may change without notice):
 * int8/int4 block quantization of the weights (MatMulNBits, GatherBlockQuantized).
 */
package io.omnigen4j.export.quant;
