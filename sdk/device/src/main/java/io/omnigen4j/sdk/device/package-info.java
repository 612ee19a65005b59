/**
 * Device tensors through ONNX Runtime's C API on Java 22+: {@link io.omnigen4j.sdk.device.CApiDeviceAllocator}, the
 * {@link io.omnigen4j.sdk.runtime.DeviceAllocator} that the SDK finds with {@link java.util.ServiceLoader} when this
 * jar is on the class path.
 */
package io.omnigen4j.sdk.device;
