package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

/**
 * A source of device tensors for an execution provider other than the CPU, found with {@link
 * java.util.ServiceLoader} (for example one reaching ONNX Runtime's C API through the Foreign Function and Memory API
 * of Java 22+). None ships in the SDK jar; without one, {@link TensorPlacement#AUTO} uses the copying path and
 * {@link TensorPlacement#DEVICE} fails to load on that provider.
 */
public interface DeviceAllocator {

    /** {@return a short name for logs} */
    String name();

    /**
     * Why this allocator cannot serve {@code provider} in this JVM, or null when it can.
     *
     * @param provider the execution provider the sessions run on
     * @return the reason, or null
     */
    String unavailableReason(ExecutionProvider provider);

    /**
     * Opens a store for one generation on {@code provider}'s device.
     *
     * @param env      the ONNX Runtime environment
     * @param provider the execution provider the sessions run on
     * @return the store; the caller closes it
     * @throws OrtException when the device memory cannot be set up
     */
    TensorStore open(OrtEnvironment env, ExecutionProvider provider) throws OrtException;
}
