/**
 * <b>Public API:</b> how ONNX Runtime runs the model ({@link io.omnigen4j.sdk.runtime.RuntimeOptions},
 * {@link io.omnigen4j.sdk.runtime.ExecutionProvider}) and the error raised when a provider cannot start; where a
 * generation keeps its tensors ({@link io.omnigen4j.sdk.runtime.TensorPlacement}, {@link
 * io.omnigen4j.sdk.runtime.TensorStore}, the device-allocator SPI {@link io.omnigen4j.sdk.runtime.DeviceAllocator})
 * and the host↔device copies it counts ({@link io.omnigen4j.sdk.runtime.TransferStats}).
 *
 * <p><b>Internal</b> (may change without notice, left out of the Javadoc): {@code ModelSessions}, the loaded
 * sessions of one model; {@code OnnxRuntimeClasspath}, the check that exactly one ONNX Runtime jar is present.
 */
package io.omnigen4j.sdk.runtime;
