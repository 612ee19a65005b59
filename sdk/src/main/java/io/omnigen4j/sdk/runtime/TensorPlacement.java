package io.omnigen4j.sdk.runtime;

/**
 * Where a generation keeps its per-call tensors (condition K/V, latents, step outputs): in host memory that ONNX
 * Runtime copies to the execution provider at every graph run, or in the provider's own memory, allocated once per
 * generation and written in place by the graphs (pinned outputs). See {@link TensorStore}.
 */
public enum TensorPlacement {
    /**
     * The device path when it is available for the provider (CUDA with a {@link DeviceAllocator} on the class path),
     * otherwise the copying path with one log line saying why. On the CPU provider: the copying path, whose tensors
     * are already in the provider's memory.
     */
    AUTO,
    /** Always the copying path (the behaviour before device tensors existed). */
    HOST,
    /**
     * Always the device path; loading fails with {@link ProviderUnavailableException} when the provider has no device
     * allocator here. On the CPU provider it uses a device allocator that serves the CPU when one is on the class
     * path (omnigen4j-sdk-device: CPU memory through ONNX Runtime's C API), otherwise direct buffers, which run the
     * whole device path on Java 17; either way with results bit-identical to {@link #HOST}.
     */
    DEVICE
}
