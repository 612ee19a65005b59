package io.omnigen4j.sdk.runtime;

/**
 * Tensor data that crossed between host memory and the execution provider's memory during one phase of a generation
 * ({@code "prepare"}, {@code "prefill"}, {@code "step 0"}, {@code "step 1"}, …, {@code "decode"}), as counted by the
 * generation's {@link TensorStore}: its explicit writes and reads, plus every graph input that is not in the store's
 * memory (ONNX Runtime copies it to the provider) and every graph output it does not hold (copied back). On the CPU
 * provider these are the copies a GPU provider would make for the same runs.
 *
 * @param phase              the phase's name
 * @param hostToDeviceBytes  bytes copied from the host to the provider
 * @param hostToDeviceTensors tensors (or tensor regions) copied from the host to the provider
 * @param deviceToHostBytes  bytes copied from the provider to the host
 * @param deviceToHostTensors tensors (or tensor regions) copied from the provider to the host
 */
public record TransferStats(String phase, long hostToDeviceBytes, int hostToDeviceTensors, long deviceToHostBytes,
                            int deviceToHostTensors) {
}
